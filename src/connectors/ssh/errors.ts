import type { GatehouseError } from '../../core/errors.js';

/** A refusal as the client sees it on stderr: one line, then exit status 126. */
export function renderSshError(error: GatehouseError): Uint8Array {
  const { ticketId, rationale, hint } = error.details;
  let line = `gatehouse: ${error.message}`;
  if (ticketId) line += ` (ticket ${ticketId})`;
  if (rationale) line += `: ${rationale}`;
  if (hint) line += ` (${hint})`;
  return new TextEncoder().encode(`${line.replace(/[\r\n]+/g, ' ')}\r\n`);
}
