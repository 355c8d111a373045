// Errors our routes throw on purpose: a status and a locale key for the page that explains it. One
// module, so that the HTTP layer and the flow engine both read it without importing each other.
export class PageError extends Error {
  constructor(readonly status: number, readonly key: string) { super(key); }
}

/** A login interaction cannot go on as asked (bad CSRF token, unknown prompt, ...). */
export class FlowError extends PageError {}

/** A posted body we cannot read (garbled, too large, wrong type). */
export class FormError extends PageError {}
