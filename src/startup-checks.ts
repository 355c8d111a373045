// What production mode refuses at start, each with the setting to fix: a DATA_KEY of low entropy, a
// DATA_KEY that does not open the data already sealed in Redis (checked in server-keys.ts), an
// http:// issuer, demo data or /demo, and signing keys kept in Redis in plain form (idem).
import { ConfigError, type Config } from './config.ts';
import { parseDataKey } from './crypto/sealed.ts';

/** True for a key no random generator would give: few distinct bytes (all zeros, a repeated pattern). */
export function lowEntropy(key: Buffer): boolean {
  return new Set(key).size < 16;
}

function loopback(host: string): boolean {
  return /^(localhost|127(\.\d{1,3}){3}|\[?::1\]?)$/.test(host);
}

/** The settings production mode refuses (none outside production). */
export function productionProblems(config: Config): string[] {
  if (!config.production) return [];
  const problems: string[] = [];
  const key = config.dataKey ? parseDataKey(config.dataKey) : undefined;
  if (key && lowEntropy(key)) problems.push('DATA_KEY (dataKey): low entropy (a repeated pattern): generate one with `openssl rand -hex 32`');
  // An http:// issuer is refused unless nothing but this machine can reach the IdP at all (a loopback
  // issuer and a loopback HOST: benchmarks, local trials), where it cannot be a real deployment.
  if (!config.issuer.startsWith('https://') && !(loopback(new URL(config.issuer).hostname) && loopback(config.host))) {
    problems.push('ISSUER (issuer): production needs an https:// issuer');
  }
  if (config.demo) problems.push('DEMO (demo): no demo data and no /demo in production');
  return problems;
}

export function checkProduction(config: Config): void {
  const problems = productionProblems(config);
  if (problems.length) throw new ConfigError(`invalid setting ${problems.join('; invalid setting ')}`);
}
