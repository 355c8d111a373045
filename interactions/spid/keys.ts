// The broker's keys (a federation key that signs our entity configuration, a core key that signs
// request objects and client assertions, a key the providers encrypt userinfo to), generated at first start and kept in Redis sealed under
// DATA_KEY like the IdP's own signing keys (SET NX: the first process's keys win), and the Redis
// rows of this method.
import { randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';
import type { KeyDoc } from '../../src/methods/method.ts';
import type { Services } from '../../src/services.ts';
import type { SigningKey } from './federation.ts';

export const spidKeys = {
  keys: 'spid:keys',
  chain: (entityId: string) => `spid:chain:{${entityId}}`,
  attributes: (accountId: string) => `acct:{${accountId}}:spid`,
};

export const SPID_KEYS: KeyDoc[] = [
  { key: 'spid:keys', type: 'string', ttl: 'none', what: 'SPID broker keys (federation signing, request objects and client assertions, userinfo decryption), sealed under DATA_KEY' },
  { key: 'spid:chain:{ENTITY}', type: 'string', ttl: 'the chain\'s expiry (15 seconds when it failed)', what: 'a SPID provider\'s verified trust chain: its metadata after policy, or why it failed' },
  { key: 'acct:{ID}:spid', type: 'hash', ttl: 'none', what: 'SPID attributes of the citizen\'s last SPID login (spid_code, fiscal number, names, contacts)' },
];

export interface BrokerKeys {
  federation: SigningKey & { publicJwk: JWK };
  core: SigningKey & { publicJwk: JWK };
  /** Decrypts the providers' encrypted userinfo (RSA-OAEP-256). */
  encryption: { key: CryptoKey; kid: string; publicJwk: JWK };
}

type Stored = { federation: JWK; core: JWK; encryption: JWK };

async function one(use: 'fed' | 'core' | 'enc'): Promise<JWK> {
  const alg = use === 'enc' ? 'RSA-OAEP-256' : 'RS256';
  const { privateKey } = await generateKeyPair(alg, { extractable: true, modulusLength: 2048 });
  return { ...(await exportJWK(privateKey)), alg, use: use === 'enc' ? 'enc' : 'sig', kid: `${use}-${randomBytes(6).toString('hex')}` };
}

async function make(): Promise<Stored> {
  return { federation: await one('fed'), core: await one('core'), encryption: await one('enc') };
}

function publicOf(jwk: JWK): JWK {
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...publicJwk } = jwk;
  return publicJwk;
}

async function load(jwk: JWK): Promise<SigningKey & { publicJwk: JWK }> {
  return { key: (await importJWK(jwk, 'RS256')) as CryptoKey, kid: jwk.kid!, alg: 'RS256', publicJwk: publicOf(jwk) };
}

const cache = new WeakMap<Services, Promise<BrokerKeys>>();

export function brokerKeys(s: Services): Promise<BrokerKeys> {
  let p = cache.get(s);
  if (!p) {
    p = (async () => {
      const purpose = 'spid:keys';
      let raw = await s.redis.get(spidKeys.keys);
      if (!raw) {
        await s.redis.set(spidKeys.keys, s.sealer.seal(JSON.stringify(await make()), purpose), 'NX');
        raw = (await s.redis.get(spidKeys.keys))!;
      }
      const jwks = JSON.parse(s.sealer.openText(raw, purpose)) as Stored;
      const enc = jwks.encryption;
      return {
        federation: await load(jwks.federation),
        core: await load(jwks.core),
        encryption: { key: (await importJWK(enc, 'RSA-OAEP-256')) as CryptoKey, kid: enc.kid!, publicJwk: publicOf(enc) },
      };
    })();
    p.catch(() => cache.delete(s));
    cache.set(s, p);
  }
  return p;
}
