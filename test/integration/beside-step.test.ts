// The step contract's "beside" hook (passwordless sign-in), driven with fake steps: a step offered
// beside the identifying step adds its partial to that page, takes the posts that name it (JSON too),
// and its success with the level it reached ends the chain when that meets the login's level.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createIdp, type Idp } from '../../src/app.ts';
import { answer } from '../../src/flow/answer.ts';
import { baseContext, type BaseContext, type Details } from '../../src/flow/context.ts';
import { present } from '../../src/flow/present.ts';
import { StepRegistry } from '../../src/flow/registry.ts';
import { defineStep, type FlowState, type Step } from '../../src/flow/step.ts';
import { applyImport, parseImport } from '../../src/provisioning/import.ts';
import { TEST_DATA } from '../helpers/data.ts';
import { testConfig } from '../helpers/idp.ts';

const MARIO_ID = 'C.RSSMRA85T10A562S';

const identify = defineStep({
  id: 'fake-identify', kind: 'login', amr: [], requiresUser: false, identifies: true, form: z.object({ who: z.string() }),
  async render() { return { view: 'identify' }; },
  async action(ctx) {
    ctx.flow.identified = { accountId: MARIO_ID, name: MARIO_ID, known: true };
    return { type: 'success' };
  },
});
const password = defineStep({
  id: 'fake-password', kind: 'login', amr: ['pwd'], requiresUser: true, form: z.object({}),
  async render() { return { view: 'password' }; },
  async action() { return { type: 'success' }; },
});
/** Offered when the client says so; reaches the level in its form (passwordless). */
const alone = defineStep({
  id: 'fake-alone', kind: 'login', amr: ['hwk'], requiresUser: false, json: true,
  form: z.object({ op: z.enum(['options', 'finish']), reach: z.string().optional() }),
  async beside(ctx) { return ctx.client.offer === true ? { view: 'alone-partial', data: { hint: 'x' } } : undefined; },
  async render() { return { view: 'alone' }; },
  async action(ctx, f) {
    if (f.op === 'options') return { type: 'json', body: { challenge: 'c' } };
    ctx.flow.identified = { accountId: MARIO_ID, name: MARIO_ID, known: true };
    return { type: 'success', amr: ['hwk', 'user', 'mfa'], acr: f.reach };
  },
});

let idp: Idp;
beforeAll(async () => {
  idp = await createIdp(testConfig());
  await applyImport(parseImport(JSON.stringify(TEST_DATA), 'test', idp.services), idp.services, idp.provider);
});
afterAll(async () => idp?.close());

const steps = (() => {
  const r = new StepRegistry();
  for (const s of [identify, password, alone] as Step[]) r.add(s);
  return r;
})();

function context(acr: string, client: Record<string, unknown>, params: Record<string, unknown> = {}): BaseContext {
  const flow: FlowState = {
    prompt: 'login', acr, chain: ['fake-identify', 'fake-password'], index: 0, locale: 'en', amr: [], pending: [], choices: {}, triggered: false, steps: {},
  };
  const details = { uid: 'uid-b', params: { client_id: 'rp', ...params }, prompt: { name: 'login', reasons: [], details: {} } } as unknown as Details;
  return baseContext({
    services: idp.services, provider: idp.provider, details, flow, client,
    request: { method: 'POST', path: '/interaction/uid-b', headers: {}, ip: '127.0.0.1', peerIp: '127.0.0.1', fromTrustedProxy: false },
  });
}

describe('a step offered beside the identifying step', () => {
  it('adds its partial to the identify page only when it offers itself', async () => {
    expect(await present(context('urn:idp:loa:1', { offer: true }), steps)).toMatchObject({
      page: { view: 'identify', data: { beside: [{ step: 'fake-alone', view: 'alone-partial', data: { hint: 'x' } }] } },
    });
    expect(await present(context('urn:idp:loa:1', {}), steps)).toEqual({ type: 'page', page: { view: 'identify' } });
  });

  it('takes the posts that name it, JSON too; others go to the identifying step or are refused', async () => {
    const ctx = context('urn:idp:loa:1', { offer: true });
    expect(await answer(ctx, steps, { step: 'fake-alone', op: 'options' }, true)).toEqual({ type: 'json', body: { challenge: 'c' }, status: 200 });
    await expect(answer(ctx, steps, { op: 'options' }, true)).rejects.toMatchObject({ status: 415 });
    await expect(answer(context('urn:idp:loa:1', {}), steps, { step: 'fake-alone', op: 'options' }, true)).rejects.toMatchObject({ status: 415 });
    // Not offered: the post is the identify form's (which wants its own field).
    expect(await answer(context('urn:idp:loa:1', {}), steps, { step: 'fake-alone', op: 'finish' })).toMatchObject({ page: { view: 'identify', status: 400 } });
    expect(await answer(ctx, steps, { step: 'fake-alone', op: 'nonsense' })).toMatchObject({ page: { view: 'alone', status: 400 } });
  });

  it('ends the login at the level it reached when that meets the one asked (unless an essential one was asked)', async () => {
    const done = await answer(context('urn:idp:loa:1', { offer: true }), steps, { step: 'fake-alone', op: 'finish', reach: 'urn:idp:loa:2' });
    expect(done).toMatchObject({ type: 'finish', result: { login: { acr: 'urn:idp:loa:2', amr: ['hwk', 'user', 'mfa'] } } });
    const claims = JSON.stringify({ id_token: { acr: { essential: true, value: 'urn:idp:loa:1' } } });
    const essential = await answer(context('urn:idp:loa:1', { offer: true }, { claims }), steps, { step: 'fake-alone', op: 'finish', reach: 'urn:idp:loa:2' });
    expect(essential).toMatchObject({ type: 'finish', result: { login: { acr: 'urn:idp:loa:1' } } });
  });

  it('only identifies the user when its level is below the one asked: the chain goes on', async () => {
    const ctx = context('urn:idp:loa:2', { offer: true });
    expect(await answer(ctx, steps, { step: 'fake-alone', op: 'finish', reach: 'urn:idp:loa:1' })).toMatchObject({ type: 'page', page: { view: 'password' } });
    expect(ctx.flow).toMatchObject({ acr: 'urn:idp:loa:2', amr: ['hwk', 'user', 'mfa'], identified: { accountId: MARIO_ID } });
  });
});
