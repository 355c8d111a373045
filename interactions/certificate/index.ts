// Client certificates: our own CA (issue, revoke, CRL), activation in the browser, the certificate
// step of a login (direct HTTPS listener or behind nginx), renewal, the company's and the back
// office's certificate pages, the `cert` commands, and RFC 8705 for OIDC clients.
import { MethodError } from '../../src/methods/install.ts';
import { defineMethod } from '../../src/methods/method.ts';
import { certificateAccount } from './account.ts';
import { activationRoutes } from './activation.ts';
import { caOf, caPassphrase, CaError, extraAnchors } from './ca.ts';
import { certCommand } from './cli.ts';
import { CERT_KEYS } from './keys.ts';
import { mtlsListeners, mtlsRoutes } from './listener.ts';
import { certificateProvider } from './oidc.ts';
import { pkiRoutes } from './pki-routes.ts';
import { renewalStep } from './renewal.ts';
import { certFirstUse, certRevoke } from './scripts.ts';
import { certificateSettings } from './settings.ts';
import { certificateStep } from './step.ts';
import en from './locales/en.json' with { type: 'json' };
import it from './locales/it.json' with { type: 'json' };

export default defineMethod({
  id: 'certificate',
  steps: [certificateStep, renewalStep],
  account: certificateAccount,
  commands: [certCommand],
  settings: certificateSettings,
  keys: CERT_KEYS,
  scripts: [certRevoke, certFirstUse],
  strings: { it, en },
  provider: certificateProvider,
  routes(router, s) {
    // With certificate login off, the CA's URLs and the activation are not there (404).
    if (certificateSettings.of(s.config).mode === 'off') return;
    pkiRoutes(router, s);
    activationRoutes(router, s);
    mtlsRoutes(router, s);
  },
  listeners: mtlsListeners,
  async start(s) {
    const settings = certificateSettings.of(s.config);
    if (settings.mode === 'off') return;
    try {
      caPassphrase(s);
      if (s.config.production && settings.mode === 'direct' && !settings.tlsCertFile) {
        throw new CaError('invalid setting MTLS_TLS_CERT_FILE (methods.certificate.tlsCertFile): direct mode needs the listener\'s own certificate in production');
      }
      // With certificate login on, the CA is there from the first start (made now if need be).
      await caOf(s);
      try {
        extraAnchors(s);
      } catch (err) {
        throw new CaError(`invalid setting CERT_EXTRA_ANCHORS (methods.certificate.extraAnchorsFile): ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      }
    } catch (err) {
      if (err instanceof CaError) throw new MethodError(err.message.startsWith('invalid setting') ? err.message : `certificate: ${err.message}`);
      throw err;
    }
  },
});
