// The member area's pages outside the login: contact change (account page), channel reset and
// forgotten password (public), and the back office's review of requests.
import type { AccountPlugin } from '../../src/self-service/plugin.ts';
import { formPost } from '../../src/http/form-post.ts';
import { isMember } from '../../src/secure-channel/secure-channels.ts';
import { backofficeRoutes } from './backoffice.ts';
import { channelResetRoutes } from './channel-reset.ts';
import { contactChangeRoutes } from './contact-change.ts';
import { forgotPasswordRoutes } from './forgot-password.ts';

export const memberAreaAccount: AccountPlugin = {
  async links(session) {
    const links = [];
    if (isMember(session.account)) links.push({ href: '/account/contact', label: 'contact.link' });
    return links;
  },
  async backoffice() {
    return [{ href: '/backoffice/requests', label: 'backoffice.link' }];
  },
  routes(router, s) {
    const form = formPost(s);
    contactChangeRoutes(router, s);
    channelResetRoutes(router, s, form);
    forgotPasswordRoutes(router, s, form);
    backofficeRoutes(router, s, form);
  },
};

