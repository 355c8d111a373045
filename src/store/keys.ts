// Every Redis key the product uses, in one table. Keys that one script or one transaction touches
// together share a hash tag ({...}) so that Redis Cluster keeps them in one slot. The configured
// REDIS_PREFIX is added by the client (ioredis keyPrefix) in front of all of these.
//
// | key                          | type   | TTL                       | what                                   |
// | ---------------------------- | ------ | ------------------------- | -------------------------------------- |
// | acct:{ID}                    | hash   | none                      | an account (citizen, operator, admin)  |
// | acct:{ID}:cred:KIND          | hash   | none                      | one password: hash, failures, locked…  |
// | sub:SUB                      | string | none                      | subject → account id                   |
// | company:{CODE}               | hash   | none                      | a company: name, telematic accounts    |
// | oidc:MODEL:{ID}              | hash   | the model's expiry        | oidc-provider model (payload, consumed)|
// | oidc:grant:{GRANT}           | zset   | longest member            | keys issued under a grant, by expiry   |
// | oidc:uid:{UID}               | string | the session's             | session uid → session id               |
// | oidc:usercode:{CODE}         | string | the device code's         | user code → device code id             |
// | flow:{UID}                   | string | the interaction's         | our login-step state of an interaction |
// | demo:{STATE}                 | string | 10 minutes                | /demo relying party's PKCE verifier    |
// | keys:jwks, keys:cookies      | string | none                      | generated signing / cookie keys, sealed under DATA_KEY |
// | requests:purge-turn          | string | 50 minutes                | which process runs the hourly purge    |
// | keys:data                    | string | none                      | generated DATA_KEY (development only)  |
// | keys:data-check              | string | none                      | a value sealed under DATA_KEY: is it the same key? |
// | audit                        | stream | capped (AUDIT_MAX_ENTRIES)| security events                        |
// | acct:{ID}:card               | hash   | none                      | Security Card: serial, sealed grid, challenge, failures, used cells |
// | acct:{ID}:totp               | hash   | none                      | authenticator app: sealed secret, last step, offset, failures |
// | acct:{ID}:totp-pending       | string | 15 minutes                | sealed secret of an enrolment not yet confirmed |
// | card-dl:{TICKET}             | string | 10 minutes                | one-time ticket to download a just-printed card |
// | acct:{ID}:otp:PURPOSE        | hash   | code validity + 1 hour    | one-time code: HMAC, expiry, attempts  |
// | acct:{ID}:channel            | hash   | none                      | the member's registered secure channel |
// | acct:{ID}:request:KIND       | string | none                      | the member's pending back-office request|
// | acct:{ID}:throttle:WHAT      | string | the throttle's period     | one message per period (member code)   |
// | request:{ID}                 | hash   | none                      | a back-office request (contact change…)|
// | requests:pending, :decided   | zset   | none                      | request ids by creation / decision time|
// | requests:retention           | zset   | none                      | decided requests whose document remains|
// | public-flow:{ID}             | string | 15 minutes                | forgot-password state (cookie-bound)   |
// | companies                    | set    | none                      | every company code (back-office list)  |
// | company:{CODE}:operators     | set    | none                      | a company's operator codes             |
// | acct:{ID}:enabled            | hash   | none                      | an operator's accounts and functions   |
// | rl:ip:ADDRESS                | string | RATE_LIMIT_IP_WINDOW      | failed secret checks from one address  |
// | rl:acct:NAME                 | string | RATE_LIMIT_ACCOUNT_WINDOW | … for one account (or client@address)  |
// | rl:slow:NAME                 | string | RATE_LIMIT_SLOW_DAYS      | … for one account, over the long window|
//   (the rl: keys are made by rate-limiter-flexible, src/http/rate-limit.ts: one key per command)

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
  card: (id: string) => `acct:{${id}}:card`,
  totp: (id: string) => `acct:{${id}}:totp`,
  totpPending: (id: string) => `acct:{${id}}:totp-pending`,
  cardDownload: (ticket: string) => `card-dl:{${ticket}}`,
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
} as const;
