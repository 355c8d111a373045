// "Step 2 of 3" on a login of several pages. A step whose fields the identifying page embeds
// (user and password on one page) shares that page's number; a slot's choice page is part of its
// step. Required actions (a new password, a secure channel) come after the login's steps and are not
// counted. A login of one page shows nothing.
import type { StepRegistry } from './registry.ts';
import { SLOT, type FlowState } from './step.ts';

export interface Progress { current: number; total: number }


export function progressOf(flow: FlowState, steps: StepRegistry): Progress | undefined {
  if (flow.prompt !== 'login' || flow.pending.length || flow.index >= flow.chain.length) return undefined;
  const pageOf: number[] = [];
  let page = 0;
  flow.chain.forEach((entry, i) => {
    const previous = i > 0 && !SLOT.test(flow.chain[i - 1]!) ? steps.get(flow.chain[i - 1]!) : undefined;
    const step = SLOT.test(entry) ? undefined : steps.get(entry);
    if (!(previous?.identifies && step?.fieldsView)) page += 1;
    pageOf.push(page);
  });
  if (page < 2) return undefined;
  return { current: pageOf[flow.index]!, total: page };
}

/** True when the user picked this step's method among several: the page offers "try another way". */
export function choseAmongSeveral(flow: FlowState): boolean {
  return flow.prompt === 'login' && !flow.pending.length && typeof flow.choices[String(flow.index)] === 'string';
}
