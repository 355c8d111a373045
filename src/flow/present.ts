// GET of an interaction: the page of the step that comes now, the choice between second factors,
// the "no method" page, the notice before leaving, or, when everything is done, the login result.
import type { StepRegistry } from './registry.ts';
import { FlowError } from '../errors.ts';
import { stepContext, type BaseContext } from './context.ts';
import { besideParts } from './beside.ts';
import { current, type Current } from './current.ts';
import { loginResult } from './login-result.ts';
import { unmetLevelPage } from './unmet-level.ts';
import { page, type Outcome } from './outcome.ts';
import type { Step } from './step.ts';

/** `known`: what current() answered in this request already (it is not asked twice). */
export async function present(sctx: BaseContext, steps: StepRegistry, known?: Current): Promise<Outcome> {
  const { flow } = sctx;
  const cur = known ?? await current(sctx, steps);
  if (cur.kind === 'done') {
    if (flow.prompt !== 'login') throw new FlowError(400, 'error.session_not_found');
    if (!flow.notice) return loginResult(sctx);
    // Something to tell before leaving: a page with a "continue" button that posts the form.
    return page({ view: 'views/notice', notice: flow.notice.key, noticeParams: flow.notice.params });
  }
  if (cur.kind === 'choose') return choosePage(cur.options);
  if (cur.kind === 'none') {
    await sctx.audit({ event: 'login.method', outcome: 'failure', reason: `no ${cur.reason} configured`, subject: flow.identified?.accountId });
    // No dead end: a page that says why, and the way back to the service (unmet-level.ts).
    return page(await unmetLevelPage(sctx, cur.reason));
  }
  const rendered = await cur.step.render(stepContext(sctx, cur.step, cur.args));
  // A page that identifies embeds the next step's fields (user and password on one page).
  const nextFields = cur.step.identifies ? steps.embeddedNext(flow)?.fieldsView : undefined;
  // ... and what the steps offered beside it add (e.g. a passwordless sign-in).
  const beside = cur.step.identifies ? await besideParts(sctx, steps) : [];
  const shown = nextFields || beside.length ? { ...rendered, data: { ...rendered.data, nextFields, beside } } : rendered;
  const notice = flow.notice;
  if (notice && !shown.notice) {
    // Shown once, on the next page.
    flow.notice = undefined;
    return page({ ...shown, notice: notice.key, noticeParams: notice.params });
  }
  return page(shown);
}

export function choosePage(options: Step[], error?: string, status = 200): Outcome {
  return page({ view: 'views/choose-method', data: { options: options.map((o) => o.id) }, error, status });
}
