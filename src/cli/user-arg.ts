// USER arguments of the commands: a fiscal code, or a company code (its administrator) optionally
// followed by an operator code; and what every unlock at the counter does besides the credential's own.
import { accountIdFor, type Account } from '../accounts/accounts.ts';
import { isValidFiscalCode, normaliseFiscalCode } from '../accounts/fiscal-code.ts';
import type { Services } from '../services.ts';
import { CommandError, UsageError, type CommandContext } from './command.ts';

export function accountIdFromArgs(user: string | undefined, operator: string | undefined): string {
  if (!user) throw new UsageError('a user is needed: a fiscal code, or a company code [and an operator code]');
  if (/^\d{8}$/.test(user)) {
    if (operator !== undefined && !/^[A-Za-z0-9]{1,20}$/.test(operator)) throw new UsageError('operator code: 1-20 letters or digits');
    return accountIdFor({ type: 'company', companyCode: user, operatorCode: operator?.toUpperCase() });
  }
  const fiscalCode = normaliseFiscalCode(user);
  if (!isValidFiscalCode(fiscalCode)) throw new UsageError(`${user} is neither a fiscal code nor an 8-digit company code`);
  if (operator !== undefined) throw new UsageError('an operator code goes with a company code');
  return accountIdFor({ type: 'citizen', fiscalCode });
}

/** The existing account named by USER [OPERATOR], with the IdP's services; else "no such user". */
export async function userFromArgs(ctx: CommandContext, who: string[]): Promise<{ id: string; account: Account; s: Services }> {
  const id = accountIdFromArgs(who[0], who[1]);
  const s = (await ctx.idp()).services;
  const account = await s.accounts.findById(id);
  if (!account) throw new CommandError(`no such user: ${who.join(' ')}`);
  return { id, account, s };
}

/**
 * After a credential of `id` was unlocked at the counter: the account's abuse-limit counts go too
 * (the branch has checked who is asking), and the unlock is audited.
 */
export async function unlockAtCounter(s: Services, id: string, kind: string): Promise<void> {
  await s.limits.clearAccount(id);
  await s.audit.record({ event: 'credential.unlock', outcome: 'success', actor: 'cli', subject: id, reason: kind });
}
