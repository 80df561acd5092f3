/**
 * What a Kubernetes API request does, read from its method and URL the way the API server's
 * authorization layer reads it (k8s.io/apiserver, endpoints/request/requestinfo.go): resource
 * requests `/api/{version}/…` and `/apis/{group}/{version}/…`, optionally under
 * `/namespaces/{namespace}/`, with the special verb prefixes `watch/` and `proxy/`; everything
 * else is a non-resource request (`/version`, `/healthz`, discovery). Pure: no I/O.
 *
 * Differences from the API server, on purpose: connect subresources (`exec`, `attach`,
 * `portforward`) are `create` whatever the method (kubectl's WebSocket exec is a GET), and a
 * path the API server itself would reject is reported as malformed instead of guessed at.
 */

/** The API server's verbs (RBAC's), plus `proxy`/`watch` from the special prefixes. */
export type KubeVerb =
  | 'get'
  | 'list'
  | 'watch'
  | 'create'
  | 'update'
  | 'patch'
  | 'delete'
  | 'deletecollection'
  | 'proxy';

export interface ResourceRequestInfo {
  readonly kind: 'resource';
  readonly verb: KubeVerb;
  /** `api` (the core group) or `apis`. */
  readonly apiPrefix: 'api' | 'apis';
  /** Empty for the core group. */
  readonly apiGroup: string;
  readonly apiVersion: string;
  readonly namespace?: string;
  readonly resource: string;
  readonly name?: string;
  readonly subresource?: string;
  /** `?dryRun=All`: the API server validates and answers, and persists nothing. */
  readonly dryRun: boolean;
}

export interface NonResourceRequestInfo {
  readonly kind: 'nonresource';
  /** Lower-cased method as a verb (`get`, `post`, …), as RBAC's nonResourceURLs rules see it. */
  readonly verb: string;
  readonly path: string;
}

export interface MalformedRequestInfo {
  readonly kind: 'malformed';
  readonly reason: string;
}

export type RequestInfo = ResourceRequestInfo | NonResourceRequestInfo | MalformedRequestInfo;

const SPECIAL_VERBS = new Set(['proxy', 'watch']);
/** Subresources of a namespace object itself: `/namespaces/{name}/status`. */
const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);
/** Subresources that open a stream into a pod and authorize as `create` (RBAC `pods/exec`). */
export const CONNECT_SUBRESOURCES = new Set(['exec', 'attach', 'portforward']);

const METHOD_VERBS: Record<string, KubeVerb> = {
  POST: 'create',
  GET: 'get',
  HEAD: 'get',
  PUT: 'update',
  PATCH: 'patch',
  DELETE: 'delete',
};

/** Path segments the API server accepts as names (path.IsValidPathSegmentName). */
function validSegment(segment: string): boolean {
  return segment !== '.' && segment !== '..' && !segment.includes('/') && !segment.includes('%');
}

function isTrue(value: string | null): boolean {
  return value !== null && ['1', 't', 'T', 'true', 'TRUE', 'True'].includes(value);
}

/**
 * Classifies one request. `url` is the request target as sent (`/api/v1/pods?watch=true`);
 * a URL that does not parse, or whose segments do not decode, is malformed.
 */
export function requestInfo(method: string, url: string): RequestInfo {
  // The raw path, not a URL parser's: it would resolve `..` and `%2e%2e` away.
  if (!url.startsWith('/')) return { kind: 'malformed', reason: 'the request URL is not a path' };
  const queryAt = url.indexOf('?');
  const pathname = queryAt === -1 ? url : url.slice(0, queryAt);
  const query = new URLSearchParams(queryAt === -1 ? '' : url.slice(queryAt + 1));
  if (pathname.includes('#'))
    return { kind: 'malformed', reason: 'the request URL has a fragment' };
  const upper = method.toUpperCase();
  const trimmed = pathname === '/' ? '' : pathname.replace(/^\/|\/$/g, '');
  let parts: string[];
  try {
    parts = trimmed === '' ? [] : trimmed.split('/').map((p) => decodeURIComponent(p));
  } catch {
    return { kind: 'malformed', reason: 'a path segment does not decode' };
  }
  if (parts.some((p) => p === '' || p === '.' || p === '..')) {
    return { kind: 'malformed', reason: 'the path has empty, "." or ".." segments' };
  }
  const nonResource = (): RequestInfo => ({
    kind: 'nonresource',
    verb: upper.toLowerCase(),
    path: pathname,
  });
  const prefix = parts[0];
  if (parts.length < 3 || (prefix !== 'api' && prefix !== 'apis')) return nonResource();
  let rest = parts.slice(1);
  let apiGroup = '';
  if (prefix === 'apis') {
    if (rest.length < 3) return nonResource(); // /apis/{group}/{version}: discovery
    apiGroup = rest[0]!;
    rest = rest.slice(1);
  }
  const apiVersion = rest[0]!;
  rest = rest.slice(1);

  let verb: KubeVerb | undefined;
  let viaSpecialVerb = false;
  if (SPECIAL_VERBS.has(rest[0]!)) {
    if (rest.length < 2) {
      return { kind: 'malformed', reason: 'a watch/proxy prefix names no resource' };
    }
    verb = rest[0] as KubeVerb;
    rest = rest.slice(1);
    viaSpecialVerb = true;
  } else {
    verb = METHOD_VERBS[upper];
    if (verb === undefined) {
      return { kind: 'malformed', reason: `method ${upper} is not an API verb` };
    }
  }

  let namespace: string | undefined;
  if (rest[0] === 'namespaces') {
    if (rest.length > 1) {
      namespace = rest[1];
      if (rest.length > 2 && !NAMESPACE_SUBRESOURCES.has(rest[2]!)) rest = rest.slice(2);
    }
  }
  if (namespace !== undefined && !validSegment(namespace)) {
    return { kind: 'malformed', reason: 'the namespace is not a valid name' };
  }

  const resource = rest[0];
  let name = rest[1];
  // proxy: the parts after the name are the proxied path, not a subresource.
  const subresource = rest.length >= 3 && verb !== 'proxy' ? rest[2] : undefined;
  // Only a proxy subresource carries a path of its own after it.
  if (rest.length > 3 && verb !== 'proxy' && subresource !== 'proxy') {
    return { kind: 'malformed', reason: 'the path has parts after the subresource' };
  }
  if (resource === undefined) return { kind: 'malformed', reason: 'the path names no resource' };
  if (name !== undefined && !validSegment(name)) {
    return { kind: 'malformed', reason: 'the name is not a valid path segment' };
  }

  if (name === undefined && verb === 'get') {
    verb = isTrue(query.get('watch')) ? 'watch' : 'list';
    const selected = exactNameSelector(query.get('fieldSelector'));
    if (selected !== undefined && validSegment(selected)) name = selected;
  }
  if (name === undefined && verb === 'delete') verb = 'deletecollection';
  if (subresource !== undefined && CONNECT_SUBRESOURCES.has(subresource) && !viaSpecialVerb) {
    verb = 'create';
  }
  return {
    kind: 'resource',
    verb,
    apiPrefix: prefix,
    apiGroup,
    apiVersion,
    ...(namespace !== undefined && { namespace }),
    resource,
    ...(name !== undefined && { name }),
    ...(subresource !== undefined && { subresource }),
    dryRun: query.getAll('dryRun').includes('All'),
  };
}

/** `metadata.name=x` (or `==`) as the only term of a field selector: the name it requires. */
function exactNameSelector(selector: string | null): string | undefined {
  if (!selector) return undefined;
  const match = /^metadata\.name(?:==|=)([^,!=]+)$/.exec(selector.trim());
  return match?.[1];
}
