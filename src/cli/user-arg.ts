// USER arguments of the commands: a fiscal code, or a company code (its administrator) optionally
// followed by an operator code.
import { accountIdFor } from '../accounts/accounts.ts';
import { isValidFiscalCode, normaliseFiscalCode } from '../accounts/fiscal-code.ts';
import { UsageError } from './command.ts';

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
