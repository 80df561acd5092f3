/**
 * Whether a pod runs with host-level power, for the `privileged:` condition on exec/attach:
 * a privileged container, an added capability that reaches beyond the container, the host's
 * PID/network/IPC namespaces, or a hostPath volume. Pure: the listener reads the pod.
 */

/** Capabilities that let a process act on the host or other workloads. */
const HOST_CAPABILITIES = new Set([
  'ALL',
  'SYS_ADMIN',
  'SYS_PTRACE',
  'SYS_MODULE',
  'SYS_RAWIO',
  'SYS_BOOT',
  'SYS_TIME',
  'NET_ADMIN',
  'NET_RAW',
  'DAC_READ_SEARCH',
  'DAC_OVERRIDE',
  'BPF',
  'PERFMON',
  'MKNOD',
  'SETFCAP',
]);

interface ContainerLike {
  securityContext?: {
    privileged?: boolean;
    capabilities?: { add?: unknown[] };
  };
}

/** The reasons a pod counts as privileged; empty when it does not. */
export function podPrivileges(pod: unknown): string[] {
  if (typeof pod !== 'object' || pod === null) return ['the pod could not be read'];
  const spec = (pod as { spec?: Record<string, unknown> }).spec;
  if (typeof spec !== 'object' || spec === null) return ['the pod has no spec'];
  const reasons: string[] = [];
  for (const key of ['hostPID', 'hostNetwork', 'hostIPC'] as const) {
    if (spec[key] === true) reasons.push(key);
  }
  const containers = ['containers', 'initContainers', 'ephemeralContainers'].flatMap((key) =>
    Array.isArray(spec[key]) ? (spec[key] as Array<ContainerLike & { name?: string }>) : [],
  );
  for (const container of containers) {
    const context = container?.securityContext;
    const name = container?.name ?? '?';
    if (context?.privileged === true) reasons.push(`container ${name} is privileged`);
    for (const cap of context?.capabilities?.add ?? []) {
      const plain = String(cap).toUpperCase().replace(/^CAP_/, '');
      if (HOST_CAPABILITIES.has(plain)) reasons.push(`container ${name} adds ${plain}`);
    }
  }
  const volumes = Array.isArray(spec['volumes']) ? (spec['volumes'] as unknown[]) : [];
  for (const volume of volumes) {
    if (typeof volume === 'object' && volume !== null && 'hostPath' in volume) {
      reasons.push(`volume ${String((volume as { name?: unknown }).name)} is a hostPath`);
    }
  }
  return reasons;
}
