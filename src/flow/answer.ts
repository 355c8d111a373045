// POST of an interaction (the step's form, or the choice of a second factor) and GET of a step's
// callback (the way back from an upstream provider): the step judges, the flow records the result,
// and the next page comes in the same response.
import { describeFormError } from '../http/form.ts';
import { FlowError, FormError } from '../errors.ts';
import type { StepRegistry } from './registry.ts';
import { advance } from './advance.ts';
import { besideStep } from './beside.ts';
import { stepContext, type BaseContext } from './context.ts';
import { current } from './current.ts';
import { loginResult } from './login-result.ts';
import { page, type Outcome } from './outcome.ts';
import { choosePage, present } from './present.ts';
import type { Step, StepResult } from './step.ts';

/** `json`: the body came as JSON, which only a step that says so takes. */
export async function answer(sctx: BaseContext, steps: StepRegistry, body: Record<string, unknown>, json = false): Promise<Outcome> {
  const { flow } = sctx;
  const cur = await current(sctx, steps);
  // A post on the identifying page that names a step offered beside it (e.g. passwordless) goes there.
  const aside = cur.kind === 'step' && cur.step.identifies ? await besideStep(sctx, steps, body) : undefined;
  if (json && !(aside?.json || (cur.kind === 'step' && cur.step.json))) throw new FormError(415, 'error.form_type');
  if (aside) {
    const parsed = aside.form.safeParse(body);
    if (!parsed.success) {
      const { key, params } = describeFormError(parsed.error);
      return page({ ...(await aside.render(stepContext(sctx, aside))), error: key, errorParams: params, status: 400 });
    }
    return settle(sctx, steps, aside, await aside.action(stepContext(sctx, aside), parsed.data));
  }
  if (cur.kind === 'choose') {
    const chosen = cur.options.find((o) => o.id === body.method);
    if (!chosen) return choosePage(cur.options, 'form.choose_method', 400);
    flow.choices[String(flow.index)] = chosen.id;
    return { type: 'again' };
  }
  if (cur.kind === 'done' && flow.prompt === 'login') {
    // The "continue" of a notice shown at the end (e.g. a password about to expire).
    flow.notice = undefined;
    return loginResult(sctx);
  }
  if (cur.kind !== 'step') return present(sctx, steps, cur);

  let step = cur.step;
  const parsed = step.form.safeParse(body);
  if (!parsed.success) {
    const shown = await step.render(stepContext(sctx, step, cur.args));
    const { key, params } = describeFormError(parsed.error);
    return page({ ...shown, error: key, errorParams: params, status: 400 });
  }
  let result = await step.action(stepContext(sctx, step, cur.args), parsed.data);
  if (result.type === 'success' && step.identifies) {
    // A page that identifies may carry the next step's fields too (user and password on one
    // page): when they were filled in, that step is answered in this same request.
    await advance(sctx, steps, step, result);
    await refreshAccount(sctx);
    const next = await current(sctx, steps);
    const nextAnswer = next.kind === 'step' && next.step.fieldsView ? next.step.form.safeParse(body) : undefined;
    if (next.kind !== 'step' || !nextAnswer?.success) return present(sctx, steps, next);
    step = next.step;
    result = await step.action(stepContext(sctx, step, next.args), nextAnswer.data);
  }
  return settle(sctx, steps, step, result);
}

export async function callback(sctx: BaseContext, steps: StepRegistry, stepId: string, query: Record<string, string>): Promise<Outcome> {
  const cur = await current(sctx, steps);
  // The step that sent the user out: the current one, or one offered beside the identifying page.
  const step = cur.kind === 'step' && cur.step.id === stepId ? cur.step
    : cur.kind === 'step' && cur.step.identifies ? await besideStep(sctx, steps, { step: stepId }) : undefined;
  if (!step?.callback) throw new FlowError(400, 'error.session_not_found');
  const result = await step.callback(stepContext(sctx, step, cur.kind === 'step' && step === cur.step ? cur.args : {}), query);
  return settle(sctx, steps, step, result);
}

/** Turns a step's result into what happens next. */
async function settle(sctx: BaseContext, steps: StepRegistry, step: Step, result: StepResult): Promise<Outcome> {
  switch (result.type) {
    case 'challenge':
      return page({ ...result.page, status: result.page.status ?? 400 });
    case 'failure':
      return page({ ...result.page, status: result.page.status ?? 401 });
    case 'redirect':
      return { type: 'redirect', url: result.url, bind: result.bind, step: step.id };
    case 'json':
      return { type: 'json', body: result.body, status: result.status ?? 200 };
    case 'success':
      break;
  }
  if (step.kind === 'prompt') return { type: 'finish', result: { [sctx.flow.prompt]: result.outcome ?? {} } };
  await refreshAccount(sctx); // a step may have identified the user just now (passwordless)
  await advance(sctx, steps, step, result);
  await refreshAccount(sctx);
  const next = await current(sctx, steps);
  if (next.kind === 'done' && !sctx.flow.notice) return loginResult(sctx);
  return present(sctx, steps, next);
}

/** The account again after a step may have identified the user. */
async function refreshAccount(sctx: BaseContext): Promise<void> {
  const accountId = sctx.flow.identified?.accountId;
  if (accountId && sctx.account?.id !== accountId) sctx.account = await sctx.services.accounts.findById(accountId);
}
