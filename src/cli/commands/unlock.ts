import { CommandError, defineCommand } from '../command.ts';
import { accountIdFromArgs } from '../user-arg.ts';

// The branch unlocks a citizen's or member's personal password here. Company passwords follow
// DESIGN.md's table instead: operator and dispositive passwords are re-issued by the company's
// administrator, the administrator password is re-issued by the branch, the activation password
// is unlocked with `company unlock`.
const COMPANY_PATH: Record<string, string> = {
  administrator: 'the administrator password is not unlocked: the branch issues a new one with `company reset-admin-password CODE`',
  operator: 'an operator\'s passwords are re-issued (which unlocks them) by the company administrator, on the company pages',
};

export default defineCommand({
  name: 'unlock',
  usage: ['unlock FISCAL_CODE                    unlock a citizen\'s personal password (company passwords: see `company`)'],
  async run(args, values, ctx) {
    const id = accountIdFromArgs(args[0], args[1]);
    const idp = await ctx.idp();
    const account = await idp.services.accounts.findById(id);
    if (!account) throw new CommandError(`no such user: ${args.join(' ')}`);
    if (account.type !== 'citizen') throw new CommandError(COMPANY_PATH[account.type]!);
    if (!(await idp.services.passwords.unlock(id, 'personal'))) throw new CommandError(`${args.join(' ')} has no personal password`);
    // The account's abuse-limit counts go too (the branch has checked who is asking).
    await idp.services.limits.clearAccount(id);
    await idp.services.audit.record({ event: 'credential.unlock', outcome: 'success', actor: 'cli', subject: id, reason: 'personal' });
    return values.json ? JSON.stringify({ unlocked: id, kind: 'personal' }) : `unlocked the personal password of ${args.join(' ')}`;
  },
});
