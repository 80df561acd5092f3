/**
 * A real kube-apiserver (with its etcd) for the Kubernetes connector's integration tests, built
 * from the published Go modules by test/kubernetes/apiserver/build.sh into .cache/kubernetes/bin.
 * Each start gets its own PKI (openssl), static tokens and ports, and RBAC authorization.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { requirement } from '../../helpers/services.js';

export const K8S_BIN = resolve(import.meta.dirname, '../../../.cache/kubernetes/bin');
const APISERVER = join(K8S_BIN, 'kube-apiserver');
const ETCD = join(K8S_BIN, 'etcd');
const KWOK = join(K8S_BIN, 'kwok');
const KWOK_EXEC_CRD = join(K8S_BIN, 'kwok.x-k8s.io_clusterexecs.yaml');
const KWOK_LOGS_CRD = join(K8S_BIN, 'kwok.x-k8s.io_clusterlogs.yaml');
const KWOK_FORWARD_CRD = join(K8S_BIN, 'kwok.x-k8s.io_clusterportforwards.yaml');
const KWOK_STAGES = join(K8S_BIN, 'kwok-stages.yaml');
/** The fake node KWOK runs pods on; exec runs the command on this machine, in /tmp. */
export const KWOK_NODE = 'kwok-node';
/** The machine's kubectl, else the one build.sh builds from the same release. */
export const KUBECTL = existsSync('/usr/bin/kubectl')
  ? '/usr/bin/kubectl'
  : join(K8S_BIN, 'kubectl');

/** True when the binaries are there; in CI their absence fails the suite (never a skip). */
export function apiServerAvailable(): boolean {
  return (
    requirement(
      existsSync(APISERVER) && existsSync(ETCD),
      'kube-apiserver/etcd (built from Go modules)',
      'run `bash test/kubernetes/apiserver/build.sh` (Go ≥ 1.26 and the Go module proxy; .ci/run does it)',
    ) &&
    requirement(
      existsSync(KUBECTL),
      'kubectl',
      'install kubectl at /usr/bin/kubectl or run `bash test/kubernetes/apiserver/build.sh`',
    )
  );
}

export interface TestApiServer extends AsyncDisposable {
  /** `https://127.0.0.1:<port>` */
  readonly url: string;
  readonly dir: string;
  /** PEM of the CA that signed every certificate here (API server, gateway listener, clients). */
  readonly caFile: string;
  /** The gateway's static token: group `gatehouse:gateway`, allowed to impersonate. */
  readonly gatewayTokenFile: string;
  /** With KWOK: the file every pod's container log is read from (append to it to log). */
  readonly podLogFile: string;
  /** The gateway's client certificate and key (same user and group as the token). */
  readonly gatewayClientCert: { cert: string; key: string };
  /** A cluster-admin token for set-up and for checking what happened, bypassing the gateway. */
  readonly adminToken: string;
  /** A serving certificate and key for a listener on 127.0.0.1, signed by the CA. */
  readonly listenerCert: { cert: string; key: string };
  /** Runs kubectl straight against the API server as admin. */
  admin(args: string[], input?: string): string;
  close(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolvePort(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: 'pipe' });
}

async function makePki(dir: string): Promise<void> {
  openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'ca-key.pem'], dir);
  openssl(
    [
      'req',
      '-x509',
      '-new',
      '-key',
      'ca-key.pem',
      '-subj',
      '/CN=gatehouse-test-ca',
      '-days',
      '2',
      '-out',
      'ca.pem',
    ],
    dir,
  );
  await writeFile(
    join(dir, 'serving.ext'),
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n',
  );
  for (const name of ['apiserver', 'listener']) {
    openssl(
      ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', `${name}-key.pem`],
      dir,
    );
    openssl(
      ['req', '-new', '-key', `${name}-key.pem`, '-subj', `/CN=${name}`, '-out', `${name}.csr`],
      dir,
    );
    openssl(
      [
        'x509',
        '-req',
        '-in',
        `${name}.csr`,
        '-CA',
        'ca.pem',
        '-CAkey',
        'ca-key.pem',
        '-CAcreateserial',
        '-days',
        '2',
        '-extfile',
        'serving.ext',
        '-out',
        `${name}.pem`,
      ],
      dir,
    );
  }
  // The gateway's client certificate: user gatehouse-gateway in group gatehouse:gateway.
  await writeFile(join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
  openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'gateway-key.pem'], dir);
  openssl(
    [
      'req',
      '-new',
      '-key',
      'gateway-key.pem',
      '-subj',
      '/O=gatehouse:gateway/CN=gatehouse-gateway',
      '-out',
      'gateway.csr',
    ],
    dir,
  );
  openssl(
    [
      'x509',
      '-req',
      '-in',
      'gateway.csr',
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca-key.pem',
      '-CAcreateserial',
      '-days',
      '2',
      '-extfile',
      'client.ext',
      '-out',
      'gateway.pem',
    ],
    dir,
  );
  openssl(['genrsa', '-out', 'sa-key.pem', '2048'], dir);
  openssl(['rsa', '-in', 'sa-key.pem', '-pubout', '-out', 'sa.pem'], dir);
}

function waitExit(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((done) => child.once('exit', () => done()));
}

/** True when KWOK was built too (build.sh builds it; tests that need it fail or skip without). */
export function kwokAvailable(): boolean {
  return requirement(
    existsSync(KWOK) &&
      existsSync(KWOK_EXEC_CRD) &&
      existsSync(KWOK_LOGS_CRD) &&
      existsSync(KWOK_FORWARD_CRD) &&
      existsSync(KWOK_STAGES),
    'kwok (fake kubelet for exec)',
    'run `bash test/kubernetes/apiserver/build.sh`',
  );
}

/**
 * Starts etcd and kube-apiserver; resolves once /readyz answers ok. With `kwok`, also a KWOK
 * controller serving the kubelet API for one fake node, whose pods exec locally.
 */
export async function startApiServer(options: { kwok?: boolean } = {}): Promise<TestApiServer> {
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-k8s-'));
  const children: ChildProcess[] = [];
  const logs: string[] = [];
  const close = async () => {
    for (const child of children.reverse()) {
      child.kill('SIGTERM');
      await Promise.race([waitExit(child), new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await makePki(dir);
    const adminToken = `admin-${Math.random().toString(36).slice(2)}`;
    const gatewayToken = `gateway-${Math.random().toString(36).slice(2)}`;
    await writeFile(
      join(dir, 'tokens.csv'),
      `${adminToken},test-admin,1,"system:masters"\n${gatewayToken},gatehouse-gateway,2,"gatehouse:gateway"\n`,
    );
    await writeFile(join(dir, 'gateway-token'), `${gatewayToken}\n`);
    const [etcdPort, peerPort, apiPort] = [await freePort(), await freePort(), await freePort()];
    const start = (bin: string, args: string[]) => {
      const child = spawn(bin, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
      const keep = (chunk: Buffer) => {
        if (process.env['GATEHOUSE_K8S_LOG'])
          process.stderr.write(`[${bin.split('/').pop()}] ${chunk}`);
        logs.push(chunk.toString());
        if (logs.length > 200) logs.shift();
      };
      child.stdout?.on('data', keep);
      child.stderr?.on('data', keep);
      children.push(child);
      return child;
    };
    start(ETCD, [
      '--data-dir',
      join(dir, 'etcd'),
      '--listen-client-urls',
      `http://127.0.0.1:${etcdPort}`,
      '--advertise-client-urls',
      `http://127.0.0.1:${etcdPort}`,
      '--listen-peer-urls',
      `http://127.0.0.1:${peerPort}`,
      '--initial-advertise-peer-urls',
      `http://127.0.0.1:${peerPort}`,
      '--initial-cluster',
      `default=http://127.0.0.1:${peerPort}`,
      '--log-level',
      'warn',
      '--quota-backend-bytes',
      String(256 * 1024 * 1024),
    ]);
    const apiserver = start(APISERVER, [
      `--etcd-servers=http://127.0.0.1:${etcdPort}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      // No kubernetes Service endpoints to keep: the API server is alone on loopback.
      '--endpoint-reconciler-type=none',
      `--secure-port=${apiPort}`,
      `--tls-cert-file=${join(dir, 'apiserver.pem')}`,
      `--tls-private-key-file=${join(dir, 'apiserver-key.pem')}`,
      `--client-ca-file=${join(dir, 'ca.pem')}`,
      `--token-auth-file=${join(dir, 'tokens.csv')}`,
      '--authorization-mode=RBAC',
      '--service-account-issuer=https://kubernetes.default.svc',
      `--service-account-key-file=${join(dir, 'sa.pem')}`,
      `--service-account-signing-key-file=${join(dir, 'sa-key.pem')}`,
      '--service-cluster-ip-range=10.96.0.0/24',
      '--allow-privileged=true',
      // Fake nodes (KWOK) publish 127.0.0.1 as their address.
      '--kubelet-preferred-address-types=InternalIP',
      '--disable-admission-plugins=ServiceAccount',
      '--enable-priority-and-fairness=false',
      '--profiling=false',
      '--v=0',
    ]);
    const url = `https://127.0.0.1:${apiPort}`;
    const caFile = join(dir, 'ca.pem');
    const kubeconfig = join(dir, 'admin.kubeconfig');
    await writeFile(
      kubeconfig,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'test', cluster: { server: url, 'certificate-authority': caFile } }],
        users: [{ name: 'admin', user: { token: adminToken } }],
        contexts: [{ name: 'test', context: { cluster: 'test', user: 'admin' } }],
        'current-context': 'test',
      }),
    );
    const admin = (args: string[], input?: string) =>
      execFileSync(KUBECTL, ['--kubeconfig', kubeconfig, ...args], {
        input,
        encoding: 'utf8',
        stdio: ['pipe', 'pipe', 'pipe'],
      });
    const deadline = Date.now() + 120_000;
    for (;;) {
      if (apiserver.exitCode !== null) throw new Error('kube-apiserver exited');
      try {
        if (admin(['get', '--raw', '/readyz']).trim() === 'ok') break;
      } catch {
        // not ready yet
      }
      if (Date.now() > deadline) throw new Error('kube-apiserver not ready within 120 s');
      await new Promise((r) => setTimeout(r, 500));
    }
    // The gateway may impersonate anyone, and nothing else: what it does, it does as the caller.
    admin(
      ['apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'List',
        items: [
          {
            apiVersion: 'rbac.authorization.k8s.io/v1',
            kind: 'ClusterRole',
            metadata: { name: 'gatehouse-impersonator' },
            rules: [
              { apiGroups: [''], resources: ['users', 'groups'], verbs: ['impersonate'] },
              { apiGroups: [''], resources: ['pods'], verbs: ['get'] },
            ],
          },
          {
            apiVersion: 'rbac.authorization.k8s.io/v1',
            kind: 'ClusterRoleBinding',
            metadata: { name: 'gatehouse-impersonator' },
            roleRef: {
              apiGroup: 'rbac.authorization.k8s.io',
              kind: 'ClusterRole',
              name: 'gatehouse-impersonator',
            },
            subjects: [
              { kind: 'Group', name: 'gatehouse:gateway', apiGroup: 'rbac.authorization.k8s.io' },
            ],
          },
        ],
      }),
    );
    if (options.kwok) {
      admin(['apply', '-f', KWOK_EXEC_CRD, '-f', KWOK_LOGS_CRD, '-f', KWOK_FORWARD_CRD]);
      await writeFile(join(dir, 'pod.log'), '');
      const kubeletPort = await freePort();
      start(KWOK, [
        '--config',
        KWOK_STAGES,
        '--kubeconfig',
        kubeconfig,
        '--manage-all-nodes',
        '--node-ip',
        '127.0.0.1',
        '--node-port',
        String(kubeletPort),
        '--server-address',
        `127.0.0.1:${kubeletPort}`,
        '--tls-cert-file',
        join(dir, 'apiserver.pem'),
        '--tls-private-key-file',
        join(dir, 'apiserver-key.pem'),
        '--enable-crds',
        'ClusterExec,ClusterLogs,ClusterPortForward',
      ]);
      admin(
        ['apply', '-f', '-'],
        JSON.stringify({
          apiVersion: 'v1',
          kind: 'List',
          items: [
            {
              apiVersion: 'v1',
              kind: 'Node',
              metadata: { name: KWOK_NODE, annotations: { 'kwok.x-k8s.io/node': 'fake' } },
            },
          ],
        }),
      );
      const execDeadline = Date.now() + 60_000;
      for (;;) {
        try {
          admin(
            ['apply', '-f', '-'],
            JSON.stringify({
              apiVersion: 'kwok.x-k8s.io/v1alpha1',
              kind: 'ClusterExec',
              metadata: { name: 'local' },
              spec: { execs: [{ local: { workDir: '/tmp' } }] },
            }),
          );
          admin(
            ['apply', '-f', '-'],
            JSON.stringify({
              apiVersion: 'kwok.x-k8s.io/v1alpha1',
              kind: 'ClusterLogs',
              metadata: { name: 'file' },
              spec: { logs: [{ logsFile: join(dir, 'pod.log'), follow: true }] },
            }),
          );
          break;
        } catch (err) {
          // The CRD may not be served yet.
          if (Date.now() > execDeadline) throw err;
          await new Promise((r) => setTimeout(r, 500));
        }
      }
    }
    return {
      url,
      dir,
      caFile,
      gatewayTokenFile: join(dir, 'gateway-token'),
      podLogFile: join(dir, 'pod.log'),
      gatewayClientCert: { cert: join(dir, 'gateway.pem'), key: join(dir, 'gateway-key.pem') },
      adminToken,
      listenerCert: { cert: join(dir, 'listener.pem'), key: join(dir, 'listener-key.pem') },
      admin,
      close,
      [Symbol.asyncDispose]: close,
    };
  } catch (err) {
    await close();
    throw new Error(
      `${(err as Error).message}\n--- last log lines ---\n${logs.slice(-30).join('')}`,
      {
        cause: err,
      },
    );
  }
}

export async function readText(path: string): Promise<string> {
  return readFile(path, 'utf8');
}
