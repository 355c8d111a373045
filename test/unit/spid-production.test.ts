// The SPID method refuses, in production, what exists only for the stand-in.
import { describe, expect, it } from 'vitest';
import spid from '../../interactions/spid/index.ts';
import { loadConfig } from '../../src/config.ts';
import type { Services } from '../../src/services.ts';

const inProduction = (env: Record<string, string>) => ({ config: { ...loadConfig(env, { demo: false }), production: true } }) as unknown as Services;

describe('SPID in production', () => {
  it('refuses the stand-in and plain JSON userinfo, naming the setting', async () => {
    await expect(spid.start!(inProduction({ SPID_STUB: '1' }))).rejects.toThrow(/SPID_STUB/);
    await expect(spid.start!(inProduction({ SPID_USERINFO_PLAIN: '1' }))).rejects.toThrow(/SPID_USERINFO_PLAIN/);
  });
});
