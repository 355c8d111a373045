// Account pages that change credentials need a session at the strong level (STRONG_ACR: a second
// factor, or a certificate above it). GET pages send the user through a step-up; a POST without it is
// refused.
import type Koa from 'koa';
import type { Services } from '../services.ts';
import { showPage } from './page.ts';
import { accountSession, checkAccountCsrf, requireAccount, type AccountSession } from './session.ts';

export function requireStrongAccount(ctx: Koa.Context, s: Services): Promise<AccountSession | undefined> {
  return requireAccount(ctx, s, s.config.strongAcr);
}

/** For a posted form: the session at the strong level with a valid form token, else 403. */
export async function strongPost(ctx: Koa.Context, s: Services): Promise<AccountSession> {
  const session = await accountSession(ctx, s);
  if (!session) return ctx.throw(403, 'error.forbidden');
  if (!s.policy.meets(session.acr, s.config.strongAcr)) return ctx.throw(403, 'error.strong_login');
  checkAccountCsrf(ctx, session);
  return session;
}

/** An account page with its messages given as locale keys (see showPage). */
export function accountPage(
  ctx: Koa.Context, s: Services, view: string, session: AccountSession,
  data: Record<string, unknown> & { errorKey?: string; errorParams?: Record<string, string | number>; noticeKey?: string } = {}, status = 200,
): void {
  const { errorKey, errorParams, noticeKey, ...rest } = data;
  showPage(ctx, s, session, view, rest, { error: errorKey, errorParams, notice: noticeKey, status });
}
