/**
 * The startup parameter `options`: command-line switches for the server process, as libpq sends
 * `PGOPTIONS`. The gateway reads them as PostgreSQL does (`pg_split_opts` and
 * `process_postgres_switches` in src/backend/tcop/postgres.c), accepts only run-time settings
 * (`-c name=value`, `-cname=value`, `--name=value`), and sends the target a string it writes
 * itself from what it read, so the target applies exactly the settings the gate saw.
 * https://www.postgresql.org/docs/current/libpq-connect.html#LIBPQ-CONNECT-OPTIONS
 */
import { PgError } from '../protocol/errors.js';

/** One run-time setting from `options`; `name` with `-` turned into `_` as PostgreSQL does. */
export interface StartupSetting {
  name: string;
  value: string;
}

/** `-c gatehouse.reason=…` (what `gatehouse exec --reason` sends): consumed, never forwarded. */
export const REASON_SETTING = 'gatehouse.reason';
const RESERVED_PREFIX = 'gatehouse.';

export interface StartupOptions {
  /** Settings for the target, in order (the gateway's own `gatehouse.*` ones removed). */
  settings: StartupSetting[];
  /** The requester's reason (`gatehouse.reason`), at most 1000 characters. */
  reason?: string;
}

const invalid = (message: string, hint?: string) =>
  new PgError({ severity: 'FATAL', code: '22023', message: `gatehouse: ${message}`, hint });

/** Words of `options`: split at unescaped whitespace, `\` escapes the next character. */
export function splitOptionWords(options: string): string[] {
  const words: string[] = [];
  let i = 0;
  while (i < options.length) {
    while (i < options.length && isSpace(options[i]!)) i++;
    if (i >= options.length) break;
    let word = '';
    let escaped = false;
    for (; i < options.length; i++) {
      const char = options[i]!;
      if (isSpace(char) && !escaped) break;
      if (!escaped && char === '\\') escaped = true;
      else {
        escaped = false;
        word += char;
      }
    }
    words.push(word);
  }
  return words;
}

// C isspace() in the C locale, as pg_split_opts uses it.
const isSpace = (char: string) => char === ' ' || (char >= '\t' && char <= '\r');

/**
 * Parses `options`. Throws a FATAL PgError (22023 like PostgreSQL's "invalid command-line
 * argument", 42601 for a setting without a value) for anything else: other server switches
 * (`-B`, `-d`, `-e`, …), stray words, or a `gatehouse.*` setting the gateway does not know.
 */
export function parseStartupOptions(options: string | undefined): StartupOptions {
  const result: StartupOptions = { settings: [] };
  if (options === undefined) return result;
  const words = splitOptionWords(options);
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    let assignment: string | undefined;
    if (word === '--') {
      if (i + 1 < words.length) throw invalid(`invalid startup option "${words[i + 1]}"`);
      break;
    } else if (word.startsWith('--')) assignment = word.slice(2);
    else if (word === '-c') {
      assignment = words[++i];
      if (assignment === undefined) throw invalid('startup option -c requires a setting');
    } else if (word.startsWith('-c')) assignment = word.slice(2);
    else {
      throw invalid(
        `startup option "${word}" is not supported through the gateway`,
        'only run-time settings pass: -c name=value or --name=value',
      );
    }
    const equals = assignment.indexOf('=');
    if (equals < 0) {
      throw new PgError({
        severity: 'FATAL',
        code: '42601',
        message: `gatehouse: startup option -c ${assignment} requires a value`,
      });
    }
    const name = assignment.slice(0, equals).replaceAll('-', '_');
    const value = assignment.slice(equals + 1);
    if (name === '') throw invalid(`startup option "${word}" names no setting`);
    const lower = name.toLowerCase();
    if (lower === REASON_SETTING) result.reason = value.slice(0, 1000) || undefined;
    else if (lower.startsWith(RESERVED_PREFIX)) {
      throw invalid(`unrecognized gateway setting "${name}" in the startup options`);
    } else result.settings.push({ name, value });
  }
  return result;
}

/** The `options` string the target is sent: `-c name=value` per setting, escaped as libpq's reader expects. */
export function encodeStartupOptions(settings: ReadonlyArray<StartupSetting>): string {
  const escapeWord = (text: string) => text.replace(/[\\\s]/g, (char) => `\\${char}`);
  return settings.map(({ name, value }) => `-c ${escapeWord(name)}=${escapeWord(value)}`).join(' ');
}

/**
 * The setting as the SQL statement it amounts to, for the classifier and the audit record:
 * `SET name = 'value'`. (For list settings such as search_path the target reads the raw value,
 * `a,b`, as `SET search_path = a, b` would; the classification is the same.)
 */
export function settingStatement({ name, value }: StartupSetting): string {
  const ident = (part: string) =>
    /^[a-z_][a-z0-9_$]*$/.test(part) ? part : `"${part.replaceAll('"', '""')}"`;
  const qualified = name.split('.').map(ident).join('.');
  return `SET ${qualified} = '${value.replaceAll("'", "''")}'`;
}

/**
 * Settings a startup option may not change whatever the policy: their value at startup becomes
 * what RESET returns to, and the classifier relies on RESET restoring UTF-8 and standard
 * strings (classify/settings.ts).
 */
export function pinnedSettingProblem({ name, value }: StartupSetting): string | undefined {
  const lower = name.toLowerCase();
  const v = value.trim().toLowerCase();
  if (lower === 'standard_conforming_strings' && !/^(t|tr|tru|true|y|ye|yes|on|1)$/.test(v)) {
    return 'standard_conforming_strings must stay on';
  }
  if (lower === 'client_encoding' && !['utf8', 'unicode'].includes(v.replace(/[-_]/g, ''))) {
    return 'client_encoding may only be UTF8 in the startup options';
  }
  return undefined;
}
