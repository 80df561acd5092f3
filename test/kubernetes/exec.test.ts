/**
 * exec through the gateway into a running pod: KWOK plays the kubelet for one fake node and
 * runs the command on this machine, so kubectl's stream (WebSocket, else SPDY) goes
 * kubectl → gateway → API server → "kubelet" and back. An agent's exec waits for review.
 */
import { once } from 'node:events';
import { appendFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getSession, listSessions } from '../../src/audit/read/session-queries.js';
import { ApiClient } from '../approvals/flow-helpers.js';
import {
  apiServerAvailable,
  freePort,
  KWOK_NODE,
  kwokAvailable,
  startApiServer,
  type TestApiServer,
} from './helpers/apiserver.js';
import { type K8sGateway, runKubectl, startK8sGateway } from './helpers/k8s-gateway.js';

const available = apiServerAvailable() && kwokAvailable();

describe.skipIf(!available)('exec into a running pod (KWOK) through the gateway', () => {
  let api: TestApiServer;
  let gw: K8sGateway;
  const sre = { groups: ['sre'] };

  beforeAll(async () => {
    api = await startApiServer({ kwok: true });
    api.admin(['create', 'namespace', 'dev']);
    api.admin([
      'create',
      'clusterrolebinding',
      'admins',
      '--clusterrole=cluster-admin',
      '--group=sre',
      '--group=agents',
    ]);
    api.admin(
      ['apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'shell', namespace: 'dev' },
        spec: { nodeName: KWOK_NODE, containers: [{ name: 'app', image: 'busybox' }] },
      }),
    );
    const deadline = Date.now() + 60_000;
    while (
      api.admin(['get', 'pod', 'shell', '-n', 'dev', '-o', 'jsonpath={.status.phase}']) !==
      'Running'
    ) {
      if (Date.now() > deadline) throw new Error('the KWOK pod never ran');
      await new Promise((r) => setTimeout(r, 250));
    }
    gw = await startK8sGateway(api, {
      rules: [
        {
          name: 'agent-exec-needs-review',
          when: { verb: ['exec'], agent: true },
          action: 'review',
          review: { approvers: ['sre'] },
        },
      ],
    });
  }, 180_000);

  afterAll(async () => {
    await gw?.close();
    await api?.close();
  });

  it('runs a command and streams its output and stdin both ways', async () => {
    const echoed = await gw.kubectl(
      'alice',
      ['exec', 'shell', '-n', 'dev', '--', 'echo', 'hello-from-kwok'],
      sre,
    );
    expect(echoed.code, echoed.stderr).toBe(0);
    expect(echoed.stdout).toBe('hello-from-kwok\n');
    // One line in, one line out: the stream carries stdin without relying on an EOF signal.
    const piped = await gw.kubectl(
      'alice',
      ['exec', '-i', 'shell', '-n', 'dev', '--', 'sh', '-c', 'read line; echo "got: $line"'],
      { ...sre, input: 'through the gate\n' },
    );
    expect(piped.code, piped.stderr).toBe(0);
    expect(piped.stdout).toBe('got: through the gate\n');
    const sessions = await listSessions(gw.gateway.store, { subject: 'alice' });
    const texts: string[] = [];
    for (const s of sessions) {
      const full = await getSession(gw.gateway.store, s.id);
      texts.push(...(full?.commands.map((c) => `${c.decision.action} ${c.text}`) ?? []));
    }
    expect(texts).toContain('allow echo hello-from-kwok');
    // The audit record holds what the terminal showed (asciicast), for replay; the outcome is
    // written when the stream's sockets close, just after kubectl exits.
    let shown: unknown;
    for (let i = 0; i < 100 && shown === undefined; i++) {
      for (const s of await listSessions(gw.gateway.store, { subject: 'alice' })) {
        const full = await getSession(gw.gateway.store, s.id);
        const echo = full?.commands.find((c) => c.text === 'echo hello-from-kwok' && c.outcome);
        if (echo) {
          shown = echo.outcome?.result ?? null;
        }
      }
      if (shown === undefined) await new Promise((r) => setTimeout(r, 50));
    }
    expect(shown).toMatchObject({
      kind: 'terminal',
      events: [[expect.any(Number), 'o', 'hello-from-kwok\n']],
    });
    expect(texts).toContain(`allow sh -c 'read line; echo "got: $line"'`);
  });

  it("holds an agent's exec until approved, then runs it", async () => {
    const kubeconfig = await gw.kubeconfigWith(
      await gw.token('bot', { groups: ['agents'], agent: true }),
    );
    const run = runKubectl(
      kubeconfig,
      ['exec', 'shell', '-n', 'dev', '--', 'echo', 'approved-run'],
      {
        cacheDir: `${gw.dir}/kube-cache`,
      },
    );
    const reviewer = new ApiClient(gw.gateway.apiUrl, await gw.token('carol', sre));
    const ticket = await reviewer.waitForTicket('echo approved-run', 'pending', 30_000);
    await reviewer.decide(ticket.id, 'approve', { rationale: 'fine' });
    const result = await run.done;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('approved-run\n');
  });

  it('streams logs -f as the container writes them', async () => {
    // The CRI log format a kubelet reads: time, stream, full/partial tag, text.
    const line = (text: string) => `${new Date().toISOString()} stdout F ${text}\n`;
    await appendFile(api.podLogFile, line('first line'));
    const kubeconfig = await gw.kubeconfigWith(await gw.token('alice', sre));
    const follow = runKubectl(kubeconfig, ['logs', '-f', 'shell', '-n', 'dev'], {
      cacheDir: `${gw.dir}/kube-cache`,
    });
    try {
      const waitFor = async (text: string) => {
        const deadline = Date.now() + 20_000;
        while (!follow.stdout().includes(text) && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 100));
        }
        expect(follow.stdout()).toContain(text);
      };
      await waitFor('first line');
      await appendFile(api.podLogFile, line('written later'));
      await waitFor('written later');
    } finally {
      follow.kill();
      await follow.done;
    }
  });

  it('forwards a port to the pod through the gateway', async () => {
    const echo = createServer((socket) => socket.pipe(socket));
    echo.listen(0, '127.0.0.1');
    await once(echo, 'listening');
    const echoPort = (echo.address() as { port: number }).port;
    api.admin(
      ['apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'kwok.x-k8s.io/v1alpha1',
        kind: 'ClusterPortForward',
        metadata: { name: 'echo' },
        spec: { forwards: [{ ports: [8080], target: { address: '127.0.0.1', port: echoPort } }] },
      }),
    );
    const local = await freePort();
    const kubeconfig = await gw.kubeconfigWith(await gw.token('alice', sre));
    const forward = runKubectl(
      kubeconfig,
      ['port-forward', 'pod/shell', `${local}:8080`, '-n', 'dev'],
      {
        cacheDir: `${gw.dir}/kube-cache`,
      },
    );
    try {
      const deadline = Date.now() + 20_000;
      while (!forward.stdout().includes('Forwarding from') && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(forward.stdout()).toContain('Forwarding from');
      const reply = await new Promise<string>((resolve, reject) => {
        const client = connect(local, '127.0.0.1', () => client.write('ping through the gate\n'));
        let text = '';
        client.on('data', (chunk: Buffer) => {
          text += chunk.toString();
          if (text.includes('\n')) {
            client.end();
            resolve(text);
          }
        });
        client.on('error', reject);
        setTimeout(() => reject(new Error(`no echo (got ${JSON.stringify(text)})`)), 15_000);
      });
      expect(reply).toBe('ping through the gate\n');
    } finally {
      forward.kill();
      await forward.done;
      echo.close();
    }
    const sessions = await listSessions(gw.gateway.store, { subject: 'alice' });
    const classes: string[][] = [];
    for (const s of sessions) {
      const full = await getSession(gw.gateway.store, s.id);
      classes.push(...(full?.commands.map((c) => [...c.classes]) ?? []));
    }
    expect(classes.some((c) => c.includes('portforward'))).toBe(true);
  });
});
