// One typed, validated configuration. Sources, later wins: defaults, CONFIG_FILE (JSON), environment.
// Every setting is listed in SETTINGS with its environment variable, so README's table and the
// error messages name the same thing.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { parseDataKey } from './crypto/sealed.ts';
import { bool, int, json, list, str, type Parser, type Setting } from './settings.ts';
import type { MethodModule } from './methods/method.ts';
import { methods as installedMethods } from '../interactions/index.ts';

const passwordKind = z.object({
  maxFailures: z.number().int().min(1).max(100),
  minLength: z.number().int().min(1).max(128),
  maxLength: z.number().int().min(1).max(128),
  // Character classes that must appear; 'alnum' restricts the whole password to letters and digits.
  require: z.array(z.enum(['upper', 'lower', 'digit', 'special'])),
  alnumOnly: z.boolean(),
  digitsOnly: z.boolean().default(false),
  expiryDays: z.number().int().min(0).max(3650), // 0: never expires
});
export type PasswordKindPolicy = z.infer<typeof passwordKind>;

const level = z.object({
  acr: z.string().min(1),
  // Step ids, or a slot name in angle brackets ("<second-factor>") filled by any step of that slot.
  steps: z.array(z.string().min(1)).min(1),
});
export type LevelConfig = z.infer<typeof level>;

/** WCAG contrast ratio of two #rrggbb colours. */
export function contrast(a: string, b: string): number {
  const lum = (hex: string) => {
    const [r, g, bl] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255).map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
    return 0.2126 * r! + 0.7152 * g! + 0.0722 * bl!;
  };
  const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x);
  return (hi! + 0.05) / (lo! + 0.05);
}
const INK = '#1b2733';
const hex = z.string().regex(/^#[0-9a-fA-F]{6}$/, { error: 'a colour as #rrggbb' }).transform((v) => v.toLowerCase());
// A link in the footer: a web address, mailto:/tel:, or a path on this server.
const footerLink = z.string().regex(/^(https?:\/\/[^\s"<>]+|mailto:[^\s"<>]+|tel:\+?[0-9 ]+|\/(?!\/)[^\s"<>]*)$/, { error: 'an https:// or http:// address, mailto:, tel:, or a path starting with /' });

function isJsonObject(raw: string): boolean {
  try {
    const v: unknown = JSON.parse(raw);
    return typeof v === 'object' && v !== null && !Array.isArray(v);
  } catch { return false; }
}

const schema = z.object({
  port: z.number().int().min(0).max(65535),
  host: z.string().min(1),
  issuer: z.url(),
  production: z.boolean(),
  redisUrl: z.string().optional(),
  redisPrefix: z.string().regex(/^[A-Za-z0-9:_-]*$/),
  // Reverse proxies in front (X-Forwarded-For hops trusted); true/false in a file mean 1/0.
  trustProxy: z.preprocess((v) => (typeof v === 'boolean' ? Number(v) : v), z.number().int().min(0).max(10)),
  redisClusterNodes: z.array(z.string().regex(/^[^\s:]+:\d+$/, { error: 'host:port, comma-separated' })).optional(),
  redisSentinels: z.array(z.string().regex(/^[^\s:]+:\d+$/, { error: 'host:port, comma-separated' })).optional(),
  redisSentinelMaster: z.string().min(1),
  redisPassword: z.string().min(1).optional(),
  redisCommandTimeoutMs: z.number().int().min(50).max(60_000),
  redisConnectTimeoutMs: z.number().int().min(100).max(60_000),
  redisWaitReplicas: z.number().int().min(0).max(10),
  readyTimeoutMs: z.number().int().min(50).max(30_000),
  shutdownTimeoutMs: z.number().int().min(0).max(300_000),
  rateLimit: z.object({
    ipFailures: z.number().int().min(1),
    ipWindowSeconds: z.number().int().min(1).max(86_400),
    accountFailures: z.number().int().min(1),
    accountWindowSeconds: z.number().int().min(1).max(86_400),
    slowFailures: z.number().int().min(1),
    slowWindowDays: z.number().int().min(1).max(365),
  }),
  introspectionClients: z.array(z.string().min(1)),
  metricsPort: z.number().int().min(0).max(65535).optional(),
  metricsToken: z.string().min(16).optional(),
  importMaxBytes: z.number().int().min(1024).max(512 * 1024 * 1024),
  publicPageFloorMs: z.number().int().min(0).max(10_000),
  hstsMaxAge: z.number().int().min(0).max(2 * 365 * 86_400),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
  demo: z.boolean(),
  importFiles: z.array(z.string()),
  jwks: z.object({ keys: z.array(z.record(z.string(), z.unknown())).min(1) }).optional(),
  cookieKeys: z.array(z.string().min(32)).optional(),
  dataKey: z.string().refine((v) => parseDataKey(v) !== undefined, { error: '32 bytes, as 64 hex digits or base64' }).optional(),
  argon2: z.object({
    memoryKiB: z.number().int().min(19456),
    timeCost: z.number().int().min(2),
    parallelism: z.number().int().min(1).max(16),
  }),
  passwords: z.object({
    activation: passwordKind,
    administrator: passwordKind,
    operator: passwordKind,
    dispositive: passwordKind,
    personal: passwordKind,
  }),
  expiryWarningDays: z.number().int().min(0).max(90),
  policyProfile: z.enum(['seed', 'psd2']),
  levels: z.array(level).min(1),
  defaultAcr: z.string().min(1),
  ttl: z.object({
    interactionSeconds: z.number().int().min(60).max(86400),
    idleSeconds: z.number().int().min(0).max(86400),
    sessionSeconds: z.number().int().min(60).max(30 * 86400),
    idTokenSeconds: z.number().int().min(60).max(86400),
    accessTokenSeconds: z.number().int().min(60).max(86400),
    refreshTokenSeconds: z.number().int().min(60).max(365 * 86400),
  }),
  formLimitBytes: z.number().int().min(1024).max(1024 * 1024),
  auditMaxEntries: z.number().int().min(1000),
  otp: z.object({
    validitySeconds: z.number().int().min(30).max(3600),
    maxAttempts: z.number().int().min(1).max(100),
  }),
  delivery: z.object({
    outbox: z.boolean().optional(), // unset: on outside production
    outboxFile: z.string().min(1),
    timeoutMs: z.number().int().min(100).max(120_000),
    smtp: z.object({
      host: z.string().min(1).optional(),
      port: z.number().int().min(1).max(65535),
      tls: z.enum(['starttls', 'required', 'implicit', 'none']),
      user: z.string().min(1).optional(),
      password: z.string().min(1).optional(),
      from: z.string().min(3),
    }),
    sms: z.object({
      url: z.url().optional(),
      authHeader: z.string().min(1).optional(),
      bodyTemplate: z.string().refine(isJsonObject, { error: 'a JSON object, e.g. {"to":"{{to}}","text":"{{text}}"}' }),
    }),
  }),
  documents: z.object({
    dir: z.string().min(1),
    maxBytes: z.number().int().min(1024).max(50 * 1024 * 1024),
    retentionDays: z.number().int().min(1).max(3650),
  }),
  auditRetentionDays: z.number().int().min(0).max(3650), // 0: kept until AUDIT_MAX_ENTRIES pushes it out
  administrationAcr: z.string().min(1),
  backofficeAcr: z.string().min(1),
  strongAcr: z.string().min(1),
  idTokenAlg: z.enum(['RS256', 'ES256']),
  treasuryFunctions: z.array(z.string().regex(/^[a-z0-9_-]{1,50}$/, { error: 'function ids: lower-case letters, digits, _ or -' })).min(1),
  // Each installed method's own settings, validated by its schema (see src/settings.ts).
  methods: z.record(z.string(), z.unknown()),
  // What the customer sees: the bank's name, logo, colours and footer links (see views/assets/style.css).
  brand: z.object({
    name: z.string().trim().min(1).max(80).optional(), // unset: "Accesso sicuro" / "Secure sign-in"
    logo: z.string().min(1).optional(),               // unset: the built-in mark
    primaryColor: hex.refine((c) => contrast(c, '#ffffff') >= 4.5, { error: 'needs a contrast of at least 4.5:1 with white (white text on buttons, links on white)' }),
    backgroundColor: hex.refine((c) => contrast(c, INK) >= 7, { error: 'needs a contrast of at least 7:1 with the text colour #1b2733 (a light colour)' }),
    helpUrl: footerLink,
    privacyUrl: footerLink.optional(),
    contactUrl: footerLink.optional(),
  }),
});
export type Config = z.infer<typeof schema>;

const alnum = (min: number, max: number, maxFailures = 7) => ({
  maxFailures, minLength: min, maxLength: max, require: [] as ('upper' | 'lower' | 'digit' | 'special')[],
  alnumOnly: true, digitsOnly: false,
});

export const DEFAULTS: Omit<Config, 'port' | 'issuer' | 'methods'> & { port: number } = {
  port: 3000,
  host: '0.0.0.0',
  production: false,
  redisPrefix: 'idp:',
  trustProxy: 0,
  redisSentinelMaster: 'mymaster',
  redisCommandTimeoutMs: 2000,
  redisConnectTimeoutMs: 5000,
  redisWaitReplicas: 0,
  readyTimeoutMs: 1000,
  shutdownTimeoutMs: 10_000,
  rateLimit: {
    ipFailures: 100, ipWindowSeconds: 900,
    accountFailures: 20, accountWindowSeconds: 900,
    slowFailures: 100, slowWindowDays: 30,
  },
  introspectionClients: [],
  importMaxBytes: 8 * 1024 * 1024,
  publicPageFloorMs: 150,
  hstsMaxAge: 31_536_000,
  logLevel: 'info',
  demo: true,
  importFiles: [],
  argon2: { memoryKiB: 19456, timeCost: 2, parallelism: 1 },
  passwords: {
    activation: { ...alnum(5, 10), expiryDays: 30 },
    administrator: { ...alnum(8, 10), expiryDays: 0 },
    operator: { ...alnum(5, 10), expiryDays: 365 },
    dispositive: { ...alnum(5, 10), expiryDays: 30 },
    personal: {
      maxFailures: 7, minLength: 8, maxLength: 128, require: ['upper', 'lower', 'digit', 'special'],
      alnumOnly: false, digitsOnly: false, expiryDays: 0,
    },
  },
  expiryWarningDays: 7,
  policyProfile: 'seed',
  levels: [
    { acr: 'urn:idp:loa:1', steps: ['identify', 'password'] },
    { acr: 'https://www.spid.gov.it/SpidL1', steps: ['spid'] },
    { acr: 'urn:idp:loa:2', steps: ['identify', 'password', '<second-factor>'] },
    { acr: 'https://www.spid.gov.it/SpidL2', steps: ['spid'] },
    { acr: 'urn:idp:loa:3', steps: ['identify', 'certificate', 'password'] },
    { acr: 'https://www.spid.gov.it/SpidL3', steps: ['spid'] },
  ],
  defaultAcr: 'urn:idp:loa:1',
  ttl: {
    interactionSeconds: 1800,
    idleSeconds: 0,
    sessionSeconds: 8 * 3600,
    idTokenSeconds: 3600,
    accessTokenSeconds: 600,
    refreshTokenSeconds: 8 * 3600,
  },
  formLimitBytes: 16 * 1024,
  auditMaxEntries: 1_000_000,
  otp: { validitySeconds: 300, maxAttempts: 5 },
  delivery: {
    outboxFile: 'var/outbox.jsonl',
    timeoutMs: 10_000,
    smtp: { port: 587, tls: 'starttls', from: 'no-reply@localhost' },
    sms: { bodyTemplate: '{"to":"{{to}}","text":"{{text}}"}' },
  },
  documents: { dir: 'var/documents', maxBytes: 5 * 1024 * 1024, retentionDays: 90 },
  auditRetentionDays: 0,
  administrationAcr: 'urn:idp:loa:1',
  backofficeAcr: 'urn:idp:loa:2',
  strongAcr: 'urn:idp:loa:2',
  idTokenAlg: 'RS256',
  treasuryFunctions: ['balance', 'statements', 'payments', 'transfers', 'f24', 'payroll', 'collections'],
  brand: { primaryColor: '#0b5394', backgroundColor: '#eef2f6', helpUrl: '/help' },
};

// false/0: no proxy; true: one; a number: that many proxies, each adding one X-Forwarded-For entry.
const hops: Parser = (raw) => {
  const b = bool(raw);
  return typeof b === 'boolean' ? (b ? 1 : 0) : int(raw);
};

// Environment variable → path in the config and how to read it (the methods' own follow, see allSettings).
export const SETTINGS: Setting[] = [
  { env: 'PORT', path: 'port', parse: int, doc: 'HTTP port (default 3000)' },
  { env: 'HOST', path: 'host', parse: str, doc: 'listen address (default 0.0.0.0)' },
  { env: 'ISSUER', path: 'issuer', parse: str, doc: 'issuer URL (default http://localhost:$PORT)' },
  { env: 'IDP_PRODUCTION', path: 'production', parse: bool, doc: 'production mode: no demo data, no /demo (default: true when NODE_ENV=production)' },
  { env: 'REDIS_URL', path: 'redisUrl', parse: str, doc: 'Redis URL (redis://, rediss://, or unix:/path/to/redis.sock); unset: embedded in-process store (development only)' },
  { env: 'REDIS_PREFIX', path: 'redisPrefix', parse: str, doc: 'prefix of every Redis key (default idp:)' },
  { env: 'TRUST_PROXY', path: 'trustProxy', parse: hops, doc: 'reverse proxies in front of the IdP: false (default: the client address is the peer\'s, X-Forwarded-* ignored), true or 1 (one proxy), or the number of proxies; the client address is the X-Forwarded-For entry that many hops from the right, never one the client wrote' },
  { env: 'REDIS_CLUSTER_NODES', path: 'redisClusterNodes', parse: list, doc: 'Redis Cluster: some of its nodes as host:port, comma-separated (instead of REDIS_URL)' },
  { env: 'REDIS_SENTINELS', path: 'redisSentinels', parse: list, doc: 'Redis Sentinel: the sentinels as host:port, comma-separated (instead of REDIS_URL); the master is found and followed through failovers' },
  { env: 'REDIS_SENTINEL_MASTER', path: 'redisSentinelMaster', parse: str, doc: 'the master name the sentinels watch (default mymaster)' },
  { env: 'REDIS_PASSWORD', path: 'redisPassword', parse: str, doc: 'password of the Redis nodes with REDIS_CLUSTER_NODES or REDIS_SENTINELS (with REDIS_URL it goes in the URL)' },
  { env: 'REDIS_COMMAND_TIMEOUT_MS', path: 'redisCommandTimeoutMs', parse: int, doc: 'a Redis command not answered in this time fails (the request gets a 503) (default 2000)' },
  { env: 'REDIS_CONNECT_TIMEOUT_MS', path: 'redisConnectTimeoutMs', parse: int, doc: 'how long connecting to Redis may take (default 5000)' },
  { env: 'REDIS_WAIT_REPLICAS', path: 'redisWaitReplicas', parse: int, doc: 'with REDIS_SENTINELS: after every script (the security counters among them) wait until this many replicas have the write (WAIT, up to half of REDIS_COMMAND_TIMEOUT_MS), else the request fails closed with a 503, so a failover loses no counted failure (default 0: no wait; replication is then asynchronous)' },
  { env: 'READY_TIMEOUT_MS', path: 'readyTimeoutMs', parse: int, doc: 'GET /readyz answers 503 when Redis does not answer a PING in this time (default 1000)' },
  { env: 'SHUTDOWN_TIMEOUT_MS', path: 'shutdownTimeoutMs', parse: int, doc: 'on SIGTERM, how long requests in flight may take to finish before the process exits anyway (default 10000)' },
  { env: 'RATE_LIMIT_IP_FAILURES', path: 'rateLimit.ipFailures', parse: int, doc: 'failed secret checks (passwords, codes, card, app, member codes, client secrets) one client address may make per RATE_LIMIT_IP_WINDOW; then 429 (default 100)' },
  { env: 'RATE_LIMIT_IP_WINDOW', path: 'rateLimit.ipWindowSeconds', parse: int, doc: 'window of RATE_LIMIT_IP_FAILURES, in seconds (default 900)' },
  { env: 'RATE_LIMIT_ACCOUNT_FAILURES', path: 'rateLimit.accountFailures', parse: int, doc: 'failed secret checks per account (known or not) per RATE_LIMIT_ACCOUNT_WINDOW, and per client and address on the token endpoints; then 429 (default 20)' },
  { env: 'RATE_LIMIT_ACCOUNT_WINDOW', path: 'rateLimit.accountWindowSeconds', parse: int, doc: 'window of RATE_LIMIT_ACCOUNT_FAILURES, in seconds (default 900)' },
  { env: 'RATE_LIMIT_SLOW_FAILURES', path: 'rateLimit.slowFailures', parse: int, doc: 'failed secret checks per account over RATE_LIMIT_SLOW_DAYS, successes in between notwithstanding (NIST SP 800-63B); then 429 (default 100)' },
  { env: 'RATE_LIMIT_SLOW_DAYS', path: 'rateLimit.slowWindowDays', parse: int, doc: 'window of RATE_LIMIT_SLOW_FAILURES, in days (default 30)' },
  { env: 'INTROSPECTION_CLIENTS', path: 'introspectionClients', parse: list, doc: 'resource servers (client ids) that may introspect any client\'s tokens; any other client learns only about its own (default none)' },
  { env: 'METRICS_PORT', path: 'metricsPort', parse: int, doc: 'serve GET /metrics (Prometheus) on this port only, not on PORT (default: unset, on PORT)' },
  { env: 'METRICS_TOKEN', path: 'metricsToken', parse: str, doc: 'GET /metrics needs Authorization: Bearer with this token, 16+ characters (default: unset, no token)' },
  { env: 'IMPORT_MAX_BYTES', path: 'importMaxBytes', parse: int, doc: 'largest import file accepted (default 8388608)' },
  { env: 'PUBLIC_PAGE_FLOOR_MS', path: 'publicPageFloorMs', parse: int, doc: 'the public pages that check a fiscal code and member code (forgot password, channel reset, member code) answer no sooner than this, matched or not (default 150)' },
  { env: 'HSTS_MAX_AGE', path: 'hstsMaxAge', parse: int, doc: 'Strict-Transport-Security max-age, in seconds, on every response served over TLS (default 31536000; 0: none)' },
  { env: 'LOG_LEVEL', path: 'logLevel', parse: str, doc: 'pino log level (default info)' },
  { env: 'DEMO', path: 'demo', parse: bool, doc: 'load demo data and serve /demo (default: on outside production)' },
  { env: 'JWKS', path: 'jwks', parse: json, doc: 'signing keys as a private JWKS (JSON); unset: generated once and kept in Redis' },
  { env: 'COOKIE_KEYS', path: 'cookieKeys', parse: list, doc: 'cookie signing keys, comma-separated, 32+ chars each; unset: generated once and kept in Redis' },
  { env: 'DATA_KEY', path: 'dataKey', parse: str, doc: 'key that encrypts secrets at rest (TOTP secrets, card tables, documents): 32 bytes as hex or base64; required in production, else generated once and kept in Redis' },
  { env: 'ARGON2_MEMORY_KIB', path: 'argon2.memoryKiB', parse: int, doc: 'Argon2id memory in KiB (default and minimum 19456)' },
  { env: 'ARGON2_TIME_COST', path: 'argon2.timeCost', parse: int, doc: 'Argon2id iterations (default and minimum 2)' },
  { env: 'ARGON2_PARALLELISM', path: 'argon2.parallelism', parse: int, doc: 'Argon2id lanes (default 1)' },
  { env: 'LOCKOUT_THRESHOLD', path: '*lockout', parse: int, doc: 'consecutive failures that lock any password kind (default 7; per kind in CONFIG_FILE passwords.<kind>.maxFailures)' },
  { env: 'POLICY_PROFILE', path: 'policyProfile', parse: str, doc: 'seed (default: every password kind and second factor locks after 7 consecutive failures; a login may take INTERACTION_TTL) or psd2 (Commission Delegated Regulation (EU) 2018/389 Art. 4: locked after 5 consecutive failures, codes used once, a login or payment confirmation abandoned after 5 minutes without activity, INTERACTION_IDLE_TTL 300); settings given explicitly win over the profile' },
  { env: 'EXPIRY_WARNING_DAYS', path: 'expiryWarningDays', parse: int, doc: 'warn this many days before a password expires (default 7)' },
  { env: 'LEVELS', path: 'levels', parse: json, doc: 'the level table as JSON, lowest first: [{"acr": "...", "steps": ["identify", "password", "<second-factor>"]}]; a "<slot>" entry is filled by any step of that slot; every step named must be installed (default: urn:idp:loa:1 identify, password; urn:idp:loa:2 the same and a second factor; urn:idp:loa:3 identify, certificate, password, offered when MTLS_MODE is not off; after each of them the SPID level that meets it, https://www.spid.gov.it/SpidL1, L2, L3, the step spid alone, offered when SPID providers are configured)' },
  { env: 'DEFAULT_ACR', path: 'defaultAcr', parse: str, doc: 'acr used when neither the request nor the client asks one (default urn:idp:loa:1)' },
  { env: 'INTERACTION_TTL', path: 'ttl.interactionSeconds', parse: int, doc: 'seconds a login may take (default 1800)' },
  { env: 'INTERACTION_IDLE_TTL', path: 'ttl.idleSeconds', parse: int, doc: 'a login (and a payment confirmation) left this many seconds without a request is abandoned: the next request gets the "start again" page (default 0: no idle limit, only INTERACTION_TTL; 300 under POLICY_PROFILE psd2)' },
  { env: 'SESSION_TTL', path: 'ttl.sessionSeconds', parse: int, doc: 'SSO session lifetime in seconds (default 28800)' },
  { env: 'ACCESS_TOKEN_TTL', path: 'ttl.accessTokenSeconds', parse: int, doc: 'access token lifetime in seconds (default 600)' },
  { env: 'ID_TOKEN_TTL', path: 'ttl.idTokenSeconds', parse: int, doc: 'ID token lifetime in seconds (default 3600)' },
  { env: 'REFRESH_TOKEN_TTL', path: 'ttl.refreshTokenSeconds', parse: int, doc: 'refresh token lifetime in seconds (default 28800)' },
  { env: 'FORM_LIMIT_BYTES', path: 'formLimitBytes', parse: int, doc: 'largest accepted form body (default 16384)' },
  { env: 'AUDIT_MAX_ENTRIES', path: 'auditMaxEntries', parse: int, doc: 'audit stream retention, in entries (default 1000000)' },
  { env: 'OTP_TTL', path: 'otp.validitySeconds', parse: int, doc: 'seconds an emailed or texted one-time code is valid; no new code is sent meanwhile (default 300)' },
  { env: 'OTP_MAX_ATTEMPTS', path: 'otp.maxAttempts', parse: int, doc: 'wrong entries that void a one-time code (default 5); each also counts toward the password lockout' },
  { env: 'OUTBOX', path: 'delivery.outbox', parse: bool, doc: 'write messages of channels with no SMTP or SMS gateway configured to OUTBOX_FILE (default: on outside production)' },
  { env: 'OUTBOX_FILE', path: 'delivery.outboxFile', parse: str, doc: 'the outbox: one JSON object per message (default var/outbox.jsonl)' },
  { env: 'DELIVERY_TIMEOUT_MS', path: 'delivery.timeoutMs', parse: int, doc: 'how long an SMTP or SMS gateway exchange may take (default 10000)' },
  { env: 'SMTP_HOST', path: 'delivery.smtp.host', parse: str, doc: 'SMTP server for email; unset: email goes to the outbox' },
  { env: 'SMTP_PORT', path: 'delivery.smtp.port', parse: int, doc: 'SMTP port (default 587)' },
  { env: 'SMTP_TLS', path: 'delivery.smtp.tls', parse: str, doc: 'starttls (when offered; default), required (refuse to send without STARTTLS), implicit (TLS from the start, port 465), none' },
  { env: 'SMTP_USER', path: 'delivery.smtp.user', parse: str, doc: 'SMTP user (unset: no authentication)' },
  { env: 'SMTP_PASSWORD', path: 'delivery.smtp.password', parse: str, doc: 'SMTP password' },
  { env: 'MAIL_FROM', path: 'delivery.smtp.from', parse: str, doc: 'sender address of emails (default no-reply@localhost)' },
  { env: 'SMS_GATEWAY_URL', path: 'delivery.sms.url', parse: str, doc: 'HTTP SMS gateway: messages are POSTed there as JSON; unset: SMS go to the outbox' },
  { env: 'SMS_GATEWAY_AUTH', path: 'delivery.sms.authHeader', parse: str, doc: 'value of the Authorization header sent to the SMS gateway' },
  { env: 'SMS_GATEWAY_BODY', path: 'delivery.sms.bodyTemplate', parse: str, doc: 'JSON body sent to the gateway; "{{to}}" and "{{text}}" in its strings are replaced (default {"to":"{{to}}","text":"{{text}}"})' },
  { env: 'DOCUMENTS_DIR', path: 'documents.dir', parse: str, doc: 'where uploaded identity documents are kept, encrypted with DATA_KEY (default var/documents)' },
  { env: 'DOCUMENT_MAX_BYTES', path: 'documents.maxBytes', parse: int, doc: 'largest identity document accepted (default 5242880)' },
  { env: 'DOCUMENT_RETENTION_DAYS', path: 'documents.retentionDays', parse: int, doc: 'days a document is kept after its request is decided (default 90)' },
  { env: 'AUDIT_RETENTION_DAYS', path: 'auditRetentionDays', parse: int, doc: 'audit stream retention, in days: older events are dropped (default 0: only AUDIT_MAX_ENTRIES applies)' },
  { env: 'ADMINISTRATION_ACR', path: 'administrationAcr', parse: str, doc: 'level the company administration pages require (default urn:idp:loa:1, the administrator login)' },
  { env: 'ID_TOKEN_ALG', path: 'idTokenAlg', parse: str, doc: 'ID token signature for clients that register none: RS256 (the OpenID default) or ES256 (about 1 ms less CPU per token; the generated keys have both)' },
  { env: 'BACKOFFICE_ACR', path: 'backofficeAcr', parse: str, doc: 'level the back-office pages (companies, member requests) require (default urn:idp:loa:2)' },
  { env: 'STRONG_ACR', path: 'strongAcr', parse: str, doc: 'level the pages that change credentials require: printing a card, setting up the app, deleting mobile credentials (default urn:idp:loa:2)' },
  { env: 'BRAND_NAME', path: 'brand.name', parse: str, doc: 'the bank\'s name in every page\'s header, title and footer (default: Accesso sicuro, Secure sign-in in English)' },
  { env: 'BRAND_LOGO', path: 'brand.logo', parse: str, doc: 'an SVG or PNG file (at most 256 KiB) shown in the header and served from this server at /assets/logo (default: a built-in shield mark)' },
  { env: 'BRAND_PRIMARY_COLOR', path: 'brand.primaryColor', parse: str, doc: 'buttons, links and the header line, as #rrggbb with at least 4.5:1 contrast with white (default #0b5394; CSS variable --brand-primary)' },
  { env: 'BRAND_BACKGROUND_COLOR', path: 'brand.backgroundColor', parse: str, doc: 'the page background around the form, as a light #rrggbb (default #eef2f6; CSS variable --brand-background)' },
  { env: 'BRAND_HELP_URL', path: 'brand.helpUrl', parse: str, doc: 'the footer\'s "Help" link (default /help, a page of this server on signing in and recovering access)' },
  { env: 'BRAND_PRIVACY_URL', path: 'brand.privacyUrl', parse: str, doc: 'the footer\'s "Privacy" link (unset: not shown)' },
  { env: 'BRAND_CONTACT_URL', path: 'brand.contactUrl', parse: str, doc: 'the footer\'s "Contact us" link: a web page, mailto: or tel: (unset: not shown)' },
  { env: 'TREASURY_FUNCTIONS', path: 'treasuryFunctions', parse: list, doc: 'functions a telematic account can enable (default balance,statements,payments,transfers,f24,payroll,collections)' },
];

export class ConfigError extends Error {}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let node = target;
  for (const part of parts.slice(0, -1)) {
    if (typeof node[part] !== 'object' || node[part] === null) node[part] = {};
    node = node[part] as Record<string, unknown>;
  }
  node[parts[parts.length - 1]!] = value;
}

function deepMerge(base: unknown, over: unknown): unknown {
  if (Array.isArray(over) || typeof over !== 'object' || over === null) return over;
  if (typeof base !== 'object' || base === null || Array.isArray(base)) return over;
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [k, v] of Object.entries(over)) out[k] = deepMerge(out[k], v);
  return out;
}

/** Every environment setting: the core's, then each installed method's (under `methods.<id>`). */
export function allSettings(modules: readonly MethodModule[] = installedMethods): Setting[] {
  return [
    ...SETTINGS,
    ...modules.flatMap((m) => (m.settings?.env ?? []).map((e) => ({ ...e, path: `methods.${m.id}.${e.path}` }))),
  ];
}

function settingNamed(settings: Setting[], path: string): string {
  const setting = settings.find((s) => s.path === path) ?? settings.find((s) => path.startsWith(`${s.path}.`))
    ?? settings.find((s) => s.path === '*lockout' && /^passwords\.\w+\.maxFailures$/.test(path));
  return setting ? `${setting.env} (${path})` : path || 'configuration';
}

/**
 * Builds the configuration; throws ConfigError naming the setting at fault. `modules`: the installed
 * methods, whose settings are read and validated here too.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Record<string, unknown> = {}, modules: readonly MethodModule[] = installedMethods): Config {
  let merged: Record<string, unknown> = structuredClone(DEFAULTS) as unknown as Record<string, unknown>;
  merged.production = env.NODE_ENV === 'production';
  delete merged.demo; // derived from production mode unless set explicitly
  merged.methods = Object.fromEntries(modules.filter((m) => m.settings).map((m) => [m.id, structuredClone(m.settings!.defaults)]));
  let fileData: unknown;
  if (env.CONFIG_FILE) {
    try {
      fileData = JSON.parse(readFileSync(env.CONFIG_FILE, 'utf8'));
    } catch (err) {
      throw new ConfigError(`CONFIG_FILE ${env.CONFIG_FILE}: ${(err as Error).message}`);
    }
  }
  // The policy profile changes the defaults; the file, the environment and overrides still win.
  const profile = overrides.policyProfile ?? env.POLICY_PROFILE ?? (fileData as { policyProfile?: unknown } | undefined)?.policyProfile;
  if (profile === 'psd2') merged = deepMerge(merged, psd2Defaults(merged)) as Record<string, unknown>;
  if (fileData !== undefined) merged = deepMerge(merged, legacyMethodKeys(fileData, modules)) as Record<string, unknown>;
  const settings = allSettings(modules);
  const fromEnv: Record<string, unknown> = {};
  for (const s of settings) {
    const raw = env[s.env];
    if (raw === undefined || raw === '') continue;
    if (s.path === '*lockout') {
      for (const kind of Object.keys(DEFAULTS.passwords)) setPath(fromEnv, `passwords.${kind}.maxFailures`, s.parse(raw));
    } else {
      setPath(fromEnv, s.path, s.parse(raw));
    }
  }
  merged = deepMerge(merged, fromEnv) as Record<string, unknown>;
  merged = deepMerge(merged, legacyMethodKeys(overrides, modules)) as Record<string, unknown>;
  merged.demo ??= !merged.production;
  if (merged.issuer === undefined) merged.issuer = `http://localhost:${String(merged.port)}`;

  const parsed = schema.safeParse(merged);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(`invalid setting ${settingNamed(settings, issue.path.join('.'))}: ${issue.message}`);
  }
  const config = parsed.data;
  for (const m of modules) {
    if (!m.settings) continue;
    const own = m.settings.schema.safeParse(config.methods[m.id]);
    if (!own.success) {
      const issue = own.error.issues[0]!;
      throw new ConfigError(`invalid setting ${settingNamed(settings, ['methods', m.id, ...issue.path].join('.'))}: ${issue.message}`);
    }
    config.methods[m.id] = own.data;
  }
  const acrs = new Set(config.levels.map((l) => l.acr));
  for (const [name, path, acr] of [
    ['DEFAULT_ACR', 'defaultAcr', config.defaultAcr], ['ADMINISTRATION_ACR', 'administrationAcr', config.administrationAcr],
    ['BACKOFFICE_ACR', 'backofficeAcr', config.backofficeAcr], ['STRONG_ACR', 'strongAcr', config.strongAcr],
  ] as const) {
    if (!acrs.has(acr)) throw new ConfigError(`invalid setting ${name} (${path}): ${acr} is not one of the levels (${[...acrs].join(', ')})`);
  }
  if (acrs.size !== config.levels.length) throw new ConfigError('invalid setting LEVELS (levels): two levels with the same acr');
  if (config.issuer.endsWith('/')) config.issuer = config.issuer.slice(0, -1);
  if (config.production && !config.dataKey) throw new ConfigError('invalid setting DATA_KEY (dataKey): required in production');
  return config;
}

/**
 * The psd2 profile (Commission Delegated Regulation (EU) 2018/389, Art. 4): at most 5 consecutive
 * failures before the block, for every password kind and every method setting named `maxFailures`;
 * a login or confirmation left 5 minutes without a request is abandoned.
 */
export const PSD2_MAX_FAILURES = 5;
export const PSD2_IDLE_SECONDS = 300;
function psd2Defaults(base: Record<string, unknown>): Record<string, unknown> {
  const passwords = Object.fromEntries(Object.keys(DEFAULTS.passwords).map((k) => [k, { maxFailures: PSD2_MAX_FAILURES }]));
  const methods = Object.fromEntries(Object.entries((base.methods ?? {}) as Record<string, Record<string, unknown>>)
    .filter(([, v]) => typeof v?.maxFailures === 'number').map(([id]) => [id, { maxFailures: PSD2_MAX_FAILURES }]));
  return {
    passwords, methods,
    otp: { maxAttempts: Math.min(DEFAULTS.otp.maxAttempts, PSD2_MAX_FAILURES) },
    ttl: { idleSeconds: PSD2_IDLE_SECONDS },
  };
}

/** Method settings given at the top level (`card: {...}`, as before `methods.card`) move under `methods`. */
function legacyMethodKeys(data: unknown, modules: readonly MethodModule[]): unknown {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return data;
  const out: Record<string, unknown> = { ...(data as Record<string, unknown>) };
  for (const m of modules) {
    if (!m.settings || !(m.id in out) || m.id in schema.shape) continue;
    out.methods = deepMerge(out.methods ?? {}, { [m.id]: out[m.id] });
    delete out[m.id];
  }
  return out;
}

/** The configuration table of README.md (a test keeps the two the same). */
export function settingsTable(modules: readonly MethodModule[] = installedMethods): string {
  const rows = allSettings(modules).map((s) => `| \`${s.env}\` | ${s.doc} |`);
  return ['| variable | meaning (default) |', '| --- | --- |', ...rows].join('\n');
}
