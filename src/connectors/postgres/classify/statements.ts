import { StatementFacts } from './facts.js';
import { classifyFunctionCall } from './functions.js';
import { inspectDoBlock, inspectFunctionDefinition } from './routines.js';
import { classifySetting, type SettingValue } from './settings.js';
import type { AstObject, NodeHandler } from './walk.js';

/** Adds fixed classes and walks every field (nested statements and function calls). */
const mark =
  (...classes: string[]): NodeHandler =>
  (_fields, facts) => {
    facts.add(...classes);
    return true;
  };

const CREATE = ['create', 'ddl', 'write'];
const ALTER = ['alter', 'ddl', 'write'];
const DROP = ['drop', 'ddl', 'write'];

/** Catalog changes with nothing special about them beyond create/alter/drop. */
const PLAIN_DDL: Record<string, readonly string[]> = {
  ...byName(CREATE, [
    'CreateStmt',
    'CreateForeignTableStmt',
    'CreateSchemaStmt',
    'CreatedbStmt',
    'IndexStmt',
    'ViewStmt',
    'CreateSeqStmt',
    'CreateTrigStmt',
    'RuleStmt',
    'CompositeTypeStmt',
    'CreateEnumStmt',
    'CreateRangeStmt',
    'DefineStmt',
    'CreateDomainStmt',
    'CreateCastStmt',
    'CreateConversionStmt',
    'CreateOpClassStmt',
    'CreateOpFamilyStmt',
    'CreateFdwStmt',
    'CreateForeignServerStmt',
    'CreateUserMappingStmt',
    'CreatePolicyStmt',
    'CreateStatsStmt',
    'CreateTransformStmt',
    'CreatePublicationStmt',
    'ImportForeignSchemaStmt',
  ]),
  ...byName(
    [...CREATE, 'admin'],
    [
      'CreateExtensionStmt',
      'CreatePLangStmt',
      'CreateAmStmt',
      'CreateEventTrigStmt',
      'CreateTableSpaceStmt',
      'CreateSubscriptionStmt',
    ],
  ),
  ...byName(ALTER, [
    'AlterTableStmt',
    'AlterDomainStmt',
    'AlterCollationStmt',
    'AlterDatabaseStmt',
    'AlterDatabaseSetStmt',
    'AlterDatabaseRefreshCollStmt',
    'AlterFunctionStmt',
    'AlterSeqStmt',
    'AlterStatsStmt',
    'AlterEnumStmt',
    'AlterTypeStmt',
    'AlterOperatorStmt',
    'AlterOpFamilyStmt',
    'AlterObjectSchemaStmt',
    'AlterObjectDependsStmt',
    'AlterOwnerStmt',
    'AlterPolicyStmt',
    'AlterPublicationStmt',
    'AlterFdwStmt',
    'AlterForeignServerStmt',
    'AlterUserMappingStmt',
    'AlterTSDictionaryStmt',
    'AlterTSConfigurationStmt',
    'AlterTableSpaceOptionsStmt',
    'AlterTableMoveAllStmt',
    'CommentStmt',
    'SecLabelStmt',
  ]),
  ...byName(
    [...ALTER, 'admin'],
    [
      'AlterExtensionStmt',
      'AlterExtensionContentsStmt',
      'AlterEventTrigStmt',
      'AlterSubscriptionStmt',
    ],
  ),
  ...byName(DROP, ['DropTableSpaceStmt', 'DropUserMappingStmt']),
  ...byName([...DROP, 'admin'], ['DropSubscriptionStmt']),
};

/**
 * One handler per node type that means something for policy. Node types not listed are walked
 * through; statement node types not listed make the statement unclassifiable.
 */
export const NODE_HANDLERS: Readonly<Record<string, NodeHandler>> = {
  ...Object.fromEntries(
    Object.entries(PLAIN_DDL).map(([name, classes]) => [name, mark(...classes)]),
  ),

  SelectStmt: (fields, facts) => {
    if (fields['intoClause']) facts.add('select_into', ...CREATE);
    else facts.add('read');
    return true;
  },
  SetOperationStmt: mark('read'),
  InsertStmt: (fields, facts) => {
    facts.add('insert', 'write');
    const conflict = fields['onConflictClause'] as AstObject | undefined;
    if (conflict?.['action'] === 'ONCONFLICT_UPDATE') facts.add('update');
    return true;
  },
  UpdateStmt: (fields, facts) => {
    facts.add('update', 'write');
    if (!fields['whereClause']) facts.whereAbsent = true;
    return true;
  },
  DeleteStmt: (fields, facts) => {
    facts.add('delete', 'write');
    if (!fields['whereClause']) facts.whereAbsent = true;
    return true;
  },
  MergeStmt: (fields, facts) => {
    facts.add('merge', 'write');
    for (const clause of asArray(fields['mergeWhenClauses'])) {
      const kind = (clause as { MergeWhenClause?: AstObject }).MergeWhenClause?.['commandType'];
      if (kind === 'CMD_INSERT') facts.add('insert');
      else if (kind === 'CMD_UPDATE') facts.add('update');
      else if (kind === 'CMD_DELETE') facts.add('delete');
    }
    return true;
  },
  TruncateStmt: mark('truncate', 'write'),
  CopyStmt: (fields, facts) => {
    if (fields['is_from']) facts.add('copy_from', 'insert', 'write');
    else facts.add('copy_to', 'read');
    // A program runs on the database server; a file name is a server-side file.
    if (fields['is_program']) facts.add('copy_program', 'admin');
    else if (typeof fields['filename'] === 'string') facts.add('admin');
    return true;
  },
  CreateTableAsStmt: mark('select_into', ...CREATE),
  RefreshMatViewStmt: mark('maintenance', 'write'),

  ExplainStmt: (fields, facts) => {
    facts.add('explain');
    if (explainAnalyze(fields['options'], facts)) return ['query'];
    facts.add('read');
    return false;
  },
  PrepareStmt: (fields, facts, ctx) => {
    facts.add('prepare');
    const prepared = new StatementFacts();
    ctx.walk(fields['query'], prepared);
    if (prepared.classes.size === 0 || prepared.executes.length > 0) prepared.markUnclassifiable();
    prepared.pruneRead();
    // What the prepared statement does is part of this statement's result.
    if (prepared.readsConstant) facts.readConstant();
    facts.prepares.push({ name: String(fields['name'] ?? ''), facts: prepared });
    return false;
  },
  ExecuteStmt: (fields, facts) => {
    facts.add('execute');
    facts.executes.push(String(fields['name'] ?? ''));
    return ['params'];
  },
  DeallocateStmt: (fields, facts) => {
    facts.add('deallocate');
    if (fields['isall'] || fields['name'] === undefined) facts.deallocateAll = true;
    else facts.deallocates.push(String(fields['name']));
    return false;
  },
  DiscardStmt: (fields, facts) => {
    facts.add('set');
    if (fields['target'] === 'DISCARD_ALL') facts.deallocateAll = true;
    return false;
  },

  DoStmt: (fields, facts, ctx) => {
    facts.add('do');
    facts.markUnclassifiable();
    inspectDoBlock(fields, facts, ctx);
    return false;
  },
  CreateFunctionStmt: (fields, facts, ctx) => {
    facts.add('function', ...CREATE);
    facts.markUnclassifiable();
    inspectFunctionDefinition(fields, facts, ctx);
    return ['sql_body'];
  },
  CallStmt: mark('call', 'write'),
  FuncCall: (fields, facts) => {
    classifyFunctionCall(fields, facts);
    return true;
  },

  TransactionStmt: mark('transaction'),
  ConstraintsSetStmt: mark('transaction'),
  VariableSetStmt: (fields, facts) => {
    classifySetting(String(fields['name'] ?? ''), settingValue(fields, facts), facts);
    return true;
  },
  VariableShowStmt: mark('read'),
  DeclareCursorStmt: mark('read'),
  FetchStmt: mark('read'),
  ClosePortalStmt: mark('read'),

  LockStmt: mark('lock'),
  ListenStmt: mark('listen'),
  UnlistenStmt: mark('listen'),
  NotifyStmt: mark('notify'),
  VacuumStmt: mark('vacuum', 'maintenance'),
  ClusterStmt: mark('maintenance'),
  ReindexStmt: mark('maintenance'),
  CheckPointStmt: mark('admin'),
  LoadStmt: mark('admin'),
  AlterSystemStmt: mark('admin', 'alter', 'write'),

  GrantStmt: (fields, facts) => {
    facts.add(fields['is_grant'] ? 'grant' : 'revoke', 'ddl', 'write');
    return true;
  },
  GrantRoleStmt: (fields, facts) => {
    facts.add(fields['is_grant'] ? 'grant' : 'revoke', 'ddl', 'write');
    return true;
  },
  AlterDefaultPrivilegesStmt: (fields, facts) => {
    const action = fields['action'] as AstObject | undefined;
    facts.add(action?.['is_grant'] ? 'grant' : 'revoke', 'alter', 'ddl', 'write');
    return false;
  },
  CreateRoleStmt: mark('create_role', ...CREATE),
  AlterRoleStmt: mark('alter_role', ...ALTER),
  AlterRoleSetStmt: mark('alter_role', ...ALTER),
  DropRoleStmt: mark('drop_role', ...DROP),
  DropdbStmt: mark('drop_database', ...DROP),
  DropStmt: (fields, facts) => {
    facts.add(...DROP);
    if (fields['removeType'] === 'OBJECT_TABLE') facts.add('drop_table');
    else if (fields['removeType'] === 'OBJECT_SCHEMA') facts.add('drop_schema');
    return true;
  },
  // Drops every object the role owns, tables and schemas included, and revokes its grants.
  DropOwnedStmt: mark('drop_table', 'drop_schema', 'revoke', ...DROP),
  ReassignOwnedStmt: mark('admin', ...ALTER),
  RenameStmt: (fields, facts) => {
    facts.add(...ALTER);
    if (fields['renameType'] === 'OBJECT_ROLE') facts.add('alter_role');
    return true;
  },
  // Appears inside ALTER TABLE; the ALTER TABLE itself carries the classes.
  ReplicaIdentityStmt: mark(),
};

/**
 * EXPLAIN runs the statement only with ANALYZE. PostgreSQL takes the last of repeated options
 * and accepts many spellings of a boolean; anything but a clear "false" counts as ANALYZE.
 */
function explainAnalyze(options: unknown, facts: StatementFacts): boolean {
  for (const option of asArray(options)) {
    const def = (option as { DefElem?: AstObject }).DefElem;
    if (def?.['defname'] !== 'analyze') continue;
    if (def['arg'] !== undefined) facts.readConstant();
    if (!isFalse(def['arg'])) return true;
  }
  return false;
}

const FALSE_WORDS = /^(f|fa|fal|fals|false|n|no|of|off|0)$/i;

function isFalse(arg: unknown): boolean {
  if (arg === undefined) return false;
  const node = arg as {
    String?: { sval?: string };
    Integer?: { ival?: number };
    Boolean?: { boolval?: boolean };
  };
  if (node.String) return FALSE_WORDS.test(node.String.sval ?? '');
  if (node.Integer) return (node.Integer.ival ?? 0) === 0;
  if (node.Boolean) return node.Boolean.boolval !== true;
  return false;
}

function settingValue(fields: AstObject, facts: StatementFacts): SettingValue {
  const kind = fields['kind'];
  if (kind === 'VAR_RESET' || kind === 'VAR_SET_DEFAULT' || kind === 'VAR_RESET_ALL') {
    return { reset: true };
  }
  const args = asArray(fields['args']);
  if (kind !== 'VAR_SET_VALUE' || args.length !== 1) return { unknown: true };
  facts.readConstant();
  return constantText(args[0]) ?? { unknown: true };
}

/** The text of a string or integer constant node, as PostgreSQL would read it as a setting. */
function constantText(node: unknown): string | undefined {
  const constant = (node as { A_Const?: AstObject } | undefined)?.A_Const;
  if (!constant) return undefined;
  const text = (constant['sval'] as { sval?: string } | undefined)?.sval;
  if (text !== undefined) return text;
  if (constant['ival'] !== undefined) {
    return String((constant['ival'] as { ival?: number }).ival ?? 0);
  }
  return undefined;
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function byName(
  classes: readonly string[],
  names: readonly string[],
): Record<string, readonly string[]> {
  return Object.fromEntries(names.map((name) => [name, classes]));
}
