// The stand-in's test identities (fiscal numbers with valid check characters, and two made to test
// the broker's refusals: a wrong check character, no fiscal number at all).
import { createHash } from 'node:crypto';

export interface Identity {
  id: string;
  label: string;
  attributes: Record<string, string>;
}

const FISCAL = 'https://attributes.eid.gov.it/fiscal_number';
const SPID_CODE = 'https://attributes.eid.gov.it/spid_code';

function person(id: string, given: string, family: string, fiscal: string | undefined, extra: Record<string, string> = {}): Identity {
  return {
    id,
    label: `${given} ${family}${fiscal ? ` (${fiscal})` : ''}`,
    attributes: {
      given_name: given,
      family_name: family,
      ...(fiscal ? { [FISCAL]: `TINIT-${fiscal}` } : {}),
      [SPID_CODE]: `STUB${createHash('sha256').update(id).digest('hex').slice(0, 10).toUpperCase()}`,
      ...extra,
    },
  };
}

export const IDENTITIES: Identity[] = [
  person('RSSMRA85T10A562S', 'Mario', 'Rossi', 'RSSMRA85T10A562S', { email: 'mario.rossi@example.org', phone_number: '+393331234567' }),
  person('BNCLRA92E45F205F', 'Laura', 'Bianchi', 'BNCLRA92E45F205F', { email: 'laura.bianchi@example.org', phone_number: '+393471112233' }),
  person('FRRGLI75C12L219X', 'Gianluigi', 'Ferri', 'FRRGLI75C12L219X', { email: 'g.ferri@example.org' }),
  // Test cases: the check character is wrong (the right one is A); no fiscal number at all.
  person('CSTLCU60M01D612B', 'Luca', 'Costa', 'CSTLCU60M01D612B'),
  person('no-fiscal-number', 'Senza', 'Codice', undefined),
];

export const ATTRIBUTES = ['given_name', 'family_name', 'email', 'phone_number', FISCAL, SPID_CODE];

/** The subject the stand-in gives an identity: stable, reveals nothing. */
export function subjectOf(id: string): string {
  return createHash('sha256').update(`spid-stub:${id}`).digest('hex').slice(0, 32);
}

export function identityBySubject(sub: string): Identity | undefined {
  return IDENTITIES.find((i) => subjectOf(i.id) === sub);
}
