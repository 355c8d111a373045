// "Are you sure?" before an action that destroys or replaces something (a new administrator
// password, disabling an operator, granting everything at once): the form's post without confirm=1
// answers with a page that says what will happen, whose button posts the same form with confirm=1.
// Nothing changes until then.
import type Koa from 'koa';
import type { Services } from '../services.ts';
import { postedForm, showPage } from './page.ts';
import type { AccountSession } from './session.ts';

export interface Confirmation {
  title: string;              // locale keys, with params
  what: string[];
  submit: string;
  params?: Record<string, string | number>;
  /** Where the confirmed form goes, and its fields besides csrf and confirm. */
  action: string;
  hidden?: [string, string | string[]][];
  /** "Cancel": back without changing anything. */
  back: string;
}

export function confirmed(ctx: Koa.Context): boolean {
  return postedForm(ctx).confirm === '1';
}

export function confirmPage(ctx: Koa.Context, s: Services, session: AccountSession, c: Confirmation): void {
  const hidden = (c.hidden ?? []).flatMap(([name, v]) => [v].flat().map((one) => [name, one] as [string, string]));
  showPage(ctx, s, session, 'views/confirm', {
    confirmTitle: c.title, what: c.what, confirmSubmit: c.submit, params: c.params ?? {}, confirmAction: c.action, hidden, back: c.back,
  });
}
