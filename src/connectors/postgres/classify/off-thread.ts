/**
 * One worker thread per process that parses big SQL texts (parse-worker.ts), so a huge
 * statement costs its own session the time, not every session on the event loop. Requests are
 * answered in order; the worker does not keep the process alive.
 */
import { Worker } from 'node:worker_threads';

type Answer = { id: number; tree?: unknown; error?: string };

let worker: Worker | undefined;
let nextId = 0;
const waiting = new Map<
  number,
  { resolve: (tree: unknown) => void; reject: (err: Error) => void }
>();

function start(): Worker {
  // Built: parse-worker.js beside this file; from sources (tests): parse-worker.ts.
  const file = import.meta.url.endsWith('.ts') ? './parse-worker.ts' : './parse-worker.js';
  const created = new Worker(new URL(file, import.meta.url));
  created.unref();
  created.on('message', (answer: Answer) => {
    const request = waiting.get(answer.id);
    if (!request) return;
    waiting.delete(answer.id);
    if (answer.error !== undefined) request.reject(new Error(answer.error));
    else request.resolve(answer.tree);
  });
  const fail = (err: Error) => {
    worker = undefined;
    for (const request of waiting.values()) request.reject(err);
    waiting.clear();
  };
  created.on('error', fail);
  created.on('exit', () => fail(new Error('the SQL parser worker exited')));
  return created;
}

/** libpg-query's parse tree of `sql`, parsed in the worker; rejects when the parser does. */
export function parseOffThread(sql: string): Promise<unknown> {
  worker ??= start();
  const id = nextId++;
  const promise = new Promise<unknown>((resolve, reject) => waiting.set(id, { resolve, reject }));
  worker.postMessage({ id, sql });
  return promise;
}
