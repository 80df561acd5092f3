/**
 * The deployment files (deploy/): the Kubernetes base and AKS overlay render with `kubectl
 * kustomize` into what an operator expects, the Compose file validates, and the gateway config
 * each of them ships passes the gateway's own config check.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { parseConfig } from '../../src/connectors/registry.js';
import { runProcess } from '../helpers/process.js';
import { requireCommands } from '../helpers/services.js';
import { apiServerAvailable, startApiServer } from '../kubernetes/helpers/apiserver.js';

const DEPLOY = resolve(import.meta.dirname, '../../deploy');
const kubectl = requireCommands(['kubectl'], 'install kubectl (it renders kustomizations)');
const compose = requireCommands(
  ['docker-compose'],
  'install Compose (Debian: apt-get install docker-compose) to validate deploy/compose.yaml',
);

// biome-ignore lint/suspicious/noExplicitAny: rendered Kubernetes objects, read field by field
type K8sObject = any;

async function render(dir: string): Promise<K8sObject[]> {
  const result = await runProcess('kubectl', ['kustomize', resolve(DEPLOY, dir)]);
  expect(result.code, result.stderr).toBe(0);
  return parseAllDocuments(result.stdout).map((doc) => doc.toJS());
}

const find = (objects: K8sObject[], kind: string, name?: string) =>
  objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));

describe.skipIf(!kubectl).each(['kubernetes/base', 'kubernetes/overlays/aks'])('%s', (dir) => {
  it('runs two non-root, read-only replicas with probes on the health endpoints', async () => {
    const [deployment] = find(await render(dir), 'Deployment', 'gatehouse');
    expect(deployment.spec.replicas).toBe(2);
    const pod = deployment.spec.template.spec;
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    const [container] = pod.containers;
    expect(container.securityContext).toMatchObject({
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
    });
    expect(container.readinessProbe.httpGet.path).toBe('/readyz');
    expect(container.livenessProbe.httpGet.path).toBe('/healthz');
    expect(container.resources.requests).toBeDefined();
    // Secrets by reference only.
    for (const env of container.env) expect(env.valueFrom?.secretKeyRef).toBeDefined();
  });

  it('has a Service for the API and for every connector, a PDB and a NetworkPolicy', async () => {
    const objects = await render(dir);
    const [configMap] = find(objects, 'ConfigMap');
    const config = parseConfig(configMap.data['gatehouse.yaml'], `${dir}/gatehouse.yaml`);
    const servicePorts = find(objects, 'Service').flatMap((s: K8sObject) =>
      s.spec.ports.map((p: K8sObject) => p.port),
    );
    expect(servicePorts).toContain(config.server.api.listen.port);
    for (const connector of config.connectors) {
      expect(servicePorts).toContain(connector.listen.port);
    }
    expect(find(objects, 'PodDisruptionBudget')[0].spec.minAvailable).toBe(1);
    const [policy] = find(objects, 'NetworkPolicy');
    expect(policy.spec.policyTypes).toEqual(['Ingress', 'Egress']);
  });
});

describe.skipIf(!kubectl)('the AKS overlay', () => {
  it('gives the pods an Entra workload identity and keeps connectors on an internal load balancer', async () => {
    const objects = await render('kubernetes/overlays/aks');
    const [account] = find(objects, 'ServiceAccount', 'gatehouse');
    expect(account.metadata.annotations['azure.workload.identity/client-id']).toBeDefined();
    const [deployment] = find(objects, 'Deployment', 'gatehouse');
    expect(deployment.spec.template.metadata.labels['azure.workload.identity/use']).toBe('true');
    const [service] = find(objects, 'Service', 'gatehouse-postgres');
    expect(service.spec.type).toBe('LoadBalancer');
    expect(
      service.metadata.annotations['service.beta.kubernetes.io/azure-load-balancer-internal'],
    ).toBe('true');
    const [configMap] = find(objects, 'ConfigMap');
    const config = parseConfig(configMap.data['gatehouse.yaml'], 'aks/gatehouse.yaml');
    expect(config.identity.issuers[0]!.kind).toBe('entra');
  });
});

describe.skipIf(!kubectl || !apiServerAvailable())('a real API server', () => {
  it('accepts the rendered base and AKS overlay in a server-side dry run', async () => {
    await using server = await startApiServer();
    for (const [dir, namespace] of [
      ['kubernetes/base', 'default'],
      ['kubernetes/overlays/aks', 'gatehouse'],
    ] as const) {
      const rendered = await runProcess('kubectl', ['kustomize', resolve(DEPLOY, dir)]);
      expect(rendered.code, rendered.stderr).toBe(0);
      // A dry run creates nothing, so the overlay's namespace must exist for its objects.
      if (namespace !== 'default') server.admin(['create', 'namespace', namespace]);
      const out = server.admin(
        ['apply', '--dry-run=server', '-n', namespace, '-f', '-'],
        rendered.stdout,
      );
      expect(out).toMatch(/deployment\.apps\/gatehouse (created|configured) \(server dry run\)/);
      expect(out).toMatch(/networkpolicy\.networking\.k8s\.io\/gatehouse created/);
      expect(out).toMatch(/poddisruptionbudget\.policy\/gatehouse created/);
    }
  }, 120_000);
});

describe('Docker Compose', () => {
  it('runs two replicas of the image behind the load balancer with a config the gateway accepts', () => {
    const file = parseYaml(readFileSync(resolve(DEPLOY, 'compose.yaml'), 'utf8'), { merge: true });
    for (const name of ['gatehouse-a', 'gatehouse-b']) {
      expect(file.services[name].read_only).toBe(true);
      expect(file.services[name].image).toBe('gatehouse:local');
    }
    expect(file.services.lb.ports).toEqual([
      '127.0.0.1:8080:8080',
      '127.0.0.1:15432:15432',
      '127.0.0.1:2222:2222',
    ]);
    expect(file.services['ssh-target']).toBeDefined();
    const config = parseConfig(
      readFileSync(resolve(DEPLOY, 'gatehouse.yaml'), 'utf8'),
      'deploy/gatehouse.yaml',
    );
    expect(config.store.url).toMatch(/^postgres:\/\//);
    expect(config.connectors.map((c) => c.type)).toEqual(['postgres', 'ssh']);
    expect(config.server.tls).toBeDefined();
  });

  it.skipIf(!compose)('validates with docker-compose config', async () => {
    const result = await runProcess('docker-compose', [
      '-f',
      resolve(DEPLOY, 'compose.yaml'),
      'config',
      '-q',
    ]);
    expect(result.code, result.stderr).toBe(0);
  });
});
