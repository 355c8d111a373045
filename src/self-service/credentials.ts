// /account/credentials: what the user signs in with (the password's age, and each method folder's
// section: card, app, ...), and "delete mobile credentials", which asks every method folder to remove
// its credential, back to certificate / smart card only. Nothing here names a method.
import type { AccountPlugin, CredentialSection } from './plugin.ts';
import { loginPasswordKind } from '../accounts/accounts.ts';
import { DAY_MS } from '../clock.ts';
import { formPost } from '../http/form-post.ts';
import { showPage } from './page.ts';
import { requireSession } from './session.ts';
import { canReach } from '../flow/unmet-level.ts';

export function credentialsPlugin(plugins: AccountPlugin[]): AccountPlugin {
  return {
    async links() {
      return [{ href: '/account/credentials', label: 'credentials.title' }];
    },
    routes(router, s) {
      router.get('/account/credentials', async (ctx) => {
        const session = await requireSession(ctx, s);
        if (!session) return;
        const kind = loginPasswordKind(session.account.type);
        const password = await s.passwords.get(session.account.id, kind);
        const sections = (await Promise.all(plugins.map((p) => p.credentials?.(session, s)))).filter((x): x is CredentialSection => !!x);
        // Printing a card, setting up or removing the app need a sign-in with a second factor: offered
        // only to who has one (or is signed in with one), so that nobody is sent into a login they
        // cannot finish. The first card is printed at the branch.
        const strong = s.policy.meets(session.acr, s.config.strongAcr) || (await canReach(s, session.account, s.config.strongAcr));
        const mobile = strong && plugins.some((p) => p.removeMobileCredential);
        showPage(ctx, s, session, 'views/credentials', {
          password: password && { kind, setAt: password.setAt, ageDays: Math.floor((s.clock.now() - password.setAt) / DAY_MS) },
          sections: strong ? sections : sections.map((sec) => ({ ...sec, actions: [] })), mobile, strong,
        });
      });

      router.get('/account/credentials/delete-mobile', async (ctx) => {
        const session = await requireSession(ctx, s, { acr: s.config.strongAcr });
        if (session) showPage(ctx, s, session, 'views/delete-mobile');
      });
      router.post('/account/credentials/delete-mobile', ...formPost(s), async (ctx) => {
        const session = await requireSession(ctx, s, { acr: s.config.strongAcr });
        if (!session) return;
        const id = session.account.id;
        let removed = 0;
        for (const p of plugins) if (p.removeMobileCredential && (await p.removeMobileCredential(id, s))) removed += 1;
        await s.audit.record({ event: 'credentials.delete_mobile', outcome: 'success', actor: id, subject: id, ip: ctx.ip, reason: `${removed} removed` });
        showPage(ctx, s, session, 'views/credentials-done', {}, { notice: removed ? 'credentials.mobile_deleted' : 'credentials.mobile_none' });
      });
    },
  };
}
