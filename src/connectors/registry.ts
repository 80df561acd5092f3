import type { ReplayRenderer } from '../core/connector-module.js';
import { replayPostgresCommand } from './postgres/replay/replay.js';

/**
 * Minimal stand-in for the connector registry (the full one lists each protocol's
 * ConnectorModule): each protocol's replay, by the protocol name sessions record.
 */
const REPLAYS: Readonly<Record<string, ReplayRenderer>> = {
  postgres: replayPostgresCommand,
};

/** The replay of the connector module for a protocol; undefined when no module is known. */
export function replayFor(protocol: string): ReplayRenderer | undefined {
  return Object.hasOwn(REPLAYS, protocol) ? REPLAYS[protocol] : undefined;
}
