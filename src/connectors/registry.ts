/**
 * The only place that knows every protocol. Adding a protocol = a folder under connectors/
 * plus one line in `CONNECTOR_MODULES`. Everything that loads config or evaluates policy takes
 * the modules from here: config composes each type's `target` and rule conditions, policy
 * compiles the conditions, the gateway creates the listeners.
 */

import { readLegacyAttributes } from '../audit/record/audit-event.js';
import {
  loadConfig as loadConfigWith,
  type ParseOptions,
  parseConfig as parseConfigWith,
} from '../config/load.js';
import { buildConfigSchema, type Config } from '../config/schema.js';
import type { ConnectorModule } from '../core/connector-module.js';
import { checkSecret } from '../secrets/index.js';
import { kubernetesModule } from './kubernetes/kubernetes-module.js';
import { postgresModule } from './postgres/postgres-module.js';
import { sshModule } from './ssh/ssh-module.js';

/** Every connector module of this build, one line per protocol. */
export const CONNECTOR_MODULES: ReadonlyArray<ConnectorModule> = [
  postgresModule,
  kubernetesModule,
  sshModule,
];

for (const module of CONNECTOR_MODULES) {
  if (module.legacyAttributes) readLegacyAttributes(module.legacyAttributes);
}

/** The module for a connector `type`; throws when this build has none (config rejects it first). */
export function connectorModule(type: string): ConnectorModule {
  const module = CONNECTOR_MODULES.find((m) => m.type === type);
  if (!module) {
    throw new TypeError(
      `connector type "${type}" is not available in this build (available: ${supportedConnectorTypes().join(', ')})`,
    );
  }
  return module;
}

export function supportedConnectorTypes(): string[] {
  return CONNECTOR_MODULES.map((m) => m.type);
}

/** The config schema for this build's connector types. */
export const configSchema = buildConfigSchema(CONNECTOR_MODULES);

export type ConfigOptions = Omit<ParseOptions, 'modules'>;

/** `loadConfig` (config/load.ts) with this build's connector modules. */
export function loadConfig(path: string, options: ConfigOptions = {}): Promise<Config> {
  return loadConfigWith(path, { checkSecret, ...options, modules: CONNECTOR_MODULES });
}

/** `parseConfig` (config/load.ts) with this build's connector modules. */
export function parseConfig(text: string, sourceName: string, options: ConfigOptions = {}): Config {
  return parseConfigWith(text, sourceName, { checkSecret, ...options, modules: CONNECTOR_MODULES });
}

export { ConfigError, type ConfigIssue, formatIssue } from '../config/load.js';

/** How a protocol's recorded commands replay; undefined for a protocol this build lacks. */
export function replayFor(protocol: string): ConnectorModule['replay'] | undefined {
  return CONNECTOR_MODULES.find((m) => m.type === protocol)?.replay;
}
