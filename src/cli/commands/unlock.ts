import { CommandError, defineCommand } from '../command.ts';
import { unlockAtCounter, userFromArgs } from '../user-arg.ts';

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
    const { id, account, s } = await userFromArgs(ctx, args);
    if (account.type !== 'citizen') throw new CommandError(COMPANY_PATH[account.type]!);
    if (!(await s.passwords.unlock(id, 'personal'))) throw new CommandError(`${args.join(' ')} has no personal password`);
    await unlockAtCounter(s, id, 'personal');
    return values.json ? JSON.stringify({ unlocked: id, kind: 'personal' }) : `unlocked the personal password of ${args.join(' ')}`;
  },
});
