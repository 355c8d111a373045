// Back-office commands for the authenticator app: unlock it, or remove it (the user sets it up again).
import { defineCommand, UsageError } from '../../src/cli/command.ts';
import { unlockAtCounter, userFromArgs } from '../../src/cli/user-arg.ts';
import { totpOf } from './devices.ts';

export const totpCommand = defineCommand({
  name: 'totp',
  usage: [
    'totp unlock USER [OPERATOR]             unlock an authenticator app locked by wrong codes',
    'totp remove USER [OPERATOR]             remove the authenticator app of a user',
  ],
  async run(args, values, ctx) {
    const [sub, ...who] = args;
    if (sub !== 'unlock' && sub !== 'remove') throw new UsageError('totp: unlock or remove');
    const { id, s } = await userFromArgs(ctx, who);
    const devices = totpOf(s);
    const done = sub === 'unlock' ? await devices.unlock(id) : await devices.remove(id);
    if (!done) throw new UsageError(`${who.join(' ')} has no authenticator app`);
    if (sub === 'unlock') await unlockAtCounter(s, id, 'totp');
    else await s.audit.record({ event: 'totp.remove', outcome: 'success', actor: 'cli', subject: id, reason: 'totp' });
    return values.json ? JSON.stringify({ [sub === 'unlock' ? 'unlocked' : 'removed']: id, kind: 'totp' }) : `${sub === 'unlock' ? 'unlocked' : 'removed'} the authenticator app of ${who.join(' ')}`;
  },
});
