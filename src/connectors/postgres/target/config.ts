import { z } from 'zod';
import { type ConnectorConfig, secretRef } from '../../../config/schema.js';

const targetTls = z.union([
  z.enum(['disable', 'require', 'verify-full']),
  z.strictObject({
    mode: z.enum(['disable', 'require', 'verify-full']),
    ca: z.string().optional(),
    servername: z.string().optional(),
  }),
]);

/** A postgres connector's `target:` section (the module's `targetSchema`). */
export const postgresTargetSchema = z.strictObject({
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535),
  database: z.string().optional(),
  user: z.string().optional(),
  password: secretRef.optional(),
  tls: targetTls.prefault('disable'),
});
export type PostgresTargetConfig = z.infer<typeof postgresTargetSchema>;

/** A postgres connector's config, its target typed. */
export type PostgresConnectorConfig = ConnectorConfig<PostgresTargetConfig>;

/**
 * The connector config as this connector knows it: the config schema validated `target`
 * with `postgresTargetSchema` for every connector of type postgres.
 */
export function postgresConfig(config: ConnectorConfig): PostgresConnectorConfig {
  if (config.type !== 'postgres') {
    throw new TypeError(`connector "${config.name}" is of type ${config.type}, not postgres`);
  }
  return config as PostgresConnectorConfig;
}
