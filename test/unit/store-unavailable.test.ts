// The errors ioredis raises when Redis is away are told apart from bugs (503, not 500).
import { describe, expect, it } from 'vitest';
import { MaxRetriesPerRequestError } from 'ioredis/built/errors/index.js';
import { isStoreUnavailable } from '../../src/store/redis.ts';

describe('isStoreUnavailable', () => {
  it('knows the errors of a Redis that is away, a failover included', () => {
    expect(isStoreUnavailable(new MaxRetriesPerRequestError(1))).toBe(true);
    expect(isStoreUnavailable(new Error('Failed to refresh slots cache.'))).toBe(true);
    expect(isStoreUnavailable(new Error("READONLY You can't write against a read only replica."))).toBe(true);
    expect(isStoreUnavailable(new Error('NOREPLICAS: 0 of 1 replicas acknowledged the write within 1000 ms'))).toBe(true);
  });
  it('does not hide a bug behind a 503', () => {
    expect(isStoreUnavailable(new TypeError('cannot read properties of undefined'))).toBe(false);
    expect(isStoreUnavailable(new Error('ERR wrong number of arguments'))).toBe(false);
  });
});
