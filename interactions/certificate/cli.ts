// `npm run idp -- cert ...`: the counter's and the back office's certificate commands. `issue` is the
// fallback for a browser without WebCrypto: the key is made here and handed over in a PKCS#12 file
// whose password is read from standard input (out of ps and shell history).
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import forge from 'node-forge';
import { CommandError, defineCommand, UsageError } from '../../src/cli/command.ts';
import { accountIdFromArgs } from '../../src/cli/user-arg.ts';
import { COMPANY_CODE } from '../../src/companies/companies.ts';
import type { Services } from '../../src/services.ts';
import { caOf } from './ca.ts';
import { certificatesOf, CertError, Certificates, stateOf, type CertRecord } from './certificates.ts';
import { refreshCrl } from './crl-store.ts';
import { isRevocationReason, REVOCATION_REASONS } from './crl.ts';
import { keyFingerprint } from './csr.ts';
import { certKeys } from './keys.ts';
import { makePkcs12, p12PasswordProblem } from './pkcs12.ts';

const SUBCOMMANDS = ['issue', 'list', 'revoke', 'status', 'require', 'crl'];

async function stdinLine(): Promise<string> {
  let text = '';
  for await (const chunk of process.stdin) text += String(chunk);
  return text.split(/\r?\n/)[0] ?? '';
}

const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

function describe(r: CertRecord, now: number) {
  return {
    serial: r.serial, identifier: r.identifier, account: r.accountId, company: r.companyCode, operator: r.operatorCode || null,
    subject: r.subject, state: stateOf(r, now), issued: iso(r.issuedAt), not_before: iso(r.notBefore), not_after: iso(r.notAfter),
    revoked_at: iso(r.revokedAt) ?? null, reason: r.reason ?? null, fingerprint_sha256: r.fingerprint, key: r.via, renews: r.replaces ?? null,
  };
}

function line(r: CertRecord, now: number): string {
  const d = describe(r, now);
  return `${d.serial}  ${d.identifier}  ${d.account.padEnd(24)} ${d.state}${d.reason ? ` (${d.reason})` : ''}  until ${d.not_after!.slice(0, 10)}`;
}

/** A new key pair made here, a certificate for it, and both in a PKCS#12 file. */
export async function issueWithServerKey(s: Services, accountId: string, password: string, actor: string, replaces?: string, identifier?: string) {
  const account = await s.accounts.findById(accountId);
  if (!account || account.disabled || !Certificates.holds(account)) throw new CertError('certificate.not_for_account', 403);
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const publicPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const certs = certificatesOf(s);
  const record = await certs.issue({
    holder: account, identifier: identifier ?? (await certs.nextIdentifier(account)),
    publicKey: forge.pki.publicKeyFromPem(publicPem) as forge.pki.rsa.PublicKey, keyFingerprint: keyFingerprint(publicPem),
    via: 'server', replaces, actor,
  });
  const ca = await caOf(s);
  const p12 = makePkcs12(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), record.pem, ca.pem, password, record.identifier);
  return { record, p12 };
}

export const certCommand = defineCommand({
  name: 'cert',
  usage: [
    'cert issue COMPANY [OPERATOR] --out FILE.p12     a certificate with a key made here (PKCS#12 password on standard input)',
    'cert list COMPANY                               the company\'s certificates',
    `cert revoke SERIAL --reason ${Object.keys(REVOCATION_REASONS).join('|')}`,
    'cert status SERIAL                              one certificate',
    'cert require COMPANY on|off                     the company\'s administrator and operators must log in with a certificate',
    'cert crl [--out FILE.der]                       rebuild the CRL now (and write it)',
  ],
  options: { out: { type: 'string' }, reason: { type: 'string' } },
  async run(args, values, ctx) {
    const [sub, ...rest] = args;
    if (!sub || !SUBCOMMANDS.includes(sub)) throw new UsageError(sub ? `unknown cert command: ${sub}` : `cert: one of ${SUBCOMMANDS.join(', ')}`);
    const json = !!values.json;
    const { services: s } = await ctx.idp();
    const certs = certificatesOf(s);
    const now = s.clock.now();
    const english = (err: unknown): never => {
      if (err instanceof CertError) throw new CommandError(s.views.strings.t('en', err.key));
      throw err;
    };

    if (sub === 'issue') {
      const id = accountIdFromArgs(rest[0], rest[1]);
      if (!/^\d{8}$/.test(rest[0] ?? '')) throw new UsageError('cert issue COMPANY [OPERATOR]: certificates are for company administrators and operators');
      const out = values.out;
      if (typeof out !== 'string' || !out) throw new UsageError('cert issue needs --out FILE.p12');
      const password = await stdinLine();
      const problem = p12PasswordProblem(password);
      if (problem) throw new CommandError(`the PKCS#12 password on standard input: ${s.views.strings.t('en', problem, { min: 8 })}; nothing issued`);
      const { record, p12 } = await issueWithServerKey(s, id, password, 'cli').catch(english);
      try {
        writeFileSync(out, p12, { mode: 0o600 });
      } catch (err) {
        await certs.revoke(record.serial, 'cessationOfOperation', 'cli');
        throw new CommandError(`cannot write ${out}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}; certificate ${record.serial} revoked again`);
      }
      if (json) return JSON.stringify({ ...describe(record, now), file: out });
      return `issued certificate ${record.serial}, identifier ${record.identifier}, for ${id} until ${iso(record.notAfter)!.slice(0, 10)}; PKCS#12 written to ${out}`;
    }

    if (sub === 'list') {
      const code = rest[0];
      if (!code || !COMPANY_CODE.test(code)) throw new UsageError('cert list COMPANY: an 8-digit company code');
      const list = await certs.ofCompany(code);
      if (json) return JSON.stringify(list.map((r) => describe(r, now)));
      return list.map((r) => line(r, now)).join('\n') || `(no certificates for ${code})`;
    }

    if (sub === 'status' || sub === 'revoke') {
      const serial = (rest[0] ?? '').toUpperCase();
      const record = await certs.get(serial);
      if (!record) throw new CommandError(`no certificate with serial ${rest[0] ?? ''}`);
      if (sub === 'status') return json ? JSON.stringify(describe(record, now)) : line(record, now);
      const reason = String(values.reason ?? '');
      if (!isRevocationReason(reason)) throw new UsageError(`--reason: one of ${Object.keys(REVOCATION_REASONS).join(', ')}`);
      const done = await certs.revoke(serial, reason, 'cli');
      const after = (await certs.get(serial))!;
      if (json) return JSON.stringify({ ...describe(after, now), revoked_now: done === 'ok' });
      return done === 'ok' ? `revoked ${serial} (${reason}); the CRL is rebuilt` : `${serial} was already revoked on ${iso(after.revokedAt)} (${after.reason})`;
    }

    if (sub === 'require') {
      const [code, flag] = rest;
      if (!code || !COMPANY_CODE.test(code) || !['on', 'off'].includes(flag ?? '')) throw new UsageError('cert require COMPANY on|off');
      if (flag === 'on') await s.redis.sadd(certKeys.requireCertificate, code);
      else await s.redis.srem(certKeys.requireCertificate, code);
      await s.audit.record({ event: 'certificate.require', outcome: 'success', actor: 'cli', subject: code, reason: flag });
      return json ? JSON.stringify({ company: code, require_certificate: flag === 'on' }) : `company ${code}: certificate login ${flag === 'on' ? 'required' : 'no longer required'}`;
    }

    // crl
    const crl = await refreshCrl(s, { force: true });
    if (typeof values.out === 'string' && values.out) writeFileSync(values.out, crl.der);
    return json ? JSON.stringify({ number: crl.number, this_update: iso(crl.thisUpdate), next_update: iso(crl.nextUpdate), bytes: crl.der.length }) : `CRL number ${crl.number}, ${crl.der.length} bytes, next update ${iso(crl.nextUpdate)}`;
  },
});
