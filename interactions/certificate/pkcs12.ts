// PKCS#12 files (node-forge): the certificate, the CA beside it and the private key, protected by the
// user's password. Made here only for the fallback (a browser without WebCrypto, the counter): the
// activation page makes its own in the browser, with the same library.
import forge from 'node-forge';

export const P12_MIN_PASSWORD = 8;
export const P12_MAX_PASSWORD = 128;

export function p12PasswordProblem(password: string, confirm?: string): string | undefined {
  if (password.length < P12_MIN_PASSWORD) return 'certificate.p12_password_short';
  if (password.length > P12_MAX_PASSWORD) return 'form.too_long';
  if (confirm !== undefined && confirm !== password) return 'certificate.p12_password_mismatch';
  return undefined;
}

export function makePkcs12(keyPem: string, certPem: string, caPem: string, password: string, name: string): Buffer {
  const key = forge.pki.privateKeyFromPem(keyPem);
  const certs = [forge.pki.certificateFromPem(certPem), forge.pki.certificateFromPem(caPem)];
  const p12 = forge.pkcs12.toPkcs12Asn1(key, certs, password, { algorithm: 'aes256', friendlyName: name, generateLocalKeyId: true });
  return Buffer.from(forge.asn1.toDer(p12).getBytes(), 'binary');
}

/** Opens a PKCS#12 file: its key and certificates (throws on a wrong password or a damaged file). */
export function openPkcs12(der: Buffer, password: string): { key: forge.pki.rsa.PrivateKey | undefined; certs: forge.pki.Certificate[] } {
  const p12 = forge.pkcs12.pkcs12FromAsn1(forge.asn1.fromDer(der.toString('binary')), true, password);
  const keyBags = p12.getBags({ bagType: forge.pki.oids.pkcs8ShroudedKeyBag! })[forge.pki.oids.pkcs8ShroudedKeyBag!] ?? [];
  const certBags = p12.getBags({ bagType: forge.pki.oids.certBag! })[forge.pki.oids.certBag!] ?? [];
  return {
    key: keyBags[0]?.key as forge.pki.rsa.PrivateKey | undefined,
    certs: certBags.flatMap((b) => (b.cert ? [b.cert] : [])),
  };
}
