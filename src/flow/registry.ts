// The steps of the installed methods, by id, slot, kind and prompt. Built once at start from the
// method modules (src/methods/install.ts); nothing here names a method.
import type { Step } from './step.ts';

export class StepRegistry {
  private readonly steps = new Map<string, Step>();

  add(step: Step): void {
    if (this.steps.has(step.id)) throw new Error(`two steps named ${step.id}`);
    if (step.kind === 'prompt' && !step.prompt) throw new Error(`step ${step.id}: a prompt step names its prompt`);
    this.steps.set(step.id, step);
  }

  get(id: string): Step | undefined {
    return this.steps.get(id);
  }

  ofSlot(slot: string): Step[] {
    return [...this.steps.values()].filter((s) => s.slot === slot && s.kind === 'login');
  }

  ofKind(kind: Step['kind']): Step[] {
    return [...this.steps.values()].filter((s) => s.kind === kind);
  }

  /** The step that answers an oidc-provider prompt other than login. */
  forPrompt(prompt: string): Step | undefined {
    return [...this.steps.values()].find((s) => s.kind === 'prompt' && s.prompt === prompt);
  }
}
