// /account: the user's own page (what they can manage, contributed by the method folders), and the
// return point of the login or step-up it asks for.
import type Router from '@koa/router';
import type { Services } from '../services.ts';
import { showPage } from './page.ts';
import type { AccountPlugin } from './plugin.ts';
import { requireSession, returnPath } from './session.ts';
import { credentialsPlugin } from './credentials.ts';

export function accountRoutes(router: Router, s: Services, methodPlugins: AccountPlugin[]): void {
  const plugins = [credentialsPlugin(methodPlugins), ...methodPlugins];
  router.get('/account', async (ctx) => {
    const session = await requireSession(ctx, s);
    if (!session) return;
    const links = (await Promise.all(plugins.map((p) => p.links?.(session, s) ?? []))).flat();
    showPage(ctx, s, session, 'views/account', { links, acr: session.acr });
  });

  router.get('/account/cb', async (ctx) => {
    const state = typeof ctx.query.state === 'string' ? ctx.query.state : '';
    const back = state ? returnPath(s, state) : undefined;
    if (!back) return ctx.throw(400, 'error.session_not_found');
    if (ctx.query.error) {
      // Said in words (the protocol's error_description is for developers), with the way back.
      const reason = ctx.query.error === 'unmet_authentication_requirements' ? 'account.not_signed_in.level' : ctx.query.error === 'access_denied' ? 'account.not_signed_in.cancelled' : 'account.not_signed_in.other';
      showPage(ctx, s, undefined, 'views/message', { title: 'account.not_signed_in.title', links: [{ href: '/account', label: 'account.back' }] }, { error: reason, status: 403 });
      return;
    }
    ctx.redirect(back);
  });

  for (const plugin of plugins) plugin.routes?.(router, s);
}
