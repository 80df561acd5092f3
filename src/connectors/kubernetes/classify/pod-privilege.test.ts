import { describe, expect, it } from 'vitest';
import { podPrivileges } from './pod-privilege.js';

const pod = (spec: Record<string, unknown>) => ({ kind: 'Pod', spec });

describe('podPrivileges', () => {
  it('finds nothing in a plain pod', () => {
    expect(podPrivileges(pod({ containers: [{ name: 'app', image: 'nginx' }] }))).toEqual([]);
  });

  it.each([
    [{ hostPID: true, containers: [] }, 'hostPID'],
    [{ hostNetwork: true, containers: [] }, 'hostNetwork'],
    [{ hostIPC: true, containers: [] }, 'hostIPC'],
    [
      { containers: [{ name: 'a', securityContext: { privileged: true } }] },
      'container a is privileged',
    ],
    [
      {
        containers: [{ name: 'a', securityContext: { capabilities: { add: ['CAP_SYS_ADMIN'] } } }],
      },
      'container a adds SYS_ADMIN',
    ],
    [
      { initContainers: [{ name: 'i', securityContext: { capabilities: { add: ['all'] } } }] },
      'container i adds ALL',
    ],
    [
      { containers: [], volumes: [{ name: 'root', hostPath: { path: '/' } }] },
      'volume root is a hostPath',
    ],
  ])('%j is privileged', (spec, reason) => {
    expect(podPrivileges(pod(spec))).toContain(reason);
  });

  it('does not count harmless capabilities', () => {
    const spec = {
      containers: [{ name: 'a', securityContext: { capabilities: { add: ['NET_BIND_SERVICE'] } } }],
    };
    expect(podPrivileges(pod(spec))).toEqual([]);
  });

  it('fails closed on what is not a pod', () => {
    expect(podPrivileges(null)).not.toEqual([]);
    expect(podPrivileges({ kind: 'Status' })).not.toEqual([]);
  });
});
