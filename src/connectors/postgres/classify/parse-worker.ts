/**
 * The PostgreSQL parser in a worker thread, for texts big enough that parsing them would hold up
 * every other session (a 1.5 MB literal takes 100–250 ms). Receives `{ id, sql }`, answers
 * `{ id, tree }` or `{ id, error }`. Only erasable TypeScript here: Node runs it as it is.
 */
import { parentPort } from 'node:worker_threads';
import { loadModule, parseSync } from 'libpg-query';

await loadModule();
parentPort?.on('message', (request: { id: number; sql: string }) => {
  try {
    parentPort?.postMessage({ id: request.id, tree: parseSync(request.sql) });
  } catch (err) {
    parentPort?.postMessage({ id: request.id, error: String(err) });
  }
});
