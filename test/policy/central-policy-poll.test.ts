import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { PolicyVersions } from '../../src/server/central-policy/policy-versions.js';
import { openStore, type Store } from '../../src/store/index.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

/**
 * The safety net under the change feed: a version that arrives without a notification (another
 * process on the same SQLite file, or a NOTIFY lost while a listener reconnected) is picked up by
 * the poll.
 */
describe('central policy poll', () => {
  let gateway: TestGateway;
  let other: Store;

  beforeAll(async () => {
    gateway = await startTestGateway({ database: 'unused', policyPollMs: 100 });
    const url = (parse(gateway.configText) as { store: { url: string } }).store.url;
    other = await openStore(url);
  });

  afterAll(async () => {
    await other?.close();
    await gateway?.close();
  });

  it('enforces a version written elsewhere, unannounced, within the poll interval', async () => {
    expect(gateway.gateway.policyVersion()).toBe(0);
    const { version: written } = await new PolicyVersions(other).append(
      {
        document: 'connectors:\n  - name: pg\n    default: deny\n',
        author: { issuer: 'test', subject: 'elsewhere' },
      },
      Date.now(),
    );
    expect(written.version).toBe(1);
    const started = performance.now();
    while (gateway.gateway.policyVersion() < 1 && performance.now() - started < 5000)
      await new Promise((resolve) => setTimeout(resolve, 10));
    expect(gateway.gateway.policyVersion()).toBe(1);
    expect(gateway.gateway.gate.connectorConfig('pg').default).toBe('deny');
  });
});
