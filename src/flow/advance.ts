// Recording a passed step: the chain moves on (or the required action is done), the amr gets what
// actually happened, the required actions it asks for are queued, and after the first step that
// proves something the required actions are asked whether this user needs them (once per login).
import type { StepRegistry } from './registry.ts';
import type { RequiredActionRequest, Step, StepResult } from './step.ts';
import { essentialAcrs } from './acr-request.ts';
import { stepContext, type BaseContext } from './context.ts';
import { raiseLevel } from './minimum-level.ts';

type Success = Extract<StepResult, { type: 'success' }>;

export async function advance(sctx: BaseContext, steps: StepRegistry, step: Step, result: Success): Promise<void> {
  const { flow } = sctx;
  if (flow.pending.length && flow.pending[0]!.id === step.id) flow.pending.shift();
  else {
    flow.index += 1;
    for (const v of result.amr ?? step.amr) if (!flow.amr.includes(v)) flow.amr.push(v);
  }
  if (result.acr !== undefined) reached(sctx, result.acr);
  // The same required action is never queued twice (e.g. two reasons to change the password).
  for (const a of result.requiredActions ?? []) if (!flow.pending.some((p) => p.id === a.id)) flow.pending.push(a);
  if (step.kind === 'login' && flow.amr.length && !flow.triggered && sctx.account) await trigger(sctx, steps);
  if (result.notice) flow.notice = { key: result.notice, params: result.noticeParams };
  if (step.identifies) await raiseLevel(sctx);
}

async function trigger(sctx: BaseContext, steps: StepRegistry): Promise<void> {
  sctx.flow.triggered = true;
  const due: RequiredActionRequest[] = [];
  for (const action of steps.ofKind('required-action')) {
    if (!action.trigger || sctx.flow.pending.some((p) => p.id === action.id)) continue;
    const args = await action.trigger(stepContext(sctx, action), sctx.account!);
    if (args) due.push({ id: action.id, args });
  }
  sctx.flow.pending.unshift(...due);
}

/**
 * A step that reached a level on its own (passwordless): when it meets the login's, the chain ends
 * here, and the login records the level reached unless the client asked an essential one (which the
 * session's acr must then equal).
 */
function reached(sctx: BaseContext, acr: string): void {
  const { flow, services } = sctx;
  if (services.policy.rank(acr) < services.policy.rank(flow.acr)) return;
  flow.index = flow.chain.length;
  if (!essentialAcrs((sctx.details.params as Record<string, unknown>).claims)?.length) flow.acr = acr;
}
