/**
 * The Kubernetes connector against a real kube-apiserver (RBAC, etcd) with the real kubectl:
 * reads and writes pass, a denied delete shows the rule's rationale, a held delete waits for a
 * reviewer, watches stream, forged and expired tokens are refused, and the cluster's RBAC sees
 * the caller (impersonation), not the gateway.
 */
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getSession, listSessions } from '../../src/audit/read/session-queries.js';
import { DevIssuer } from '../../src/identity/index.js';
import { ApiClient } from '../approvals/flow-helpers.js';
import { apiServerAvailable, startApiServer, type TestApiServer } from './helpers/apiserver.js';
import { type K8sGateway, runKubectl, startK8sGateway } from './helpers/k8s-gateway.js';

const available = apiServerAvailable();

const RULES = [
  {
    name: 'prod-deletes-need-review',
    when: { verb: ['delete', 'deletecollection'], namespace: ['prod'] },
    action: 'review',
    review: { approvers: ['sre'] },
  },
  {
    name: 'kube-system-is-read-only',
    when: { verb: ['write'], namespace: ['kube-system'] },
    action: 'deny',
    reason: 'kube-system is managed by the platform team',
  },
  {
    name: 'agent-exec-needs-review',
    when: { verb: ['exec'], agent: true },
    action: 'review',
    review: { approvers: ['sre'] },
  },
  {
    name: 'no-exec-into-privileged-pods',
    when: { verb: ['exec', 'attach'], privileged: true },
    action: 'deny',
    reason: 'exec into privileged pods is not allowed',
  },
];

const pod = (name: string, securityContext: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'dev' },
  spec: { containers: [{ name: 'app', image: 'busybox', securityContext }] },
});

const configMap = (namespace: string, name: string, value = 'v1') =>
  JSON.stringify({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace },
    data: { key: value },
  });

describe.skipIf(!available)('kubernetes connector with kubectl and a real API server', () => {
  let api: TestApiServer;
  let gw: K8sGateway;
  const sre = { groups: ['sre'] };

  beforeAll(async () => {
    api = await startApiServer();
    for (const ns of ['dev', 'prod']) api.admin(['create', 'namespace', ns]);
    // RBAC in the cluster: groups sre and agents may do anything; user viewer may only read
    // config maps (the aggregated view role needs a controller-manager this cluster lacks).
    const admins = ['--clusterrole=cluster-admin', '--group=sre', '--group=agents'];
    api.admin(['create', 'clusterrolebinding', 'admins', ...admins]);
    api.admin([
      'create',
      'clusterrole',
      'reader',
      '--verb=get,list,watch',
      '--resource=configmaps',
    ]);
    api.admin(['create', 'clusterrolebinding', 'viewer', '--clusterrole=reader', '--user=viewer']);
    gw = await startK8sGateway(api, { rules: RULES });
  }, 180_000);

  afterAll(async () => {
    await gw?.close();
    await api?.close();
  });

  it('gets, applies and deletes through the gateway', async () => {
    const version = await gw.kubectl('alice', ['version', '-o', 'json'], sre);
    expect(version.code, version.stderr).toBe(0);
    expect(JSON.parse(version.stdout).serverVersion.gitVersion).toMatch(/^v1\.37\./);

    const applied = await gw.kubectl('alice', ['apply', '-f', '-'], {
      ...sre,
      input: configMap('dev', 'app'),
    });
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toContain('configmap/app created');
    const got = await gw.kubectl(
      'alice',
      ['get', 'configmap', 'app', '-n', 'dev', '-o', 'json'],
      sre,
    );
    expect(got.code, got.stderr).toBe(0);
    expect(JSON.parse(got.stdout).data).toEqual({ key: 'v1' });

    const deleted = await gw.kubectl('alice', ['delete', 'configmap', 'app', '-n', 'dev'], sre);
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(() => api.admin(['get', 'configmap', 'app', '-n', 'dev'])).toThrow(/NotFound|not found/);
  });

  it('refuses a denied delete with the rule and its rationale, and leaves the object', async () => {
    api.admin(['create', 'configmap', 'platform', '-n', 'kube-system', '--from-literal=a=b']);
    const refused = await gw.kubectl(
      'alice',
      ['delete', 'configmap', 'platform', '-n', 'kube-system'],
      sre,
    );
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('Error from server (Forbidden)');
    expect(refused.stderr).toContain('kube-system-is-read-only');
    expect(refused.stderr).toContain('kube-system is managed by the platform team');
    expect(
      api.admin(['get', 'configmap', 'platform', '-n', 'kube-system', '-o', 'name']),
    ).toContain('configmap/platform');
  });

  it('holds a delete in prod until a reviewer approves it, then forwards it', async () => {
    api.admin(['create', 'configmap', 'web', '-n', 'prod', '--from-literal=a=b']);
    const kubeconfig = await gw.kubeconfigWith(
      await gw.token('bot', { groups: ['agents'], agent: true }),
    );
    const run = runKubectl(kubeconfig, ['delete', 'configmap', 'web', '-n', 'prod'], {
      cacheDir: `${gw.dir}/kube-cache`,
    });
    const reviewer = new ApiClient(gw.gateway.apiUrl, await gw.token('carol', sre));
    const ticket = await reviewer.waitForTicket(
      'DELETE /api/v1/namespaces/prod/configmaps/web',
      'pending',
      30_000,
    );
    expect(ticket.rule).toBe('prod-deletes-need-review');
    // Still there while held.
    expect(api.admin(['get', 'configmap', 'web', '-n', 'prod', '-o', 'name'])).toContain(
      'configmap/web',
    );
    await reviewer.decide(ticket.id, 'approve', { rationale: 'planned cleanup' });
    const result = await run.done;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('configmap "web" deleted');
    expect(() => api.admin(['get', 'configmap', 'web', '-n', 'prod'])).toThrow(
      /NotFound|not found/,
    );
  });

  it('refuses a held delete the reviewer denies, with the ticket id', async () => {
    api.admin(['create', 'configmap', 'keep', '-n', 'prod', '--from-literal=a=b']);
    const kubeconfig = await gw.kubeconfigWith(
      await gw.token('bot', { groups: ['agents'], agent: true }),
    );
    const run = runKubectl(kubeconfig, ['delete', 'configmap', 'keep', '-n', 'prod'], {
      cacheDir: `${gw.dir}/kube-cache`,
    });
    const reviewer = new ApiClient(gw.gateway.apiUrl, await gw.token('carol', sre));
    const ticket = await reviewer.waitForTicket(
      'DELETE /api/v1/namespaces/prod/configmaps/keep',
      'pending',
      30_000,
    );
    await reviewer.decide(ticket.id, 'deny', { rationale: 'still in use' });
    const result = await run.done;
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('Forbidden');
    expect(result.stderr).toContain(ticket.id);
    expect(api.admin(['get', 'configmap', 'keep', '-n', 'prod', '-o', 'name'])).toContain(
      'configmap/keep',
    );
  });

  it('streams a watch', async () => {
    const kubeconfig = await gw.kubeconfigWith(await gw.token('alice', sre));
    const watch = runKubectl(
      kubeconfig,
      ['get', 'configmaps', '-n', 'dev', '--watch', '-o', 'name'],
      {
        cacheDir: `${gw.dir}/kube-cache`,
      },
    );
    try {
      await new Promise((r) => setTimeout(r, 1500));
      api.admin(['create', 'configmap', 'watched', '-n', 'dev', '--from-literal=a=b']);
      const deadline = Date.now() + 20_000;
      while (!watch.stdout().includes('configmap/watched') && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(watch.stdout()).toContain('configmap/watched');
    } finally {
      watch.kill();
      await watch.done;
    }
  });

  it('refuses missing, forged and expired tokens with 401', async () => {
    const noToken = await fetchStatus(gw.url, '/api/v1/namespaces', undefined, api.caFile);
    expect(noToken.status).toBe(401);
    expect(noToken.body).toMatchObject({ kind: 'Status', reason: 'Unauthorized', code: 401 });

    const other = await DevIssuer.load({ ...gw.devIssuerConfig, key_file: `${gw.dir}/other.key` });
    const forged = await gw.kubeconfigWith(await other.mint('alice', { groups: ['sre'] }));
    const forgedRun = await runKubectl(forged, ['get', 'namespaces'], { cacheDir: `${gw.dir}/c2` })
      .done;
    expect(forgedRun.code).not.toBe(0);
    expect(forgedRun.stderr).toMatch(/Unauthorized|must be logged in/);

    const past = await DevIssuer.load(gw.devIssuerConfig, {
      clock: { now: () => Date.now() - 3 * 3600_000 },
    });
    const expired = await gw.kubeconfigWith(
      await past.mint('alice', { groups: ['sre'], ttlSeconds: 60 }),
    );
    const expiredRun = await runKubectl(expired, ['get', 'namespaces'], {
      cacheDir: `${gw.dir}/c3`,
    }).done;
    expect(expiredRun.code).not.toBe(0);
    expect(expiredRun.stderr).toMatch(/Unauthorized|must be logged in/);
  });

  it('lets the cluster RBAC see the caller: impersonation, client --as stripped', async () => {
    const viewer = await gw.kubectl('viewer', ['get', 'configmaps', '-n', 'dev', '-o', 'name']);
    expect(viewer.code, viewer.stderr).toBe(0);
    const write = await gw.kubectl('viewer', ['create', 'configmap', 'nope', '-n', 'dev']);
    expect(write.code).not.toBe(0);
    expect(write.stderr).toContain('User "viewer" cannot create resource "configmaps"');
    // A client's own Impersonate-* headers never reach the API server.
    const escalate = await gw.kubectl('viewer', [
      'create',
      'configmap',
      'nope',
      '-n',
      'dev',
      '--as=test-admin',
    ]);
    expect(escalate.code).not.toBe(0);
    expect(escalate.stderr).toContain('User "viewer" cannot create resource "configmaps"');
    const whoami = await gw.kubectl('dana', ['auth', 'whoami', '-o', 'json'], { groups: ['sre'] });
    expect(whoami.code, whoami.stderr).toBe(0);
    const user = JSON.parse(whoami.stdout).status.userInfo;
    expect(user.username).toBe('dana');
    expect(user.groups).toContain('sre');
  });

  it('masks Secret values for identities without an exemption', async () => {
    api.admin([
      'create',
      'secret',
      'generic',
      'db',
      '-n',
      'dev',
      '--from-literal=password=hunter2',
    ]);
    const masked = await gw.kubectl(
      'alice',
      ['get', 'secret', 'db', '-n', 'dev', '-o', 'json'],
      sre,
    );
    expect(masked.code, masked.stderr).toBe(0);
    const password = JSON.parse(masked.stdout).data.password;
    expect(Buffer.from(password, 'base64').toString()).toBe('********');
    const table = await gw.kubectl('alice', ['get', 'secrets', '-n', 'dev'], sre);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/^db\s+Opaque\s+1\s/m);
    const list = await gw.kubectl('alice', ['get', 'secrets', '-n', 'dev', '-o', 'yaml'], sre);
    expect(list.stdout).not.toContain(Buffer.from('hunter2').toString('base64'));
    const exempt = await gw.kubectl('erin', ['get', 'secret', 'db', '-n', 'dev', '-o', 'json'], {
      groups: ['sre', 'secret-readers'],
    });
    expect(Buffer.from(JSON.parse(exempt.stdout).data.password, 'base64').toString()).toBe(
      'hunter2',
    );
  });

  it('classifies an exec by its pod: into a privileged one denied, into a plain one forwarded', async () => {
    // No kubelet here: the pods stay Pending, so a forwarded exec ends in the API server's own
    // refusal, which proves the upgrade went through the gateway to the API server.
    api.admin(
      ['apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'List',
        items: [pod('plain'), pod('priv', { privileged: true })],
      }),
    );
    const plain = await gw.kubectl(
      'alice',
      ['exec', 'plain', '-n', 'dev', '--', 'cat', '/etc/hostname'],
      sre,
    );
    expect(plain.code).not.toBe(0);
    expect(plain.stderr).toMatch(/does not have a host assigned/);
    const priv = await gw.kubectl('alice', ['exec', 'priv', '-n', 'dev', '--', 'id'], sre);
    expect(priv.code).not.toBe(0);
    expect(priv.stderr).toContain('exec into privileged pods is not allowed');
    const sessions = await listSessions(gw.gateway.store, { subject: 'alice' });
    const decided: string[] = [];
    for (const s of sessions) {
      const full = await getSession(gw.gateway.store, s.id);
      decided.push(...(full?.commands.map((c) => `${c.decision.action} ${c.text}`) ?? []));
    }
    expect(decided).toContain('allow cat /etc/hostname');
    expect(decided).toContain('deny id');
  });

  it('holds an agent exec for review; a refusal is not re-asked when kubectl retries over SPDY', async () => {
    const kubeconfig = await gw.kubeconfigWith(
      await gw.token('bot', { groups: ['agents'], agent: true }),
    );
    const run = runKubectl(kubeconfig, ['exec', 'plain', '-n', 'dev', '--', 'uname', '-a'], {
      cacheDir: `${gw.dir}/kube-cache`,
    });
    const reviewer = new ApiClient(gw.gateway.apiUrl, await gw.token('carol', sre));
    const ticket = await reviewer.waitForTicket('uname -a', 'pending', 30_000);
    expect(ticket.rule).toBe('agent-exec-needs-review');
    await reviewer.decide(ticket.id, 'deny', { rationale: 'no shell for agents today' });
    const result = await run.done;
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(ticket.id);
    expect(await reviewer.ticketsFor('uname -a')).toHaveLength(1);
  });

  it('works for @kubernetes/client-node: create, list, watch, and a denial as ApiException', async () => {
    const kc = new k8s.KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'gw', server: gw.url, caFile: api.caFile, skipTLSVerify: false }],
      users: [{ name: 'grace', token: await gw.token('grace', sre) }],
      contexts: [{ name: 'gw', cluster: 'gw', user: 'grace' }],
      currentContext: 'gw',
    });
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const seen: string[] = [];
    const watching = await new k8s.Watch(kc).watch(
      '/api/v1/namespaces/dev/configmaps',
      {},
      (type, object: k8s.V1ConfigMap) => seen.push(`${type} ${object.metadata?.name}`),
      () => {},
    );
    try {
      await core.createNamespacedConfigMap({
        namespace: 'dev',
        body: { metadata: { name: 'from-node' }, data: { a: 'b' } },
      });
      const list = await core.listNamespacedConfigMap({ namespace: 'dev' });
      expect(list.items.map((c) => c.metadata?.name)).toContain('from-node');
      const deadline = Date.now() + 10_000;
      while (!seen.includes('ADDED from-node') && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(seen).toContain('ADDED from-node');
    } finally {
      watching.abort();
    }
    const denied = await core
      .deleteNamespacedConfigMap({ name: 'platform', namespace: 'kube-system' })
      .then(
        () => undefined,
        (err: unknown) => err,
      );
    expect(denied).toBeInstanceOf(k8s.ApiException);
    const error = denied as k8s.ApiException<string>;
    expect(error.code).toBe(403);
    expect(JSON.parse(error.body)).toMatchObject({ kind: 'Status', reason: 'Forbidden' });
  });

  it('authenticates to the API server with a client certificate; without impersonation as itself', async () => {
    const second = await startK8sGateway(api, { clientCert: true, impersonate: false });
    try {
      const whoami = await second.kubectl('henry', ['auth', 'whoami', '-o', 'json'], sre);
      expect(whoami.code, whoami.stderr).toBe(0);
      const user = JSON.parse(whoami.stdout).status.userInfo;
      expect(user.username).toBe('gatehouse-gateway');
      expect(user.groups).toContain('gatehouse:gateway');
    } finally {
      await second.close();
    }
  });

  it('records each request in the audit log with its decision', async () => {
    const [session] = await listSessions(gw.gateway.store, { subject: 'alice' });
    expect(session).toBeDefined();
    const sessions = await listSessions(gw.gateway.store, { subject: 'alice' });
    const texts: string[] = [];
    for (const s of sessions) {
      const full = await getSession(gw.gateway.store, s.id);
      texts.push(...(full?.commands.map((c) => `${c.decision.action} ${c.text}`) ?? []));
    }
    expect(texts).toContain('deny DELETE /api/v1/namespaces/kube-system/configmaps/platform');
    expect(texts.some((t) => t.startsWith('allow POST /api/v1/namespaces/dev/configmaps'))).toBe(
      true,
    );
  });
});

async function fetchStatus(
  base: string,
  path: string,
  token: string | undefined,
  caFile: string,
): Promise<{ status: number; body: unknown }> {
  const https = await import('node:https');
  const { readFileSync } = await import('node:fs');
  return new Promise((resolve, reject) => {
    const request = https.request(
      `${base}${path}`,
      { ca: readFileSync(caFile), headers: token ? { authorization: `Bearer ${token}` } : {} },
      (response) => {
        let text = '';
        response.on('data', (chunk: Buffer) => {
          text += chunk.toString();
        });
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) }),
        );
      },
    );
    request.on('error', reject);
    request.end();
  });
}
