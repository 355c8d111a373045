// Which step comes now: a pending required action first, then the level's chain; a slot
// ("<second-factor>") is filled by the step the user chose, or the only one they can use.
import { FlowError } from '../errors.ts';
import type { StepRegistry } from './registry.ts';
import { SLOT, type Step } from './step.ts';
import { stepContext, type BaseContext } from './context.ts';

export type Current =
  | { kind: 'step'; step: Step; args: Record<string, string> }
  | { kind: 'choose'; options: Step[] }
  | { kind: 'none'; reason: string }
  | { kind: 'done' };


export async function current(sctx: BaseContext, steps: StepRegistry): Promise<Current> {
  const { flow } = sctx;
  if (flow.pending.length) {
    const { id, args } = flow.pending[0]!;
    const step = steps.get(id);
    if (!step) throw new FlowError(500, 'error.unexpected');
    return { kind: 'step', step, args: args ?? {} };
  }
  while (flow.index < flow.chain.length) {
    const entry = flow.chain[flow.index]!;
    const slot = SLOT.exec(entry)?.[1];
    if (slot) {
      // The step chosen already: only it is checked (each check may cost a Redis round trip).
      const chosen = steps.ofSlot(slot).find((st) => st.id === flow.choices[String(flow.index)]);
      if (chosen && (await usable(sctx, chosen))) return { kind: 'step', step: chosen, args: {} };
      const options = await optionsFor(sctx, steps, slot);
      const pick = options.length === 1 ? options[0] : undefined;
      if (pick) return { kind: 'step', step: pick, args: {} };
      if (!options.length) return { kind: 'none', reason: slot };
      return { kind: 'choose', options };
    }
    const step = steps.get(entry);
    if (!step) throw new FlowError(500, 'error.unexpected');
    if (step.identifies && flow.identified) { flow.index += 1; continue; }
    return { kind: 'step', step, args: {} };
  }
  return { kind: 'done' };
}

/** Steps that can fill a slot for this user and this client, checked together. */
async function optionsFor(sctx: BaseContext, steps: StepRegistry, slot: string): Promise<Step[]> {
  const candidates = steps.ofSlot(slot);
  const ok = await Promise.all(candidates.map((step) => usable(sctx, step)));
  return candidates.filter((_, i) => ok[i]);
}

/** Whether this step can fill its slot: the client accepts it (accepted_methods, else not opt-in) and the user has it. */
async function usable(sctx: BaseContext, step: Step): Promise<boolean> {
  const accepted = sctx.client.accepted_methods as string[] | undefined;
  if (accepted ? !accepted.includes(step.id) : step.optIn) return false;
  if (!step.configuredFor) return true;
  return !!sctx.account && (await step.configuredFor(stepContext(sctx, step), sctx.account));
}
