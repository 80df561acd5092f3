import { existsSync } from 'node:fs';
import { loadConfig } from '../../config/load.js';
import type { ConnectorSchemaModule } from '../../config/schema.js';
import { openStore, type Store } from '../../store/index.js';
import { parseStoreUrl, redactStoreUrl } from '../../store/store-url.js';

/**
 * Opens the store a config names, to read the audit record without a running gateway
 * (`gatehouse sessions`, `gatehouse audit`). Never migrates or creates anything: a missing
 * SQLite file or a schema from another version is an error that says so. Whoever can read the
 * store can read the audit record, so protect the store's file or credentials accordingly.
 * `modules` are the build's connector modules (the config schema needs them).
 */
export async function openStoreForReading(
  configPath: string,
  modules: ReadonlyArray<ConnectorSchemaModule>,
): Promise<Store> {
  if (!existsSync(configPath)) throw new Error(`no config file at ${configPath} (pass -c FILE)`);
  const config = await loadConfig(configPath, { checkReferences: false, modules });
  const url = config.store.url;
  const location = parseStoreUrl(url);
  if (location.dialect === 'sqlite' && location.path !== ':memory:' && !existsSync(location.path)) {
    throw new Error(`no store at ${redactStoreUrl(url)} (has the gateway run with this config?)`);
  }
  return openStore(url, { migrate: false, poolSize: 2 });
}
