/**
 * A classified request as the gate sees it: the `Command` policy, approvals and audit work on.
 * Pure: the listener adds what it learns elsewhere (the pod's privileges) through `facts`.
 */
import type { Command } from '../../../core/command.js';
import { CONNECT_SUBRESOURCES, type RequestInfo } from './request-info.js';

const READ_VERBS = new Set(['get', 'list', 'watch']);

/** What the listener learned about a request beyond its method and URL. */
export interface RequestFacts {
  /** For exec/attach: the target pod runs privileged (docs/kubernetes.md says what counts). */
  privileged?: boolean;
  /** The request body (create/update/patch), shown to reviewers as the command's parameter. */
  body?: string;
}

/** The command text for a request line: `DELETE /api/v1/namespaces/prod/pods/web`. */
export function requestLine(method: string, url: string): string {
  return `${method.toUpperCase()} ${url}`;
}

/** `command=` parameters of an exec request, as a shell would show them. */
export function execCommandText(url: string): string | undefined {
  let query: URLSearchParams;
  try {
    query = new URL(url, 'https://gatehouse.invalid').searchParams;
  } catch {
    return undefined;
  }
  const argv = query.getAll('command');
  if (argv.length === 0) return undefined;
  return argv.map(shellWord).join(' ');
}

function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/** Builds the Command for one request; a malformed request is unclassifiable. */
export function kubeCommand(
  info: RequestInfo,
  method: string,
  url: string,
  facts: RequestFacts = {},
): Command {
  const line = requestLine(method, url);
  const params = facts.body === undefined ? undefined : [facts.body];
  if (info.kind === 'malformed') {
    return {
      protocol: 'kubernetes',
      text: line,
      classes: [],
      unclassifiable: true,
      target: {},
      attributes: { malformed: info.reason },
    };
  }
  if (info.kind === 'nonresource') {
    const reads = info.verb === 'get' || info.verb === 'head';
    return {
      protocol: 'kubernetes',
      text: line,
      classes: ['nonresource', reads ? 'read' : 'write'],
      target: { path: info.path },
      ...(params && { params }),
    };
  }
  const classes: string[] = [info.verb];
  const sub = info.subresource;
  if (sub !== undefined && CONNECT_SUBRESOURCES.has(sub)) classes.push(sub);
  if (sub === 'log') classes.push('log');
  if (info.verb !== 'proxy') classes.push(READ_VERBS.has(info.verb) ? 'read' : 'write');
  const target: Record<string, string> = {
    resource: info.resource,
    api_group: info.apiGroup === '' ? 'core' : info.apiGroup,
  };
  if (info.namespace !== undefined) target['namespace'] = info.namespace;
  if (info.name !== undefined) target['name'] = info.name;
  if (sub !== undefined) target['subresource'] = sub;
  const attributes: Record<string, string | boolean> = { dry_run: info.dryRun };
  if (facts.privileged !== undefined) attributes['privileged'] = facts.privileged;
  const exec = sub === 'exec' ? execCommandText(url) : undefined;
  return {
    protocol: 'kubernetes',
    text: exec ?? line,
    ...(exec !== undefined ? { params: [line] } : params && { params }),
    classes,
    target,
    attributes,
  };
}
