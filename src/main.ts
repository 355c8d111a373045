// `npm start [-- --import FILE.json ...]`: serves the IdP. Outside production it also loads the demo
// data and serves the demo relying party at /demo.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from './config.ts';
import { createLogger } from './logger.ts';
import { openStore, StoreUnavailable } from './store/redis.ts';
import { ImportError } from './provisioning/import.ts';
import { checkProduction } from './startup-checks.ts';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { import: { type: 'string', multiple: true } }, allowPositionals: false });
  const config = loadConfig(process.env, { importFiles: values.import ?? [] });
  const log = createLogger(config);
  checkProduction(config);
  const store = await openStore(config);
  if (store.embedded) {
    if (config.production) throw new ConfigError('invalid setting REDIS_URL: production mode needs a real Redis');
    log.warn('store: embedded in-process store (REDIS_URL is unset): data is lost on exit and not shared with other processes; set REDIS_URL for real use');
  } else {
    log.info('store: Redis');
  }
  // Loaded after the store line so that it stays the first thing logged (oidc-provider may warn on load).
  const { createIdp, ROOT } = await import('./app.ts');
  const { applyImport, readImportFile } = await import('./provisioning/import.ts');
  const { demoClientMetadata } = await import('./demo/demo-rp.ts');
  const { saveClient } = await import('./store/oidc-adapter.ts');
  const idp = await createIdp(config, { store, logger: log });
  const files = [...(config.demo ? [path.join(ROOT, 'src', 'demo', 'demo-data.json')] : []), ...config.importFiles];
  for (const file of files) {
    const summary = await applyImport(readImportFile(file, idp.services), idp.services, idp.provider);
    log.info({ file, ...summary }, 'imported');
  }
  if (config.demo) await saveClient(idp.provider, demoClientMetadata(config.issuer));
  const { url } = await idp.listen();
  log.info({ issuer: config.issuer, listening: url, demo: config.demo ? `${config.issuer}/demo` : undefined }, 'IdP ready');

  const stop = async (signal: string) => {
    log.info({ signal }, 'shutting down: finishing requests in flight');
    // Whatever happens below, the process ends.
    setTimeout(() => process.exit(1), config.shutdownTimeoutMs + 5000).unref();
    await idp.shutdown();
    await store.close();
    log.info('stopped');
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError || err instanceof ImportError || err instanceof StoreUnavailable) {
    console.error(`cannot start: ${err.message}`);
  } else {
    console.error('cannot start:', err);
  }
  process.exit(1);
});
