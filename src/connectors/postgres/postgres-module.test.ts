import { describe, expect, it } from 'vitest';
import { GatehouseError } from '../../core/errors.js';
import { postgresModule } from './postgres-module.js';
import { readErrorSummary } from './protocol/errors.js';

describe('postgresModule', () => {
  it('classifies a text as the connector would, the missing WHERE as an attribute', async () => {
    const command = await postgresModule.classify('DELETE FROM t');
    expect(command).toMatchObject({
      protocol: 'postgres',
      text: 'DELETE FROM t',
      classes: ['delete', 'write'],
      attributes: { where: 'absent' },
      unclassifiable: false,
      target: {},
    });
    expect(
      (await postgresModule.classify('DELETE FROM t WHERE id = 1')).attributes,
    ).toBeUndefined();
  });

  it('renders a GatehouseError as an ErrorResponse with its SQLSTATE', () => {
    const frame = Buffer.from(
      postgresModule.renderError(new GatehouseError('policy_denied', 'no', { rule: 'r' })),
    );
    expect(String.fromCharCode(frame[0]!)).toBe('E');
    expect(readErrorSummary(frame.subarray(5))).toMatchObject({
      code: '42501',
      message: 'gatehouse: no',
      severity: 'ERROR',
    });
  });

  it('reports statement classes the classifier never emits', () => {
    const statement = postgresModule.conditions['statement']!;
    expect(statement.issues?.(['read', 'drop_tables'])).toEqual([
      { path: [1], message: 'unknown statement class "drop_tables"' },
    ]);
  });

  it('validates its target', () => {
    expect(postgresModule.targetSchema.safeParse({ host: 'db', port: 5432 }).data).toEqual({
      host: 'db',
      port: 5432,
      tls: 'disable',
    });
    expect(postgresModule.targetSchema.safeParse({ host: 'db' }).success).toBe(false);
    expect(
      postgresModule.scope?.({ host: 'db', port: 1, database: 'app', tls: 'disable' }),
    ).toEqual({ database: 'app' });
  });
});
