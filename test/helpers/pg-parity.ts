import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import { startTestGateway, type TestGateway, type TestGatewayOptions } from './gateway.js';
import { createDatabase, localConfig, type TestDatabase } from './pg-db.js';
import type { LibpqTarget } from './psql.js';
import { LOCAL_POSTGRES } from './services.js';

/** The subject (and PostgreSQL user name sent at startup) parity clients connect as. */
export const PARITY_SUBJECT = 'parity-tester';

/** Two ways to the same database: straight to the server, and through a gateway. */
export interface ParityTarget {
  readonly db: TestDatabase;
  readonly gw: TestGateway;
  /** libpq settings for psql/pgbench; `via` picks the path. */
  libpq(via: 'direct' | 'gateway'): Promise<LibpqTarget>;
  /** A connected pg client; the suite ends it. */
  client(via: 'direct' | 'gateway', setup?: (client: pg.Client) => void): Promise<pg.Client>;
}

/**
 * Registers beforeAll/afterAll that create a unique database (with `fixtureSql` applied
 * directly), start a gateway in front of it, and tear both down, ending every client handed out.
 */
export function useParityTarget(
  prefix: string,
  fixtureSql = '',
  gatewayOptions: Partial<TestGatewayOptions> = {},
): ParityTarget {
  let db: TestDatabase | undefined;
  let gw: TestGateway | undefined;
  const clients: pg.Client[] = [];

  beforeAll(async () => {
    db = await createDatabase(prefix);
    if (fixtureSql) await db.exec(fixtureSql);
    gw = await startTestGateway({ database: db.name, ...gatewayOptions });
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.end().catch(() => {})));
    try {
      await gw?.close();
    } finally {
      await db?.drop();
    }
  });

  const target: ParityTarget = {
    get db() {
      if (!db) throw new Error('parity database not created yet (use inside tests)');
      return db;
    },
    get gw() {
      if (!gw) throw new Error('parity gateway not started yet (use inside tests)');
      return gw;
    },
    async libpq(via) {
      if (via === 'direct') return { ...LOCAL_POSTGRES, database: target.db.name };
      const g = target.gw;
      return {
        host: g.host,
        port: g.port,
        user: PARITY_SUBJECT,
        database: g.database,
        password: await g.token(PARITY_SUBJECT),
      };
    },
    async client(via, setup) {
      const config =
        via === 'direct'
          ? localConfig(target.db.name)
          : await target.gw.clientConfig(PARITY_SUBJECT);
      const client = new pg.Client(config);
      clients.push(client);
      setup?.(client);
      await client.connect();
      return client;
    },
  };
  return target;
}
