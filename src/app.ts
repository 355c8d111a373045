// Builds one IdP process: store, services, steps, provider, and our routes mounted on the provider's
// Koa app. Cross-cutting concerns are middlewares, in the order listed at the bottom.
import http from 'node:http';
import type { AddressInfo, Server } from 'node:net';
import { fileURLToPath } from 'node:url';
import Router from '@koa/router';
import type Provider from 'oidc-provider';
import type { Logger } from 'pino';
import { Accounts } from './accounts/accounts.ts';
import { Passwords } from './accounts/passwords.ts';
import { Audit } from './audit.ts';
import { systemClock, type Clock } from './clock.ts';
import { ConfigError, type Config } from './config.ts';
import { callbackEntry, Engine } from './flow/engine.ts';
import { Policy } from './flow/policy.ts';
import { errorPage } from './http/error-page.ts';
import { formPost } from './http/form-post.ts';
import { coreStrings } from './http/core-strings.ts';
import { securityHeaders } from './http/security-headers.ts';
import { ownPaths } from './http/own-paths.ts';
import { Views } from './http/views.ts';
import { createLogger } from './logger.ts';
import { createProvider } from './provider.ts';
import { saveClient } from './store/oidc-adapter.ts';
import { keys, keyTable } from './store/keys.ts';
import { registerScripts } from './store/script.ts';
import { installMethods, MethodError } from './methods/install.ts';
import type { MethodModule } from './methods/method.ts';
import { methods as installedMethods } from '../interactions/index.ts';
import { loadServerKeys } from './server-keys.ts';
import type { Services } from './services.ts';
import { openStore, type Store } from './store/redis.ts';
import { demoRoutes } from './demo/demo-rp.ts';
import { Sealer } from './crypto/sealed.ts';
import { accountRoutes } from './self-service/routes.ts';
import { accountClientMetadata } from './self-service/session.ts';
import { Delivery } from './delivery/delivery.ts';
import { OneTimeCodes } from './otp/one-time-codes.ts';
import { SecureChannels } from './secure-channel/secure-channels.ts';
import { Requests } from './requests/requests.ts';
import { DocumentStore } from './documents/document-store.ts';
import { companyAdminPlugin } from './self-service/company-admin.ts';
import { backofficeCompaniesPlugin } from './backoffice/companies.ts';
import { backofficeArea } from './backoffice/area.ts';
import { AbuseLimits, limitByAddress } from './http/rate-limit.ts';
import { limitLogin } from './flow/login-limit.ts';
import { limitClientAuth, oauthUnavailable } from './http/oauth-endpoints.ts';
import { lateWorkSettled } from './http/timing-floor.ts';
import { healthRoutes, type Lifecycle } from './http/health.ts';
import { closeGracefully } from './http/shutdown.ts';
import Koa from 'koa';
import { Metrics, metricsRoute } from './metrics.ts';
import { requestContext } from './http/request-context.ts';
import { Assets } from './http/assets.ts';
import { languagePreference } from './http/language.ts';
import { languageRoutes } from './flow/language-switch.ts';
import { render } from './http/render.ts';
import { progressOf, choseAmongSeveral } from './flow/progress.ts';
import { unmetLevelRoutes } from './flow/unmet-level.ts';
import { anotherWayRoutes } from './flow/another-way.ts';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface IdpOptions {
  store?: Store;
  clock?: Clock;
  logger?: Logger;
  /**
   * The installed methods (default: the list in interactions/index.ts). The configuration must have
   * been loaded with the same list (loadConfig's third argument).
   */
  methods?: readonly MethodModule[];
}

export interface Idp {
  provider: Provider;
  services: Services;
  store: Store;
  /** Our own routes (method and path pattern), for tests that visit every one. */
  routes: { method: string; path: string }[];
  /** Serves on the main port; the first call also starts the methods' own listeners. */
  listen(port?: number, host?: string): Promise<{ server: http.Server; url: string }>;
  close(): Promise<void>;
  /** SIGTERM: /readyz says 503, no new connections, requests in flight finish (SHUTDOWN_TIMEOUT_MS), then close. */
  shutdown(): Promise<void>;
}

export async function createIdp(config: Config, opts: IdpOptions = {}): Promise<Idp> {
  const log = opts.logger ?? createLogger(config);
  const assets = new Assets(ROOT, config); // first: a wrong BRAND_LOGO stops the start before anything opens
  const store = opts.store ?? (await openStore(config));
  const clock = opts.clock ?? systemClock;

  const methods = opts.methods ?? installedMethods;
  const strings = coreStrings();
  let installed: ReturnType<typeof installMethods>;
  try {
    installed = installMethods(methods, strings);
    keyTable(methods);
    const unconfigured = methods.filter((m) => m.settings && config.methods[m.id] === undefined);
    if (unconfigured.length) throw new MethodError(`method ${unconfigured[0]!.id}: the configuration was loaded without its settings`);
  } catch (err) {
    if (!opts.store) await store.close();
    throw new ConfigError(`invalid methods: ${(err as Error).message}`);
  }
  const { steps } = installed;
  registerScripts(store.redis, installed.scripts);

  const metrics = new Metrics();
  const views = new Views(ROOT, strings, true);
  views.configure({
    brandName: config.brand.name,
    links: { help: config.brand.helpUrl, privacy: config.brand.privacyUrl, contact: config.brand.contactUrl },
    assets: assets.urls,
    levels: config.levels.map((l) => l.acr),
    progress: (flow) => progressOf(flow, steps),
    anotherWay: choseAmongSeveral,
  });
  const serverKeys = await loadServerKeys(store.redis, config).catch(async (err: unknown) => {
    if (!opts.store) await store.close();
    throw err;
  });
  const services: Services = {
    config, log, clock, redis: store.redis, views, steps,
    accounts: new Accounts(store.redis),
    passwords: new Passwords(store.redis, config, clock),
    audit: new Audit(store.redis, config.auditMaxEntries, log, { retentionDays: config.auditRetentionDays, clock, onRecord: (e) => metrics.audit(e) }),
    policy: new Policy(config.levels, steps, config.defaultAcr, (step) => step.enabled?.(config) ?? true),
    sealer: new Sealer(serverKeys.dataKey),
    provider: undefined as unknown as Provider, // set just below: the provider needs the services
    delivery: new Delivery(config, strings),
    secureChannels: new SecureChannels(store.redis),
    otp: undefined as unknown as OneTimeCodes, // set just below, with the sealer
    requests: undefined as unknown as Requests,
    limits: new AbuseLimits(store.redis, config),
  };
  const problems = services.policy.problems();
  if (problems.length) {
    if (!opts.store) await store.close();
    throw new ConfigError(`invalid setting levels: ${problems.join('; ')}`);
  }
  metrics.watchDelivery(services.delivery);
  const unwatchRedis = store.embedded ? undefined : metrics.watchRedis(store.redis);
  services.limits.onRefusal((limit) => metrics.refusal(limit));
  services.otp = new OneTimeCodes(store.redis, config, clock, services.sealer, services.delivery);
  services.requests = new Requests(store.redis, new DocumentStore(config.documents.dir, services.sealer), clock);
  try {
    for (const m of methods) await m.start?.(services);
  } catch (err) {
    if (!opts.store) await store.close();
    // A method's start-up check of its settings reads like any other setting's.
    throw err instanceof MethodError ? new ConfigError(err.message) : err;
  }
  const provider = createProvider(services, serverKeys, installed.prompts, methods.flatMap((m) => (m.provider ? [m.provider] : [])));
  services.provider = provider;
  // The account pages are a client of this IdP; registered on every start (idempotent).
  // The account pages accept every installed second factor, opt-in ones included.
  await saveClient(provider, { ...accountClientMetadata(config.issuer), accepted_methods: steps.ofSlot('second-factor').map((step) => step.id) });
  const engine = new Engine(provider, services);

  const router = new Router();
  assets.routes(router);
  languageRoutes(router, store.redis);
  router.get('/help', (ctx) => render(ctx, services, 'views/help'));
  const lifecycle: Lifecycle = { draining: false };
  healthRoutes(router, store.redis, config, store.embedded, lifecycle);
  // /metrics on PORT, or only on METRICS_PORT (its own little server, started by listen()).
  const metricsRouter = config.metricsPort === undefined ? router : new Router();
  metricsRoute(metricsRouter, metrics, config.metricsToken);
  router.get('/interaction/:uid', (ctx) => engine.show(ctx));
  router.get('/interaction/:uid/callback/:step', (ctx) => engine.callback(ctx, ctx.params.step ?? ''));
  router.get('/callback/:step', (ctx) => callbackEntry(ctx, services));
  router.post('/interaction/:uid', ...formPost(services, { json: true }), limitLogin(services.limits, store.redis), (ctx) => engine.submit(ctx));
  router.post('/interaction/:uid/abort', ...formPost(services), (ctx) => engine.abort(ctx));
  unmetLevelRoutes(router, provider, services, formPost(services));
  anotherWayRoutes(router, provider, store.redis, formPost(services));
  router.use(['/account/password/:kind', '/account/totp/setup', '/account/totp/sync'], limitByAddress(services.limits));
  // The self-service area (the methods' pages, company administration) and the one back office.
  const pagePlugins = [...installed.accountPlugins, companyAdminPlugin, backofficeCompaniesPlugin];
  accountRoutes(router, services, [...pagePlugins, backofficeArea(pagePlugins)]);
  if (config.demo) demoRoutes(router, services);

  for (const m of methods) m.routes?.(router, services);

  provider.use(metrics.httpMiddleware());
  provider.use(requestContext(log, config.trustProxy));
  provider.use(languagePreference());
  provider.use(securityHeaders(config.hstsMaxAge));
  provider.use(oauthUnavailable());
  // A method's middleware sees the request as it came (e.g. the TLS client certificate).
  for (const m of methods) if (m.provider?.middleware) provider.use(m.provider.middleware(services));
  provider.use(limitClientAuth(services.limits, provider));
  provider.use(errorPage(views, log));
  provider.use(ownPaths(router));

  const servers: Server[] = [];
  let extraStarted = false;
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
      if (config.metricsPort !== undefined && metricsRouter !== router && !servers.some((s) => (s as { metrics?: boolean }).metrics)) {
        const app = new Koa();
        app.use(metricsRouter.routes());
        const metricsServer = Object.assign(http.createServer(app.callback()), { metrics: true });
        servers.push(metricsServer);
        await new Promise<void>((resolve, reject) => {
          metricsServer.once('error', reject);
          metricsServer.listen(config.metricsPort, host, () => resolve());
        });
      }
      if (!extraStarted) {
        extraStarted = true;
        for (const m of methods) {
          for (const l of (await m.listeners?.(services)) ?? []) {
            servers.push(await l.start(provider.callback()));
            log.info({ listener: l.name, method: m.id }, 'listening');
          }
        }
      }
      const { port: actual } = server.address() as AddressInfo;
      return { server, url: `http://${host.includes(':') ? `[${host}]` : host}:${actual}` };
    },
    async close() {
      clearInterval(purging);
      await Promise.all(servers.map((s) => new Promise((r) => { (s as http.Server).closeAllConnections?.(); s.close(r); })));
      await Promise.all([services.audit.settled(), lateWorkSettled(), services.limits.close()]);
      unwatchRedis?.();
      if (!opts.store) await store.close();
    },
    async shutdown() {
      lifecycle.draining = true;
      clearInterval(purging);
      await closeGracefully(servers, config.shutdownTimeoutMs);
      await Promise.all([services.audit.settled(), lateWorkSettled(), services.limits.close()]);
      unwatchRedis?.();
      if (!opts.store) await store.close();
    },
  };
}
