import type { StatementFacts } from './facts.js';

/** A setting's new value: text when given as a constant, `reset` for RESET/DEFAULT, `unknown` otherwise. */
export type SettingValue = string | { reset: true } | { unknown: true };

const TRUE_WORDS = /^(t|tr|tru|true|y|ye|yes|on|1)$/i;

/**
 * Settings only a superuser may change (PostgreSQL's `superuser` / `superuser-backend` contexts)
 * or that load code or switch off safety nets: changing one is `admin`, like SET ROLE. The
 * gateway's target login is often a superuser, so the target would not refuse them itself.
 * Also every `log_…`, `track_…` and `debug_…` setting (what the server logs and records).
 */
const ADMIN_SETTINGS = new Set([
  'role',
  'session_authorization',
  'session_replication_role',
  'session_preload_libraries',
  'local_preload_libraries',
  'dynamic_library_path',
  'allow_system_table_mods',
  'allow_in_place_tablespaces',
  'zero_damaged_pages',
  'ignore_checksum_failure',
  'ignore_system_indexes',
  'lc_messages',
  'deadlock_timeout',
  'max_stack_depth',
  'temp_file_limit',
  'lo_compat_privileges',
  'wal_compression',
  'wal_consistency_checking',
  'commit_delay',
  'compute_query_id',
  'jit_dump_bitcode',
  'update_process_title',
  'post_auth_delay',
]);
const ADMIN_PREFIXES = ['log_', 'track_', 'debug_'];

/** True when changing `name` is server administration (see ADMIN_SETTINGS). */
export function isAdminSetting(name: string): boolean {
  const setting = name.toLowerCase();
  return ADMIN_SETTINGS.has(setting) || ADMIN_PREFIXES.some((p) => setting.startsWith(p));
}

/**
 * Classifies a change of a run-time setting (SET, RESET, set_config()).
 *
 * Two settings change how the server reads the SQL that follows, and so could make it read
 * something other than what this classifier parsed: `standard_conforming_strings = off` turns
 * backslashes in '…' literals into escapes, and a `client_encoding` other than UTF-8 lets bytes
 * that the gateway decodes as a backslash or quote belong to a multi-byte character. Changing
 * either away from the safe value is unclassifiable. RESET returns to the session's start value,
 * which the Postgres session pins (UTF8, standard strings on) when it connects to the target.
 */
export function classifySetting(name: string, value: SettingValue, facts: StatementFacts): void {
  facts.add('set');
  const setting = name.toLowerCase();
  if (isAdminSetting(setting)) facts.add('admin');
  if (setting === 'standard_conforming_strings' && !isSafe(value, (v) => TRUE_WORDS.test(v))) {
    facts.add('admin');
    facts.markUnclassifiable();
  }
  if (setting === 'client_encoding' && !isSafe(value, isUtf8)) {
    facts.add('admin');
    facts.markUnclassifiable();
  }
}

function isSafe(value: SettingValue, safe: (text: string) => boolean): boolean {
  if (typeof value === 'string') return safe(value.trim());
  return 'reset' in value;
}

function isUtf8(text: string): boolean {
  const name = text.toLowerCase().replace(/[-_]/g, '');
  return name === 'utf8' || name === 'unicode';
}
