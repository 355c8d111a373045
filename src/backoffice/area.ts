// The one back office: every /backoffice page is for staff (role 'backoffice') at BACKOFFICE_ACR,
// through the same guard, and its home lists the sections the core and the methods contribute
// (companies, member requests, ...).
import type Koa from 'koa';
import type { Services } from '../services.ts';
import type { AccountLink, AccountPlugin } from '../self-service/plugin.ts';
import { showPage } from '../self-service/page.ts';
import { requireSession, type AccountSession, type SessionNeed } from '../self-service/session.ts';

const STAFF_ROLE = 'backoffice';

/** The session of a member of staff at the back office's level (see requireSession). */
export function requireStaff(ctx: Koa.Context, s: Services): Promise<AccountSession | undefined> {
  const need: SessionNeed = { acr: s.config.backofficeAcr, role: STAFF_ROLE };
  return requireSession(ctx, s, need);
}

export function backofficeArea(plugins: AccountPlugin[]): AccountPlugin {
  const sections = async (session: AccountSession, s: Services): Promise<AccountLink[]> =>
    (await Promise.all(plugins.map((p) => p.backoffice?.(session, s) ?? []))).flat();
  return {
    async links(session, s) {
      // Staff see the back office's sections from their account page too.
      return session.account.roles?.includes(STAFF_ROLE) ? [{ href: '/backoffice', label: 'backoffice.home.title' }, ...(await sections(session, s))] : [];
    },
    routes(router, s) {
      router.get('/backoffice', async (ctx) => {
        const session = await requireStaff(ctx, s);
        if (session) showPage(ctx, s, session, 'views/backoffice/home', { sections: await sections(session, s) });
      });
    },
  };
}
