// The step contract, driven without HTTP: fake steps in a registry, the engine's deciding stages
// (present, answer, callback) called directly, and each result type seen as the outcome it becomes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createIdp, type Idp } from '../../src/app.ts';
import { answer, callback } from '../../src/flow/answer.ts';
import { baseContext, type BaseContext, type Details } from '../../src/flow/context.ts';
import { present } from '../../src/flow/present.ts';
import { StepRegistry } from '../../src/flow/registry.ts';
import { defineStep, type FlowState, type Step } from '../../src/flow/step.ts';
import { applyImport, parseImport } from '../../src/provisioning/import.ts';
import { TEST_DATA } from '../helpers/data.ts';
import { testConfig } from '../helpers/idp.ts';

const MARIO_ID = 'C.RSSMRA85T10A562S';
const page = (view: string) => ({ view });

const identify = defineStep({
  id: 'fake-identify', kind: 'login', amr: [], requiresUser: false, identifies: true, form: z.object({}),
  async render() { return page('identify'); },
  async action(ctx) {
    ctx.flow.identified = { accountId: MARIO_ID, name: MARIO_ID, known: true };
    return { type: 'success' };
  },
});
// Asks twice: the first answer is a challenge (its state remembers it), the second passes.
const twice = defineStep({
  id: 'fake-twice', kind: 'login', amr: ['pwd'], requiresUser: true, form: z.object({ x: z.string() }),
  state: z.object({ seen: z.number() }),
  async render(ctx) { return page(`twice ${ctx.state?.seen ?? 0}`); },
  async action(ctx) {
    const seen = (ctx.state?.seen ?? 0) + 1;
    ctx.setState({ seen });
    return seen < 2 ? { type: 'challenge', page: page('twice again') } : { type: 'success' };
  },
});
const wrong = defineStep({
  id: 'fake-wrong', kind: 'login', amr: ['otp'], requiresUser: true, form: z.object({}),
  async render() { return page('wrong'); },
  async action() { return { type: 'failure', page: { view: 'wrong', error: 'password.rejected' } }; },
});
const upstream = defineStep({
  id: 'fake-upstream', kind: 'login', amr: ['fed'], requiresUser: false, form: z.object({}),
  state: z.object({ state: z.string() }),
  async render() { return page('upstream'); },
  async action(ctx) {
    ctx.setState({ state: 'st-123' });
    return { type: 'redirect', url: 'https://upstream.example/authorize?state=st-123', bind: 'st-123' };
  },
  async callback(ctx, query) {
    if (query.state !== ctx.state?.state) return { type: 'failure', page: page('upstream') };
    return { type: 'success', amr: ['fed', 'mfa'] };
  },
});
const script = defineStep({
  id: 'fake-json', kind: 'login', amr: ['hwk'], requiresUser: true, json: true, form: z.object({ challenge: z.literal('please') }),
  async render() { return page('json'); },
  async action() { return { type: 'json', body: { challenge: 'abc' } }; },
});
const confirm = defineStep({
  id: 'fake-confirm', kind: 'prompt', prompt: 'confirm', amr: [], requiresUser: false, form: z.object({ ok: z.literal('1') }),
  async render() { return page('confirm'); },
  async action() { return { type: 'success', outcome: { confirmed: true } }; },
});

let idp: Idp;
beforeAll(async () => {
  idp = await createIdp(testConfig());
  await applyImport(parseImport(JSON.stringify(TEST_DATA), 'test', idp.services), idp.services, idp.provider);
});
afterAll(async () => idp?.close());

function registry(...steps: Step[]): StepRegistry {
  const r = new StepRegistry();
  for (const s of steps) r.add(s);
  return r;
}

function context(chain: string[], prompt = 'login', client: Record<string, unknown> = {}): BaseContext {
  const flow: FlowState = {
    prompt, acr: 'urn:test', chain, index: 0, locale: 'en', amr: [], pending: [], choices: {}, triggered: false, steps: {},
  };
  const details = { uid: 'uid-1', params: { client_id: 'rp' }, prompt: { name: prompt, reasons: [], details: {} } } as unknown as Details;
  return baseContext({
    services: idp.services, provider: idp.provider, details, flow, client,
    request: { method: 'POST', path: '/interaction/uid-1', headers: {}, ip: '127.0.0.1', peerIp: '127.0.0.1', fromTrustedProxy: false },
  });
}

describe('each result type becomes an outcome', () => {
  it('success moves on and, at the end, finishes the login with the amr of what happened', async () => {
    const steps = registry(identify, upstream);
    const ctx = context(['fake-identify', 'fake-upstream']);
    expect(await present(ctx, steps)).toMatchObject({ type: 'page', page: { view: 'identify' } });
    expect(await answer(ctx, steps, {})).toMatchObject({ type: 'page', page: { view: 'upstream' } });
    const redirect = await answer(ctx, steps, {});
    expect(redirect).toEqual({ type: 'redirect', url: 'https://upstream.example/authorize?state=st-123', bind: 'st-123', step: 'fake-upstream' });
    // The way back: a wrong state fails, the right one finishes with the callback's amr.
    expect(await callback(ctx, steps, 'fake-upstream', { state: 'forged' })).toMatchObject({ type: 'page', page: { status: 401 } });
    const done = await callback(ctx, steps, 'fake-upstream', { state: 'st-123' });
    expect(done).toMatchObject({ type: 'finish', result: { login: { accountId: expect.any(String), acr: 'urn:test', amr: ['fed', 'mfa'] } } });
  });

  it('challenge shows the page again (400) and keeps the step\'s own typed state', async () => {
    const steps = registry(identify, twice);
    const ctx = context(['fake-identify', 'fake-twice']);
    await answer(ctx, steps, {});
    expect(await answer(ctx, steps, { x: '1' })).toMatchObject({ type: 'page', page: { view: 'twice again', status: 400 } });
    expect(ctx.flow.steps['fake-twice']).toEqual({ seen: 1 });
    expect(await present(ctx, steps)).toMatchObject({ page: { view: 'twice 1' } });
    expect(await answer(ctx, steps, { x: '2' })).toMatchObject({ type: 'finish', result: { login: { amr: ['pwd'] } } });
  });

  it('a stored state that does not fit the step\'s schema reads as none', async () => {
    const steps = registry(identify, twice);
    const ctx = context(['fake-identify', 'fake-twice']);
    await answer(ctx, steps, {});
    ctx.flow.steps['fake-twice'] = { seen: 'many' };
    expect(await present(ctx, steps)).toMatchObject({ page: { view: 'twice 0' } });
  });

  it('failure shows the page with its message (401); a bad form is a 400 naming the field', async () => {
    const steps = registry(identify, wrong, twice);
    const ctx = context(['fake-identify', 'fake-wrong']);
    await answer(ctx, steps, {});
    expect(await answer(ctx, steps, {})).toMatchObject({ type: 'page', page: { error: 'password.rejected', status: 401 } });
    const ctx2 = context(['fake-identify', 'fake-twice']);
    await answer(ctx2, steps, {});
    expect(await answer(ctx2, steps, {})).toMatchObject({ type: 'page', page: { error: 'form.invalid', errorParams: { field: 'x' }, status: 400 } });
  });

  it('json answers a page script, and only a step that takes JSON gets a JSON body', async () => {
    const steps = registry(identify, script, wrong);
    const ctx = context(['fake-identify', 'fake-json']);
    await answer(ctx, steps, {});
    expect(await answer(ctx, steps, { challenge: 'please' }, true)).toEqual({ type: 'json', body: { challenge: 'abc' }, status: 200 });
    const ctx2 = context(['fake-identify', 'fake-wrong']);
    await answer(ctx2, steps, {});
    await expect(answer(ctx2, steps, {}, true)).rejects.toMatchObject({ status: 415 });
  });

  it('a prompt step finishes the interaction with its outcome under the prompt\'s name', async () => {
    const steps = registry(confirm);
    const ctx = context(['fake-confirm'], 'confirm');
    expect(await present(ctx, steps)).toMatchObject({ page: { view: 'confirm' } });
    expect(await answer(ctx, steps, { ok: '1' })).toEqual({ type: 'finish', result: { confirm: { confirmed: true } } });
  });

  it('a callback for a step that is not the current one is refused', async () => {
    const steps = registry(identify, upstream);
    const ctx = context(['fake-identify', 'fake-upstream']);
    await expect(callback(ctx, steps, 'fake-upstream', {})).rejects.toMatchObject({ status: 400 });
  });

  it('an opt-in step fills a slot only for a client that names it', async () => {
    const slotStep = (id: string, optIn: boolean) => defineStep({
      id, kind: 'login', slot: 'second-factor', optIn, amr: [id], requiresUser: true, form: z.object({}),
      async render() { return page(id); },
      async action() { return { type: 'success' }; },
    });
    const steps = registry(identify, slotStep('plain', false), slotStep('strict', true));
    const anyClient = context(['fake-identify', '<second-factor>']);
    expect(await answer(anyClient, steps, {})).toMatchObject({ type: 'page', page: { view: 'plain' } });
    const naming = context(['fake-identify', '<second-factor>'], 'login', { accepted_methods: ['plain', 'strict'] });
    expect(await answer(naming, steps, {})).toMatchObject({ type: 'page', page: { view: 'views/choose-method', data: { options: ['plain', 'strict'] } } });
  });
});
