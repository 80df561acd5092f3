/**
 * Transitional, types only: src/audit/session-replay.ts (moving into the PostgreSQL connector,
 * not to be edited here) still imports the session records from this path. The records live in
 * src/audit/record/records.ts; import them from there. Delete this file once session-replay.ts
 * imports them from their home.
 */
export type {
  SessionWithCommands,
  StoredCommand,
} from '../audit/record/records.js';
