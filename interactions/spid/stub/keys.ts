// The stand-in's keys, generated at first start and kept in a file under its keys directory
// (var/spid-stub by default, mode 0600): the OP's signing key, its federation key, the stand-in
// trust anchor's key. A key made at each start signs what the "wrong signature" outcome sends.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';
import type { SigningKey } from '../federation.ts';

export interface StubKey extends SigningKey { jwk: JWK; publicJwk: JWK }
export interface StubKeys { op: StubKey; opFederation: StubKey; anchor: StubKey; rogue: StubKey }

async function fresh(use: string): Promise<JWK> {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true, modulusLength: 2048 });
  return { ...(await exportJWK(privateKey)), alg: 'RS256', use: 'sig', kid: `${use}-${randomBytes(6).toString('hex')}` };
}

async function load(jwk: JWK): Promise<StubKey> {
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...publicJwk } = jwk;
  return { key: (await importJWK(jwk, 'RS256')) as CryptoKey, kid: jwk.kid!, alg: 'RS256', jwk, publicJwk };
}

export async function stubKeys(dir: string): Promise<StubKeys> {
  const file = path.join(dir, 'keys.json');
  let stored: Record<'op' | 'opFederation' | 'anchor', JWK>;
  if (existsSync(file)) {
    stored = JSON.parse(readFileSync(file, 'utf8')) as typeof stored;
  } else {
    stored = { op: await fresh('op'), opFederation: await fresh('op-fed'), anchor: await fresh('anchor') };
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileSync(file, JSON.stringify(stored), { mode: 0o600, flag: 'wx' });
  }
  const rogue = await load({ ...(await fresh('rogue')), kid: stored.op.kid });
  return { op: await load(stored.op), opFederation: await load(stored.opFederation), anchor: await load(stored.anchor), rogue };
}
