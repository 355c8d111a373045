// The steps of the installed methods, by id, slot, kind and prompt. Built once at start from the
// method modules (src/methods/install.ts); nothing here names a method.
import type { FlowState, Step } from './step.ts';

export class StepRegistry {
  private readonly steps = new Map<string, Step>();
  // The lists asked for on every request, made once (steps are only added at start).
  private readonly lists = new Map<string, Step[]>();

  add(step: Step): void {
    if (this.steps.has(step.id)) throw new Error(`two steps named ${step.id}`);
    if (step.kind === 'prompt' && !step.prompt) throw new Error(`step ${step.id}: a prompt step names its prompt`);
    this.steps.set(step.id, step);
    this.lists.clear();
  }

  get(id: string): Step | undefined {
    return this.steps.get(id);
  }

  /** The login steps that can fill a slot, in the order they were added (a shared list: not to be changed). */
  ofSlot(slot: string): readonly Step[] {
    return this.list(`slot ${slot}`, (s) => s.slot === slot && s.kind === 'login');
  }

  /** The steps of a kind, in the order they were added (a shared list: not to be changed). */
  ofKind(kind: Step['kind']): readonly Step[] {
    return this.list(`kind ${kind}`, (s) => s.kind === kind);
  }

  /**
   * The step whose fields the identifying page embeds (user and password on one page): the one after
   * the flow's current step in its chain, when it has a fieldsView.
   */
  embeddedNext(flow: Pick<FlowState, 'chain' | 'index'>): Step | undefined {
    const next = this.steps.get(flow.chain[flow.index + 1] ?? '');
    return next?.fieldsView ? next : undefined;
  }

  /** The step that answers an oidc-provider prompt other than login. */
  forPrompt(prompt: string): Step | undefined {
    return [...this.steps.values()].find((s) => s.kind === 'prompt' && s.prompt === prompt);
  }

  private list(key: string, keep: (s: Step) => boolean): readonly Step[] {
    let list = this.lists.get(key);
    if (!list) {
      list = Object.freeze([...this.steps.values()].filter(keep)) as Step[];
      // Bounded: slots and kinds come from the installed methods, not from requests.
      if (this.lists.size < 100) this.lists.set(key, list);
    }
    return list;
  }
}
