// What a stage of the engine decides, before anything is written to the response. The Koa side
// (engine.ts) turns it into HTTP; the contract test reads it directly.
import type { InteractionResults } from 'oidc-provider';
import type { Page } from './step.ts';

export type Outcome =
  /** A page of the login, with the flow's form token. */
  | { type: 'page'; page: Page }
  /** The browser goes elsewhere (an upstream provider); `bind` is the state it will bring back. */
  | { type: 'redirect'; url: string; bind?: string; step: string }
  /** A JSON answer to a page script. */
  | { type: 'json'; body: unknown; status: number }
  /** Show this interaction again (after a choice). */
  | { type: 'again' }
  /** The interaction is over: hand this result to oidc-provider. */
  | { type: 'finish'; result: InteractionResults };

export const page = (p: Page): Outcome => ({ type: 'page', page: p });
