// Sign-in beside the identifying step (Keycloak's "alternative" executions): steps that offer
// themselves on the identifying page (e.g. a passwordless passkey), and the one a post there names.
import type { StepRegistry } from './registry.ts';
import { stepContext, type BaseContext } from './context.ts';
import type { Step } from './step.ts';

export interface Beside {
  step: string;
  view: string;
  data?: Record<string, unknown>;
}

/** What the steps offered beside the identifying step add to its page. */
export async function besideParts(sctx: BaseContext, steps: StepRegistry): Promise<Beside[]> {
  const out: Beside[] = [];
  for (const step of steps.ofKind('login')) {
    const part = step.beside ? await step.beside(stepContext(sctx, step)) : undefined;
    if (part) out.push({ step: step.id, ...part });
  }
  return out;
}

/** The step a post on the identifying page names in its `step` field, when it is offered there. */
export async function besideStep(sctx: BaseContext, steps: StepRegistry, body: Record<string, unknown>): Promise<Step | undefined> {
  const step = typeof body.step === 'string' ? steps.get(body.step) : undefined;
  if (!step?.beside || step.kind !== 'login') return undefined;
  return (await step.beside(stepContext(sctx, step))) ? step : undefined;
}
