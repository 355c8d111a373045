// The SPID attributes as claims of ours, behind the `spid` scope: the names and contacts, and the
// SPID code and fiscal number of the citizen's last SPID login (the fiscal number also from the
// account for a citizen who never used SPID).
import { readFileSync } from 'node:fs';
import type { Configuration } from 'oidc-provider';
import type { ProviderExtension } from '../../src/methods/method.ts';
import { FISCAL_NUMBER, SPID_CODE } from './broker.ts';
import { spidKeys } from './keys.ts';

export const SPID_SCOPE = ['given_name', 'family_name', 'email', 'phone_number', SPID_CODE, FISCAL_NUMBER];

export const spidProvider: ProviderExtension = {
  configure(configuration: Configuration, s) {
    configuration.claims = { ...configuration.claims, spid: SPID_SCOPE };
    configuration.scopes = [...(configuration.scopes ?? []), 'spid'];
    const find = configuration.findAccount!;
    configuration.findAccount = async (ctx, sub, token) => {
      const found = await find(ctx, sub, token);
      if (!found) return found;
      return {
        ...found,
        async claims(use, scope, claims, rejected) {
          const base = await found.claims(use, scope, claims, rejected);
          const asked = scope.split(' ').includes('spid') || (claims && (FISCAL_NUMBER in claims || SPID_CODE in claims));
          if (!asked) return base;
          const account = await s.accounts.findBySub(sub);
          if (!account || account.type !== 'citizen') return base;
          const attrs = await s.redis.hgetall(spidKeys.attributes(account.id));
          return {
            ...base,
            given_name: base.given_name ?? attrs.given_name,
            family_name: base.family_name ?? attrs.family_name,
            email: base.email ?? attrs.email,
            phone_number: base.phone_number ?? attrs.phone_number,
            [SPID_CODE]: attrs.spid_code,
            [FISCAL_NUMBER]: attrs.fiscal_number ?? (account.fiscalCode ? `TINIT-${account.fiscalCode}` : undefined),
          };
        },
      };
    };
  },
};

export const SPID_CSS = readFileSync(new URL('./assets/spid.css', import.meta.url));
