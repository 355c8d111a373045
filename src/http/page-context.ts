// What the pages rendered during one request may know about it without every renderer passing it
// along: the request itself (its path and posted form), the field a form error is about, and the
// login flow's state as the engine left it, and the request's id (src/http/request-context.ts). One
// AsyncLocalStorage for all of it (each more one costs every promise of every request), entered by
// requestContext.
import { AsyncLocalStorage } from 'node:async_hooks';
import type Koa from 'koa';
import type { FlowState } from '../flow/step.ts';

export interface RequestContext {
  ctx: Koa.Context;
  /** The request's id (logs, audit events, X-Request-Id). */
  id: string;
  /** The name of the form field the page's error is about (aria-invalid, aria-describedby). */
  errorField?: string;
  /** The login flow's state of this request (the live object the engine works on). */
  flow?: FlowState;
}

const store = new AsyncLocalStorage<RequestContext>();

/** Runs `fn` (the rest of the request) with this request's context. */
export function runRequest<T>(context: RequestContext, fn: () => T): T {
  return store.run(context, fn);
}

export function currentRequest(): RequestContext | undefined {
  return store.getStore();
}

/** Marks the field a form error is about, for the page about to be rendered. */
export function noteErrorField(field: string | undefined): void {
  const req = store.getStore();
  if (req && field) req.errorField = field;
}

/** Remembers the flow state this request works on (see src/flow/state.ts). */
export function noteFlow(flow: FlowState): void {
  const req = store.getStore();
  if (req) req.flow = flow;
}

// Posted values never sent back into a page: passwords, codes, card values, form tokens.
const SECRET = /password|^otp$|^totp|^card_\d|^csrf$|^xsrf$/;

/** The posted form's non-secret text values, to put back into a form shown again after an error. */
export function postedValues(ctx: Koa.Context | undefined): Record<string, string> {
  const body = (ctx?.request as unknown as { body?: Record<string, unknown> } | undefined)?.body;
  const out: Record<string, string> = {};
  if (!body || typeof body !== 'object') return out;
  for (const [name, value] of Object.entries(body)) {
    if (typeof value === 'string' && !SECRET.test(name) && value.length <= 2000) out[name] = value;
  }
  return out;
}
