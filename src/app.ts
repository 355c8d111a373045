// Builds one IdP process: store, services, steps, provider, and our routes mounted on the provider's
// Koa app. Cross-cutting concerns are middlewares, in the order listed at the bottom.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Router from '@koa/router';
import type Provider from 'oidc-provider';
import type { Logger } from 'pino';
import { Accounts } from './accounts/accounts.ts';
import { Passwords } from './accounts/passwords.ts';
import { Audit } from './audit.ts';
import { systemClock, type Clock } from './clock.ts';
import { ConfigError, type Config } from './config.ts';
import { Engine } from './flow/engine.ts';
import { Policy } from './flow/policy.ts';
import { discoverSteps, loadStrings, StepRegistry } from './flow/registry.ts';
import type { Step } from './flow/step.ts';
import { errorPage } from './http/error-page.ts';
import { formBody } from './http/form.ts';
import { Strings } from './http/i18n.ts';
import { securityHeaders } from './http/security-headers.ts';
import { Views } from './http/views.ts';
import { createLogger } from './logger.ts';
import { createProvider } from './provider.ts';
import { saveClient } from './store/oidc-adapter.ts';
import { keys } from './store/keys.ts';
import { loadServerKeys } from './server-keys.ts';
import type { Services } from './services.ts';
import { openStore, type Store } from './store/redis.ts';
import { demoRoutes } from './demo/demo-rp.ts';
import { Sealer } from './crypto/sealed.ts';
import { accountRoutes } from './account/routes.ts';
import { accountClientMetadata } from './account/session.ts';
import { Delivery } from './delivery/delivery.ts';
import { OneTimeCodes } from './otp/one-time-codes.ts';
import { SecureChannels } from './secure-channel/secure-channels.ts';
import { Requests } from './requests/requests.ts';
import { DocumentStore } from './documents/document-store.ts';
import { companyAdminPlugin } from './companies/admin-pages.ts';
import { backofficeCompaniesPlugin } from './companies/backoffice-pages.ts';
import { Assets } from './http/assets.ts';
import { languagePreference, languageRoutes } from './http/language.ts';
import { requestContext } from './http/request-context.ts';
import { renderAccountPage } from './account/page.ts';
import { progressOf, choseAmongSeveral } from './flow/progress.ts';
import { unmetLevelRoutes } from './flow/unmet-level.ts';
import { anotherWayRoutes } from './flow/another-way.ts';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface IdpOptions {
  store?: Store;
  clock?: Clock;
  logger?: Logger;
  /** Steps besides those found under interactions/ (tests use this). */
  extraSteps?: Step[];
}

export interface Idp {
  provider: Provider;
  services: Services;
  store: Store;
  /** Our own routes (method and path pattern), for tests that visit every one. */
  routes: { method: string; path: string }[];
  listen(port?: number, host?: string): Promise<{ server: http.Server; url: string }>;
  close(): Promise<void>;
}

export async function createIdp(config: Config, opts: IdpOptions = {}): Promise<Idp> {
  const log = opts.logger ?? createLogger(config);
  const assets = new Assets(ROOT, config); // first: a wrong BRAND_LOGO stops the start before anything opens
  const store = opts.store ?? (await openStore(config));
  const clock = opts.clock ?? systemClock;

  const strings = new Strings();
  loadStrings(path.join(ROOT, 'views', 'locales'), strings);
  const steps = new StepRegistry();
  await discoverSteps(path.join(ROOT, 'interactions'), steps, strings);
  for (const step of opts.extraSteps ?? []) steps.add(step);

  const views = new Views(ROOT, strings, true);
  views.configure({
    brandName: config.brand.name,
    links: { help: config.brand.helpUrl, privacy: config.brand.privacyUrl, contact: config.brand.contactUrl },
    assets: assets.urls,
    levels: config.levels.map((l) => l.acr),
    progress: (flow) => progressOf(flow, steps),
    anotherWay: choseAmongSeveral,
  });
  const serverKeys = await loadServerKeys(store.redis, config);
  const services: Services = {
    config, log, clock, redis: store.redis, views, steps,
    accounts: new Accounts(store.redis),
    passwords: new Passwords(store.redis, config, clock),
    audit: new Audit(store.redis, config.auditMaxEntries, log, { retentionDays: config.auditRetentionDays, clock }),
    policy: new Policy(config.levels, steps, config.defaultAcr),
    sealer: new Sealer(serverKeys.dataKey),
    provider: undefined as unknown as Provider, // set just below: the provider needs the services
    delivery: new Delivery(config, strings),
    secureChannels: new SecureChannels(store.redis),
    otp: undefined as unknown as OneTimeCodes, // set just below, with the sealer
    requests: undefined as unknown as Requests,
  };
  const problems = services.policy.problems();
  if (problems.length) {
    if (!opts.store) await store.close();
    throw new ConfigError(`invalid setting levels: ${problems.join('; ')}`);
  }
  services.otp = new OneTimeCodes(store.redis, config, clock, services.sealer, services.delivery);
  services.requests = new Requests(store.redis, new DocumentStore(config.documents.dir, services.sealer), clock);
  const provider = createProvider(services, serverKeys);
  services.provider = provider;
  // The account pages are a client of this IdP; registered on every start (idempotent).
  await saveClient(provider, accountClientMetadata(config.issuer));
  const engine = new Engine(provider, services);

  const router = new Router();
  const form = formBody(config.formLimitBytes);
  assets.routes(router);
  languageRoutes(router, store.redis);
  router.get('/help', (ctx) => renderAccountPage(ctx, services, 'views/help', undefined));
  router.get('/healthz', async (ctx) => {
    await store.redis.ping();
    ctx.body = { status: 'ok', store: store.embedded ? 'embedded' : 'redis' };
  });
  router.get('/interaction/:uid', (ctx) => engine.show(ctx));
  router.post('/interaction/:uid', form, (ctx) => engine.submit(ctx));
  router.post('/interaction/:uid/abort', form, (ctx) => engine.abort(ctx));
  unmetLevelRoutes(router, provider, services, form);
  anotherWayRoutes(router, provider, store.redis, form);
  steps.accountPlugins.push(companyAdminPlugin, backofficeCompaniesPlugin);
  accountRoutes(router, services, steps.accountPlugins);
  if (config.demo) demoRoutes(router, services);

  provider.use(requestContext());
  provider.use(languagePreference());
  provider.use(securityHeaders());
  provider.use(errorPage(views, log));
  provider.use(router.routes());
  provider.use(router.allowedMethods({ throw: true }));

  const servers: http.Server[] = [];
  // Documents past their retention are deleted hourly by whichever serving process takes the turn
  // (a Redis lock), so retention holds without a cron job; `requests purge` does the same by hand.
  let purging: NodeJS.Timeout | undefined;
  const purgeTurn = async () => {
    try {
      if ((await store.redis.set(keys.purgeTurn, '1', 'EX', 3000, 'NX')) !== 'OK') return;
      const purged = await services.requests.purgeDocuments(config.documents.retentionDays);
      if (purged) await services.audit.record({ event: 'request.purge', outcome: 'info', actor: 'retention', reason: `${purged} documents past retention` });
    } catch (err) {
      log.warn({ err }, 'document retention: purge failed, next try in an hour');
    }
  };
  const routes = router.stack.flatMap((layer) => layer.methods.filter((m) => m !== 'HEAD').map((method) => ({ method, path: String(layer.path) })));
  return {
    provider, services, store, routes,
    async listen(port = config.port, host = config.host) {
      const server = http.createServer(provider.callback());
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => resolve());
      });
      purging ??= setInterval(() => void purgeTurn(), 3_600_000).unref();
      const { port: actual } = server.address() as AddressInfo;
      return { server, url: `http://${host.includes(':') ? `[${host}]` : host}:${actual}` };
    },
    async close() {
      clearInterval(purging);
      await Promise.all(servers.map((s) => new Promise((r) => { s.closeAllConnections(); s.close(r); })));
      await services.audit.settled();
      if (!opts.store) await store.close();
    },
  };
}
