import type { StoreDialect } from './migrations/index.js';

export type StoreLocation =
  | { dialect: 'sqlite'; path: string }
  | { dialect: 'postgres'; url: string };

/** `sqlite:PATH` (or `sqlite::memory:`) and `postgres://…`/`postgresql://…`. */
export function parseStoreUrl(url: string): StoreLocation {
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length);
    if (!path) throw new TypeError('store url sqlite: needs a path (sqlite:./data/gatehouse.db)');
    return { dialect: 'sqlite', path };
  }
  if (/^postgres(ql)?:\/\//.test(url)) return { dialect: 'postgres', url };
  throw new TypeError(
    `unsupported store url ${redactStoreUrl(url)} (use sqlite:PATH or postgres://…)`,
  );
}

/** The URL with any password replaced, fit for logs and errors. */
export function redactStoreUrl(url: string): string {
  return url
    .replace(/^([a-z]+:\/\/[^:/@]*):[^@/]*@/i, '$1:***@')
    .replace(/([?&]password=)[^&]*/i, '$1***');
}

export type { StoreDialect };
