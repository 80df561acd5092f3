import { describe, expect, it } from 'vitest';
import { policyIssues } from '../../src/policy/validate.js';
import { conditionsOf, connectorWith } from '../support/policy.js';

describe('policyIssues', () => {
  it('accepts the SPEC example rules', () => {
    const connector = connectorWith([
      { name: 'a', when: { statement: ['drop_database'] }, action: 'deny' },
      {
        name: 'b',
        when: { statement: ['drop_table', 'truncate', 'alter_role', 'grant', 'revoke'] },
        action: 'review',
      },
      {
        name: 'c',
        when: { statement: ['delete', 'update'], where: 'absent', agent: true },
        action: 'review',
      },
      {
        name: 'd',
        when: { database: 'app', time: { days: ['sat', 'sun'], tz: 'Europe/Paris' } },
        action: 'deny',
      },
    ]);
    expect(policyIssues(connector, conditionsOf(connector.type))).toEqual([]);
  });

  it('names unknown classes and bad windows by key path', () => {
    const connector = connectorWith([
      { name: 'typo', when: { statement: ['drop_tables', 'read'] }, action: 'deny' },
      { name: 'other', when: { statement: 'read' }, action: 'deny' },
      {
        name: 'time',
        when: { time: [{ days: ['mon'] }, { from: '07:00', tz: 'Nowhere/City' }] },
        action: 'deny',
      },
    ]);
    expect(policyIssues(connector, conditionsOf(connector.type))).toEqual([
      {
        path: ['rules', 0, 'when', 'statement', 0],
        message: 'unknown statement class "drop_tables"',
      },
      {
        path: ['rules', 2, 'when', 'time', 1],
        message: 'time.tz "Nowhere/City" is not an IANA time zone',
      },
    ]);
  });

  it('accepts kubernetes conditions on a kubernetes connector', () => {
    const connector = connectorWith(
      [
        {
          name: 'k',
          when: { verb: 'delete', namespace: 'prod', privileged: true },
          action: 'review',
        },
      ],
      { type: 'kubernetes' },
    );
    expect(policyIssues(connector, conditionsOf(connector.type))).toEqual([]);
  });
});
