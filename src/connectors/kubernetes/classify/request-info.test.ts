import { describe, expect, it } from 'vitest';
import { kubeCommand } from './command.js';
import { requestInfo } from './request-info.js';

type Row = [method: string, url: string, expected: Record<string, unknown>];

// Real request lines, as kubectl and client libraries send them.
const RESOURCE_ROWS: Row[] = [
  [
    'GET',
    '/api/v1/namespaces/default/pods',
    { verb: 'list', namespace: 'default', resource: 'pods' },
  ],
  ['GET', '/api/v1/pods?limit=500', { verb: 'list', resource: 'pods', namespace: undefined }],
  ['GET', '/api/v1/namespaces/default/pods/web-0', { verb: 'get', name: 'web-0' }],
  ['HEAD', '/api/v1/namespaces/default/pods/web-0', { verb: 'get', name: 'web-0' }],
  ['GET', '/api/v1/namespaces/default/pods?watch=true&resourceVersion=12', { verb: 'watch' }],
  ['GET', '/api/v1/namespaces/default/pods?watch=1', { verb: 'watch' }],
  ['GET', '/api/v1/namespaces/default/pods?watch=false', { verb: 'list' }],
  [
    'GET',
    '/api/v1/watch/namespaces/default/pods',
    { verb: 'watch', resource: 'pods', namespace: 'default' },
  ],
  [
    'GET',
    '/api/v1/namespaces/default/configmaps?fieldSelector=metadata.name%3Dapp&watch=true',
    { verb: 'watch', name: 'app', resource: 'configmaps' },
  ],
  [
    'POST',
    '/api/v1/namespaces/default/configmaps?fieldManager=kubectl-client-side-apply',
    { verb: 'create' },
  ],
  ['PUT', '/api/v1/namespaces/default/configmaps/app', { verb: 'update', name: 'app' }],
  [
    'PATCH',
    '/apis/apps/v1/namespaces/prod/deployments/web?fieldManager=kubectl-client-side-apply',
    {
      verb: 'patch',
      apiGroup: 'apps',
      apiVersion: 'v1',
      resource: 'deployments',
      namespace: 'prod',
    },
  ],
  [
    'PATCH',
    '/apis/apps/v1/namespaces/prod/deployments/web/scale',
    { verb: 'patch', subresource: 'scale' },
  ],
  [
    'DELETE',
    '/api/v1/namespaces/prod/pods/web-0',
    { verb: 'delete', name: 'web-0', namespace: 'prod' },
  ],
  ['DELETE', '/api/v1/namespaces/prod/pods?labelSelector=app%3Dweb', { verb: 'deletecollection' }],
  ['DELETE', '/api/v1/namespaces/prod/pods/web-0?dryRun=All', { verb: 'delete', dryRun: true }],
  [
    'GET',
    '/api/v1/namespaces/prod',
    { verb: 'get', resource: 'namespaces', name: 'prod', namespace: 'prod' },
  ],
  [
    'DELETE',
    '/api/v1/namespaces/prod',
    { verb: 'delete', resource: 'namespaces', namespace: 'prod' },
  ],
  [
    'PUT',
    '/api/v1/namespaces/prod/finalize',
    { verb: 'update', resource: 'namespaces', subresource: 'finalize' },
  ],
  ['GET', '/api/v1/nodes/node-1', { verb: 'get', resource: 'nodes', namespace: undefined }],
  [
    'GET',
    '/apis/rbac.authorization.k8s.io/v1/clusterroles',
    { verb: 'list', apiGroup: 'rbac.authorization.k8s.io' },
  ],
  [
    'GET',
    '/api/v1/namespaces/prod/pods/web-0/log?follow=true&container=app',
    { verb: 'get', subresource: 'log', name: 'web-0' },
  ],
  [
    'POST',
    '/api/v1/namespaces/prod/pods/web-0/exec?command=sh&command=-c&command=id&stdin=true',
    { verb: 'create', subresource: 'exec' },
  ],
  // kubectl ≥ 1.30 opens exec over WebSocket: a GET that RBAC still checks as create.
  [
    'GET',
    '/api/v1/namespaces/prod/pods/web-0/exec?command=ls',
    { verb: 'create', subresource: 'exec' },
  ],
  [
    'GET',
    '/api/v1/namespaces/prod/pods/web-0/attach?stdout=true',
    { verb: 'create', subresource: 'attach' },
  ],
  [
    'GET',
    '/api/v1/namespaces/prod/pods/web-0/portforward?ports=80',
    { verb: 'create', subresource: 'portforward' },
  ],
  [
    'GET',
    '/api/v1/namespaces/prod/services/web:80/proxy/healthz',
    { verb: 'get', subresource: 'proxy', name: 'web:80' },
  ],
  [
    'GET',
    '/api/v1/proxy/namespaces/prod/pods/web-0/a/b/c',
    { verb: 'proxy', name: 'web-0', subresource: undefined },
  ],
  [
    'POST',
    '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
    { verb: 'create', namespace: undefined },
  ],
];

describe('requestInfo: resource requests', () => {
  it.each(RESOURCE_ROWS)('%s %s', (method, url, expected) => {
    const info = requestInfo(method, url);
    expect(info.kind).toBe('resource');
    for (const [key, value] of Object.entries(expected)) {
      expect((info as unknown as Record<string, unknown>)[key], key).toEqual(value);
    }
  });
});

describe('requestInfo: non-resource and malformed requests', () => {
  it.each([
    ['GET', '/version'],
    ['GET', '/api'],
    ['GET', '/apis'],
    ['GET', '/api/v1'],
    ['GET', '/apis/apps/v1'],
    ['GET', '/openapi/v3/apis/apps/v1?hash=abc'],
    ['GET', '/healthz'],
    ['GET', '/'],
  ])('%s %s is a non-resource request', (method, url) => {
    expect(requestInfo(method, url).kind).toBe('nonresource');
  });

  it.each([
    ['GET', '/api/v1/watch'],
    ['GET', '/api/v1/namespaces/prod/pods/web/exec/extra'],
    ['GET', '/api/v1/namespaces/../pods'],
    ['GET', '/api/v1/namespaces/prod/pods/%2e%2e'],
    ['GET', '/api/v1/namespaces/prod/pods/%E0%A4%A'],
    ['GET', '/api//v1/pods'],
    ['OPTIONS', '/api/v1/pods'],
    ['TRACE', '/api/v1/namespaces/prod/pods/x'],
    ['GET', 'http://elsewhere/api/v1/pods'],
  ])('%s %s is malformed, never a crash', (method, url) => {
    expect(requestInfo(method, url).kind).toBe('malformed');
  });
});

describe('kubeCommand', () => {
  it('classes a delete as delete + write, scoped to its namespace and resource', () => {
    const url = '/api/v1/namespaces/prod/pods/web-0';
    const command = kubeCommand(requestInfo('DELETE', url), 'DELETE', url);
    expect(command).toMatchObject({
      text: 'DELETE /api/v1/namespaces/prod/pods/web-0',
      classes: ['delete', 'write'],
      target: { namespace: 'prod', resource: 'pods', name: 'web-0', api_group: 'core' },
      attributes: { dry_run: false },
    });
  });

  it('records an exec by its command, with the request line as parameter', () => {
    const url =
      "/api/v1/namespaces/prod/pods/web-0/exec?command=sh&command=-c&command=echo+it's&tty=true";
    const command = kubeCommand(requestInfo('GET', url), 'GET', url, { privileged: true });
    expect(command.text).toBe(`sh -c 'echo it'\\''s'`);
    expect(command.params).toEqual([`GET ${url}`]);
    expect(command.classes).toEqual(['create', 'exec', 'write']);
    expect(command.attributes).toMatchObject({ privileged: true });
  });

  it('marks a malformed request unclassifiable', () => {
    const command = kubeCommand(requestInfo('GET', '/api/v1/watch'), 'GET', '/api/v1/watch');
    expect(command.unclassifiable).toBe(true);
    expect(command.classes).toEqual([]);
  });

  it('classes logs as a read with the log class', () => {
    const url = '/api/v1/namespaces/prod/pods/web-0/log?follow=true';
    expect(kubeCommand(requestInfo('GET', url), 'GET', url).classes).toEqual([
      'get',
      'log',
      'read',
    ]);
  });
});
