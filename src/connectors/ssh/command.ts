/**
 * Commands the SSH connector hands the gate, one per request the client makes: `exec` (its
 * text classified with the shell classifier), `shell`, a subsystem, a forwarding request.
 */
import type { Command } from '../../core/command.js';
import { classifyShell } from './classify/shell-classify.js';

/** Where a session acts: the target host and the login it runs as. */
export interface SshScope {
  host?: string;
  login?: string;
}

/**
 * `attributes.commands`: the program invocations the classifier found, as JSON (a list of
 * word lists, `null` for a word decided at run time), read by the `command` condition.
 */
export const COMMANDS_ATTRIBUTE = 'commands';
/** `attributes.path`: the path a legacy scp request names. */
export const PATH_ATTRIBUTE = 'path';

function scopeOf(scope: SshScope): Record<string, string> {
  const target: Record<string, string> = {};
  if (scope.host !== undefined) target['host'] = scope.host;
  if (scope.login !== undefined) target['login'] = scope.login;
  return target;
}

/** An `exec` request: every program the text runs; legacy scp's direction and path. */
export function execCommand(text: string, scope: SshScope = {}): Command {
  const { invocations, unclassifiable } = classifyShell(text);
  const classes = ['exec'];
  const attributes: Record<string, string | boolean> = {
    [COMMANDS_ATTRIBUTE]: JSON.stringify(invocations),
  };
  const scp = legacyScp(invocations);
  if (scp) {
    classes.push(scp.direction === 'upload' ? 'scp_upload' : 'scp_download');
    attributes[PATH_ATTRIBUTE] = scp.path;
  }
  if (unclassifiable.length > 0) attributes['unclassifiable'] = unclassifiable.join('; ');
  return {
    protocol: 'ssh',
    text,
    classes,
    attributes,
    ...(unclassifiable.length > 0 && { unclassifiable: true }),
    target: scopeOf(scope),
  };
}

/** `scp -t PATH` (the target receives) or `scp -f PATH` (the target sends), as scp -O runs it. */
function legacyScp(
  invocations: ReadonlyArray<ReadonlyArray<string | null>>,
): { direction: 'upload' | 'download'; path: string } | undefined {
  if (invocations.length !== 1) return undefined;
  const [program, ...args] = invocations[0] ?? [];
  if (program !== 'scp' && !program?.endsWith('/scp')) return undefined;
  const flags = args.filter((a): a is string => typeof a === 'string' && a.startsWith('-'));
  const path = args.filter((a) => a === null || !a.startsWith('-')).at(-1);
  const upload = flags.some((f) => /^-[a-zA-Z]*t/.test(f));
  const download = flags.some((f) => /^-[a-zA-Z]*f/.test(f));
  if (upload === download || path === undefined) return undefined;
  return { direction: upload ? 'upload' : 'download', path: path ?? '*' };
}

/** An interactive shell (with or without a terminal). */
export function shellCommand(scope: SshScope = {}, terminal?: string): Command {
  return {
    protocol: 'ssh',
    text: terminal ? `shell (${terminal})` : 'shell',
    classes: ['shell'],
    target: scopeOf(scope),
  };
}

/** A subsystem request (`sftp`, or another name). */
export function subsystemCommand(name: string, scope: SshScope = {}): Command {
  return {
    protocol: 'ssh',
    text: `subsystem ${name}`,
    classes: [name === 'sftp' ? 'sftp' : 'subsystem'],
    target: scopeOf(scope),
  };
}

/** A forwarding request: port (`direct-tcpip host:port`), remote, agent or X11. */
export function forwardCommand(
  kind: 'port_forward' | 'remote_forward' | 'agent_forward' | 'x11_forward',
  detail: string,
  scope: SshScope = {},
): Command {
  return {
    protocol: 'ssh',
    text: `${kind.replace('_', ' ')} ${detail}`.trim(),
    classes: [kind],
    target: scopeOf(scope),
  };
}
