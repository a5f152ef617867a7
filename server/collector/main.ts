/**
 * CLI: `node --import tsx server/collector/main.ts`. Configuration comes from the environment
 * (see config.ts and README.md). Logs the listening URL and storage kind, never a key or the
 * database URL.
 */
import { buildCollector } from './app.js';
import { collectorOptions, createStore, describeStorage, loadConfig } from './config.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    console.error(`collector: ${(err as Error).message}`);
    process.exit(2);
  }
  const app = buildCollector(collectorOptions(config, createStore(config)));
  const shutdown = (signal: string) => {
    app.log.info(`${signal}: closing`);
    app.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  await app.listen({ port: config.port, host: config.host });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  app.log.info(
    `rekey-rtc collector listening on http://${host}:${port} (storage: ${describeStorage(config)}; ` +
      `${config.ingestKeys.length} ingest key(s), ${config.readKeys.length} read key(s), ` +
      `CORS origins: ${config.corsOrigins.length ? config.corsOrigins.join(' ') : 'none'})`,
  );
}

main().catch((err: Error) => {
  console.error(`collector failed to start: ${err.message}`);
  process.exit(1);
});
