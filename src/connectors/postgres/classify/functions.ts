import type { StatementFacts } from './facts.js';
import { classifySetting } from './settings.js';

type AstObject = Record<string, unknown>;

/**
 * Built-in and well-known extension functions whose call is not a read: they signal backends,
 * touch server files, change server state or run SQL given as a string. Matched on the
 * function's own name (the schema is ignored, so a look-alike in another schema is flagged too).
 * A user-defined function that writes is not visible here; that is why creating one is
 * unclassifiable.
 */
const ADMIN = [
  'pg_terminate_backend',
  'pg_cancel_backend',
  'pg_reload_conf',
  'pg_rotate_logfile',
  'pg_promote',
  'pg_switch_wal',
  'pg_create_restore_point',
  'pg_backup_start',
  'pg_backup_stop',
  'pg_start_backup',
  'pg_stop_backup',
  'pg_wal_replay_pause',
  'pg_wal_replay_resume',
  'pg_log_backend_memory_contexts',
  'pg_log_standby_snapshot',
  'pg_import_system_collations',
  'pg_create_physical_replication_slot',
  'pg_create_logical_replication_slot',
  'pg_copy_physical_replication_slot',
  'pg_copy_logical_replication_slot',
  'pg_drop_replication_slot',
  'pg_replication_slot_advance',
  'pg_sync_replication_slots',
  'pg_logical_slot_get_changes',
  'pg_logical_slot_peek_changes',
  'pg_logical_slot_get_binary_changes',
  'pg_logical_slot_peek_binary_changes',
  'pg_logical_emit_message',
  'pg_replication_origin_create',
  'pg_replication_origin_drop',
  'pg_replication_origin_advance',
  'pg_replication_origin_session_setup',
  'pg_replication_origin_session_reset',
  'pg_replication_origin_xact_setup',
  'pg_read_file',
  'pg_read_binary_file',
  'pg_stat_file',
  'pg_ls_dir',
  'pg_ls_logdir',
  'pg_ls_waldir',
  'pg_ls_tmpdir',
  'pg_ls_archive_statusdir',
  'pg_ls_logicalsnapdir',
  'pg_ls_logicalmapdir',
  'pg_ls_replslotdir',
  'pg_ls_summariesdir',
  'pg_stat_reset',
  'pg_stat_reset_shared',
  'pg_stat_reset_single_table_counters',
  'pg_stat_reset_single_function_counters',
  'pg_stat_reset_slru',
  'pg_stat_reset_replication_slot',
  'pg_stat_reset_subscription_stats',
  'pg_stat_reset_backend_stats',
  // adminpack
  'pg_file_write',
  'pg_file_rename',
  'pg_file_unlink',
  'pg_file_sync',
  'pg_logdir_ls',
  'dblink_connect',
  'dblink_connect_u',
  'dblink_disconnect',
];

const CLASSES_BY_FUNCTION = new Map<string, readonly string[]>([
  ...ADMIN.map((name) => [name, ['admin']] as const),
  // Large objects: server files and stored data.
  ['lo_import', ['admin', 'write']],
  ['lo_export', ['admin', 'write']],
  ...['lo_unlink', 'lo_create', 'lo_creat', 'lo_from_bytea', 'lo_put', 'lowrite'].map(
    (name) => [name, ['write']] as const,
  ),
  ...['lo_truncate', 'lo_truncate64', 'setval'].map((name) => [name, ['write']] as const),
  ['pg_notify', ['notify']],
  // SQL passed as a string runs unseen.
  ...[
    'dblink',
    'dblink_exec',
    'dblink_send_query',
    'dblink_open',
    'query_to_xml',
    'query_to_xmlschema',
    'query_to_xml_and_xmlschema',
    'ts_stat',
    'pg_background_launch',
  ].map((name) => [name, ['execute_dynamic', 'admin']] as const),
]);

const DYNAMIC = new Set(['execute_dynamic']);

/** Adds the classes of a `FuncCall` node when it names a function that is not a plain read. */
export function classifyFunctionCall(call: AstObject, facts: StatementFacts): void {
  const name = lastName(call['funcname']);
  if (name === undefined) return;
  if (name === 'set_config') {
    facts.readConstant();
    const args = Array.isArray(call['args']) ? call['args'] : [];
    const setting = constantString(args[0]);
    const value = constantString(args[1]);
    if (setting === undefined) {
      // A setting chosen at run time could be any of them, role and encoding included.
      facts.add('set', 'admin');
      facts.markUnclassifiable();
      return;
    }
    classifySetting(setting, value ?? { unknown: true }, facts);
    return;
  }
  const classes = CLASSES_BY_FUNCTION.get(name);
  if (!classes) return;
  facts.add(...classes);
  if (classes.some((c) => DYNAMIC.has(c))) facts.markUnclassifiable();
}

function lastName(funcname: unknown): string | undefined {
  if (!Array.isArray(funcname) || funcname.length === 0) return undefined;
  const last = funcname[funcname.length - 1] as { String?: { sval?: string } };
  return last?.String?.sval;
}

function constantString(node: unknown): string | undefined {
  const value = (node as { A_Const?: { sval?: { sval?: string } } } | undefined)?.A_Const;
  return value?.sval?.sval;
}
