import type { ConnectorConfig } from '../config/schema.js';
import { postgresConnector } from '../connectors/postgres/index.js';
import type { ConnectorFactory } from '../core/connector.js';

/**
 * The only place that knows every protocol. Adding a protocol = a folder under connectors/
 * plus one line here.
 */
const FACTORIES: Partial<Record<ConnectorConfig['type'], ConnectorFactory>> = {
  postgres: postgresConnector,
};

export function connectorFactory(type: ConnectorConfig['type']): ConnectorFactory {
  const factory = FACTORIES[type];
  if (!factory) throw new TypeError(`connector type "${type}" is not available in this build`);
  return factory;
}

export function supportedConnectorTypes(): string[] {
  return Object.keys(FACTORIES);
}
