/**
 * The PostgreSQL connector as the gateway registers it (`src/connectors/registry.ts`): its
 * config (`target`, rule conditions), its statement classes, classification for the policy
 * tester, its error frames, and the listener.
 */

import { z } from 'zod';
import type { Command } from '../../core/command.js';
import type { ConditionSpec, ConnectorModule } from '../../core/connector-module.js';
import { classCondition, targetGlobCondition } from '../../policy/index.js';
import { SQL_STATEMENT_CLASSES } from './classify/classes.js';
import { loadSqlClassifier } from './classify/classifier.js';
import { createPostgresConnector } from './postgres-connector.js';
import { renderGatehouseError } from './protocol/errors.js';
import { replayPostgresCommand } from './replay/replay.js';
import { sqlCommand } from './session/command.js';
import { type PostgresTargetConfig, postgresTargetSchema } from './target/config.js';

const modifies = (command: Command) =>
  command.classes.includes('delete') || command.classes.includes('update');

/**
 * `where: absent` holds for a text with a DELETE/UPDATE that has no WHERE clause (the
 * classifier sets `attributes.where`); `where: present` for one with DELETE/UPDATE, each bounded.
 */
const whereCondition: ConditionSpec<'absent' | 'present'> = {
  schema: z.enum(['absent', 'present']),
  kind: 'content',
  compile: (value) =>
    value === 'absent'
      ? {
          test: (command) => command.attributes?.['where'] === 'absent',
          why: () => 'no DELETE/UPDATE without WHERE',
        }
      : {
          test: (command) => command.attributes?.['where'] !== 'absent' && modifies(command),
          why: () => 'no DELETE/UPDATE, or one without WHERE',
        },
  describe: (value) => ({ qualifier: value === 'absent' ? 'without WHERE' : 'with WHERE' }),
};

export const postgresModule: ConnectorModule<PostgresTargetConfig> = {
  type: 'postgres',
  targetSchema: postgresTargetSchema,
  conditions: {
    statement: classCondition(SQL_STATEMENT_CLASSES, 'statement class'),
    where: whereCondition,
    database: targetGlobCondition('database'),
  },
  scope: (target): Record<string, string> =>
    target.database === undefined ? {} : { database: target.database },
  commandClasses: SQL_STATEMENT_CLASSES,
  describeAttribute: (key, value) =>
    key === 'where' && value === 'absent' ? 'a DELETE/UPDATE has no WHERE' : undefined,
  async classify(text) {
    // Loads libpg-query's WebAssembly module once per process.
    const classifier = await loadSqlClassifier({ cacheEntries: 1 });
    return sqlCommand(text, classifier.classify(text), {});
  },
  renderError: (error) => renderGatehouseError(error),
  // Command records from before `attributes` carried a DELETE/UPDATE without WHERE this way.
  legacyAttributes: { whereAbsent: { where: 'absent' } },
  replay: replayPostgresCommand,
  targetFiles(target) {
    const tls = target.tls;
    if (typeof tls !== 'object' || tls.ca === undefined) return [];
    return [
      {
        path: ['tls', 'ca'],
        file: tls.ca,
        set: (file) => {
          tls.ca = file;
        },
      },
    ];
  },
  create: (deps) => createPostgresConnector(deps),
};
