import type { ConnectorFactory } from '../../core/connector.js';
import { createPostgresConnector } from './postgres-connector.js';

export {
  createPostgresConnector,
  DEFAULT_MAX_MESSAGE_BYTES,
  type PostgresConnectorOptions,
} from './postgres-connector.js';
export type { ResponseTransform } from './session/relay.js';

/** The PostgreSQL connector, as the composition root registers it. */
export const postgresConnector: ConnectorFactory = (deps) => createPostgresConnector(deps);
