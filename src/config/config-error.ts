import type { KeyPath } from './locate.js';

/** One problem in a config file, named by key path and (when known) source position. */
export interface ConfigIssue {
  /** Key path such as `connectors[0].rules[1].action`; empty for the document itself. */
  path: string;
  /** 1-based line in the config file. */
  line?: number;
  /** 1-based column in the config file. */
  column?: number;
  message: string;
}

/**
 * A config that cannot be used, with every problem found (not just the first). Thrown by
 * `loadConfig`/`parseConfig`; the message lists each issue as `FILE:LINE: path: message`.
 * Messages never contain secret values.
 */
export class ConfigError extends Error {
  readonly source: string;
  readonly issues: ReadonlyArray<ConfigIssue>;

  constructor(source: string, issues: ReadonlyArray<ConfigIssue>) {
    const lines = issues.map((issue) => `  ${formatIssue(source, issue)}`);
    super(`invalid config ${source} (${plural(issues.length, 'error')}):\n${lines.join('\n')}`);
    this.name = 'ConfigError';
    this.source = source;
    this.issues = issues;
  }
}

/** `FILE:LINE: path: message`, leaving out the line or the path when there is none. */
export function formatIssue(source: string, issue: ConfigIssue): string {
  const where = issue.line === undefined ? source : `${source}:${issue.line}`;
  return issue.path ? `${where}: ${issue.path}: ${issue.message}` : `${where}: ${issue.message}`;
}

/** `connectors[0].rules[1].action`; keys that are not plain identifiers are quoted. */
export function formatKeyPath(path: KeyPath): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else {
      const key = String(segment);
      if (/^[A-Za-z_][\w-]*$/.test(key)) text += text ? `.${key}` : key;
      else text += `[${JSON.stringify(key)}]`;
    }
  }
  return text;
}

export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
