// Back-office commands for passkeys: list a user's, unlock them after too many refused answers, remove
// one (or all: the user registers again).
import { defineCommand, UsageError } from '../../src/cli/command.ts';
import { unlockAtCounter, userFromArgs } from '../../src/cli/user-arg.ts';
import { passkeysOf } from './passkeys.ts';

const day = (ms: number | undefined) => (ms ? new Date(ms).toISOString().slice(0, 10) : 'never');

export const passkeyCommand = defineCommand({
  name: 'passkey',
  usage: [
    'passkey list USER [OPERATOR]            the passkeys of a user: name, dates, kind, state',
    'passkey unlock USER [OPERATOR]          unlock the passkeys of a user locked by refused answers',
    'passkey remove USER [OPERATOR] (--id CREDENTIAL_ID | --all)   remove a passkey (e.g. one blocked as copied)',
  ],
  options: { id: { type: 'string' }, all: { type: 'boolean' } },
  async run(args, values, ctx) {
    const [sub, ...who] = args;
    if (!sub || !['list', 'unlock', 'remove'].includes(sub)) throw new UsageError('passkey: list, unlock or remove');
    const { id, s } = await userFromArgs(ctx, who);
    const passkeys = passkeysOf(s);

    if (sub === 'list') {
      const [list, state] = await Promise.all([passkeys.list(id), passkeys.state(id)]);
      if (values.json) return JSON.stringify({ locked: state.locked, failures: state.failures, passkeys: list.map(({ publicKey: _key, ...p }) => p) });
      if (!list.length) return `${who.join(' ')} has no passkey`;
      return [
        `${list.length} passkey(s)${state.locked ? ', locked' : ''}, ${state.failures} failures`,
        ...list.map((p) => `  ${p.name}: created ${day(p.createdAt)}, last used ${day(p.lastUsedAt)}, ${p.deviceType === 'multiDevice' || p.backedUp ? 'synced' : 'device-bound'}, AAGUID ${p.aaguid}${p.disabled ? ', BLOCKED (sign counter went backwards)' : ''}\n    id ${p.id}`),
      ].join('\n');
    }
    if (sub === 'unlock') {
      if (!(await passkeys.unlock(id))) throw new UsageError(`the passkeys of ${who.join(' ')} are not locked`);
      await unlockAtCounter(s, id, 'passkey');
      return values.json ? JSON.stringify({ unlocked: id, kind: 'passkey' }) : `unlocked the passkeys of ${who.join(' ')}`;
    }
    if (values.all === true) {
      if (!(await passkeys.removeAll(id))) throw new UsageError(`${who.join(' ')} has no passkey`);
    } else {
      if (typeof values.id !== 'string') throw new UsageError('passkey remove needs --id CREDENTIAL_ID or --all');
      if (!(await passkeys.remove(id, values.id))) throw new UsageError(`${who.join(' ')} has no passkey ${values.id}`);
    }
    await s.audit.record({ event: 'passkey.remove', outcome: 'success', actor: 'cli', subject: id, reason: values.all === true ? 'all' : 'one' });
    return values.json ? JSON.stringify({ removed: id, kind: 'passkey' }) : `removed ${values.all === true ? 'the passkeys' : 'the passkey'} of ${who.join(' ')}`;
  },
});
