/**
 * A very large statement is parsed in a worker thread (classify/off-thread.ts): it does not hold
 * up the event loop, so other sessions are answered while it is classified.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSqlClassifier } from '../../src/connectors/postgres/classify/classifier.js';
import { startTestConnector, type TestConnector } from '../helpers/pg-connector.js';

let gw: TestConnector;
beforeAll(async () => {
  gw = await startTestConnector();
});
afterAll(() => gw?.stop());

const bigLiteral = (fill: string) => `select length('${fill.repeat(1_500_000)}') as n`;

/** The longest the event loop went without running a 2 ms timer while `work` ran. */
async function longestStall<T>(work: () => Promise<T>): Promise<{ result: T; stall: number }> {
  let last = performance.now();
  let stall = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    stall = Math.max(stall, now - last);
    last = now;
  }, 2);
  try {
    const result = await work();
    return { result, stall: Math.max(stall, performance.now() - last) };
  } finally {
    clearInterval(timer);
  }
}

describe('a 1.5 MB statement', () => {
  it('is classified off the event loop, in the worker', async () => {
    const classifier = await loadSqlClassifier();
    const started = performance.now();
    const inThread = classifier.classify(bigLiteral('a'));
    const inThreadMs = performance.now() - started;
    const { result, stall } = await longestStall(async () => {
      const pending = classifier.classifyOffThread(bigLiteral('b'));
      expect(pending).toBeInstanceOf(Promise);
      return pending;
    });
    expect(result).toEqual(inThread);
    // In the thread the loop would stall for the whole parse.
    expect(stall).toBeLessThan(inThreadMs * 0.6);
    // Now cached: answered at once.
    expect(classifier.classifyOffThread(bigLiteral('b'))).toBe(result);
  });

  it('does not stop another session from being answered meanwhile', async () => {
    const big = new pg.Client(gw.pgConfig(await gw.token()));
    const other = new pg.Client(gw.pgConfig(await gw.token()));
    await Promise.all([big.connect(), other.connect()]);
    try {
      const order: string[] = [];
      const bigDone = big.query(bigLiteral('c')).then((r) => {
        order.push('big');
        return r.rows[0].n as number;
      });
      const small = (async () => {
        // Keep asking until the big statement is answered; at least one answer must come first.
        for (let i = 0; i < 200 && !order.includes('big'); i++) {
          await other.query('select 1');
          order.push('small');
        }
      })();
      expect(await bigDone).toBe(1_500_000);
      await small;
      expect(order.indexOf('small')).toBeLessThan(order.indexOf('big'));
      const recorded = gw.audit.commands.find((c) =>
        c.command.text.startsWith("select length('ccc"),
      );
      expect(recorded?.command.classes).toEqual(['read']);
    } finally {
      await Promise.all([big.end(), other.end()]);
    }
  });
});
