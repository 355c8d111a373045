import { defineCommand, UsageError } from '../command.ts';
import { loginPasswordKind, PASSWORD_KINDS, type PasswordKind } from '../../accounts/accounts.ts';
import { accountIdFromArgs } from '../user-arg.ts';

export default defineCommand({
  name: 'unlock',
  usage: [`unlock USER [OPERATOR] [--kind KIND]   unlock a password (KIND: ${PASSWORD_KINDS.join(', ')})`],
  options: { kind: { type: 'string' } },
  async run(args, values, ctx) {
    const id = accountIdFromArgs(args[0], args[1]);
    const idp = await ctx.idp();
    const account = await idp.services.accounts.findById(id);
    if (!account) throw new UsageError(`no such user: ${args.join(' ')}`);
    const kind = (values.kind ?? loginPasswordKind(account.type)) as PasswordKind;
    if (!PASSWORD_KINDS.includes(kind)) throw new UsageError(`--kind: one of ${PASSWORD_KINDS.join(', ')}`);
    if (!(await idp.services.passwords.unlock(id, kind))) throw new UsageError(`${args.join(' ')} has no ${kind} password`);
    await idp.services.audit.record({ event: 'credential.unlock', outcome: 'success', actor: 'cli', subject: id, reason: kind });
    return values.json ? JSON.stringify({ unlocked: id, kind }) : `unlocked the ${kind} password of ${args.join(' ')}`;
  },
});
