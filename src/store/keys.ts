// Every Redis key the product uses, in one table: the core's below, each method's from its module
// (src/methods/method.ts `keys`), assembled by keyTable(), which README's table is generated from.
// Keys that one script or one transaction touches together share a hash tag ({...}) so that Redis
// Cluster keeps them in one slot (scripts check it at every call, see src/store/script.ts). The
// configured REDIS_PREFIX is added by the client (ioredis keyPrefix) in front of all of these.
import type { KeyDoc, MethodModule } from '../methods/method.ts';

const CORE_KEYS: KeyDoc[] = [
  { key: 'acct:{ID}', type: 'hash', ttl: 'none', what: 'an account (citizen, operator, admin)' },
  { key: 'acct:{ID}:cred:KIND', type: 'hash', ttl: 'none', what: 'one password: hash, failures, locked…' },
  { key: 'sub:SUB', type: 'string', ttl: 'none', what: 'subject → account id' },
  { key: 'company:{CODE}', type: 'hash', ttl: 'none', what: 'a company: name, telematic accounts' },
  { key: 'oidc:MODEL:{ID}', type: 'string', ttl: 'the model\'s expiry', what: 'oidc-provider model: JSON (+ consumed)' },
  { key: 'oidc:grant:{GRANT}', type: 'zset', ttl: 'longest member', what: 'earlier versions only: keys issued under a grant (cleared on revocation)' },
  { key: 'oidc:uid:{UID}', type: 'string', ttl: 'the session\'s', what: 'a session, by its uid (its id\'s key: "@" + the uid)' },
  { key: 'oidc:usercode:{CODE}', type: 'string', ttl: 'the device code\'s', what: 'user code → device code id' },
  { key: 'flow:{UID}', type: 'string', ttl: 'the interaction\'s', what: 'our login-step state of an interaction (read with oidc:Interaction:{UID})' },
  { key: 'demo:{STATE}', type: 'string', ttl: '10 minutes', what: '/demo relying party\'s PKCE verifier' },
  { key: 'keys:jwks, keys:cookies', type: 'string', ttl: 'none', what: 'generated signing / cookie keys, sealed under DATA_KEY' },
  { key: 'requests:purge-turn', type: 'string', ttl: '50 minutes', what: 'which process runs the hourly purge' },
  { key: 'keys:data', type: 'string', ttl: 'none', what: 'generated DATA_KEY (development only)' },
  { key: 'keys:data-check', type: 'string', ttl: 'none', what: 'a value sealed under DATA_KEY: is it the same key?' },
  { key: 'audit', type: 'stream', ttl: 'capped (AUDIT_MAX_ENTRIES)', what: 'security events' },
  { key: 'acct:{ID}:otp:PURPOSE', type: 'hash', ttl: 'code validity + 1 hour', what: 'one-time code: HMAC, expiry, attempts' },
  { key: 'acct:{ID}:channel', type: 'hash', ttl: 'none', what: 'the member\'s registered secure channel' },
  { key: 'acct:{ID}:request:KIND', type: 'string', ttl: 'none', what: 'the member\'s pending back-office request' },
  { key: 'acct:{ID}:throttle:WHAT', type: 'string', ttl: 'the throttle\'s period', what: 'one message per period (member code)' },
  { key: 'request:{ID}', type: 'hash', ttl: 'none', what: 'a back-office request (contact change…)' },
  { key: 'requests:pending, :decided', type: 'zset', ttl: 'none', what: 'request ids by creation / decision time' },
  { key: 'requests:retention', type: 'zset', ttl: 'none', what: 'decided requests whose document remains' },
  { key: 'public-flow:{ID}', type: 'string', ttl: '15 minutes', what: 'forgot-password state (cookie-bound)' },
  { key: 'companies', type: 'set', ttl: 'none', what: 'every company code (back-office list)' },
  { key: 'company:{CODE}:operators', type: 'set', ttl: 'none', what: 'a company\'s operator codes' },
  { key: 'acct:{ID}:enabled', type: 'hash', ttl: 'none', what: 'an operator\'s accounts and functions' },
  // The abuse limits' counters (src/http/rate-limit.ts): an account's two share its hash tag.
  { key: 'rl:ip:{ADDRESS}', type: 'string', ttl: 'RATE_LIMIT_IP_WINDOW', what: 'failed secret checks from one address' },
  { key: 'rl:client:{ADDRESS}CLIENT', type: 'string', ttl: 'RATE_LIMIT_ACCOUNT_WINDOW', what: '… of one client\'s authentication from one address' },
  { key: 'rl:acct:{NAME}', type: 'string', ttl: 'RATE_LIMIT_ACCOUNT_WINDOW', what: '… for one account' },
  { key: 'rl:slow:{NAME}', type: 'string', ttl: 'RATE_LIMIT_SLOW_DAYS', what: '… for one account, over the long window' },
  { key: 'callback:STEP:{STATE}', type: 'string', ttl: 'the interaction\'s', what: 'state sent to an upstream provider → the interaction it comes back to' },
];

/**
 * The one key table: the core's keys and the installed methods'. Refuses a key claimed twice, and a
 * method's per-user or per-item key (a placeholder in capitals) without its hash tag.
 */
export function keyTable(modules: readonly MethodModule[]): KeyDoc[] {
  const seen = new Set(CORE_KEYS.map((r) => r.key));
  for (const m of modules) {
    for (const row of m.keys ?? []) {
      if (seen.has(row.key)) throw new Error(`method ${m.id}: key ${row.key} is declared twice`);
      seen.add(row.key);
      if (/[A-Z]/.test(row.key) && !/\{[A-Z]+\}/.test(row.key)) throw new Error(`method ${m.id}: key ${row.key} has a placeholder but no hash tag`);
    }
  }
  return [...CORE_KEYS, ...modules.flatMap((m) => m.keys ?? [])];
}

export function keyTableMarkdown(modules: readonly MethodModule[]): string {
  const rows = keyTable(modules).map((r) => `| \`${r.key}\` | ${r.type} | ${r.ttl} | ${r.what} |`);
  return ['| key | type | TTL | what |', '| --- | --- | --- | --- |', ...rows].join('\n');
}

export const keys = {
  account: (id: string) => `acct:{${id}}`,
  credential: (id: string, kind: string) => `acct:{${id}}:cred:${kind}`,
  subject: (sub: string) => `sub:${sub}`,
  company: (code: string) => `company:{${code}}`,
  oidc: (model: string, id: string) => `oidc:${model}:{${id}}`,
  grant: (grantId: string) => `oidc:grant:{${grantId}}`,
  sessionUid: (uid: string) => `oidc:uid:{${uid}}`,
  userCode: (code: string) => `oidc:usercode:{${code}}`,
  flow: (uid: string) => `flow:{${uid}}`,
  demo: (state: string) => `demo:{${state}}`,
  jwks: 'keys:jwks',
  cookieKeys: 'keys:cookies',
  dataKey: 'keys:data',
  dataKeyCheck: 'keys:data-check',
  purgeTurn: 'requests:purge-turn',
  audit: 'audit',
  otp: (id: string, purpose: string) => `acct:{${id}}:otp:${purpose}`,
  secureChannel: (id: string) => `acct:{${id}}:channel`,
  pendingRequest: (id: string, kind: string) => `acct:{${id}}:request:${kind}`,
  throttle: (id: string, what: string) => `acct:{${id}}:throttle:${what}`,
  request: (id: string) => `request:{${id}}`,
  requestsPending: 'requests:pending',
  requestsDecided: 'requests:decided',
  requestsRetention: 'requests:retention',
  publicFlow: (id: string) => `public-flow:{${id}}`,
  companies: 'companies',
  companyOperators: (code: string) => `company:{${code}}:operators`,
  operatorGrants: (id: string) => `acct:{${id}}:enabled`,
  callbackBind: (step: string, state: string) => `callback:${step}:{${state}}`,
} as const;
