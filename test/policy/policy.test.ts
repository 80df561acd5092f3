import { describe, expect, it } from 'vitest';
import { execCommand, shellCommand } from '../../src/connectors/ssh/command.js';
import type { Command } from '../../src/core/command.js';
import type { Identity } from '../../src/core/identity.js';
import { connectorWith, identity, sqlCommand, testPolicy } from '../support/policy.js';

const WED_10_UTC = Date.parse('2024-06-05T10:00:00Z');
const policy = testPolicy();

interface Case {
  name: string;
  rules: unknown[];
  default?: 'allow' | 'deny' | 'review';
  type?: 'postgres' | 'kubernetes' | 'ssh';
  who?: Partial<Identity>;
  command?: Command;
  now?: number;
  action: 'allow' | 'deny' | 'review';
  rule?: string;
}

const drop = sqlCommand(['drop', 'ddl', 'write', 'drop_table']);
const read = sqlCommand(['read']);
const unboundedDelete = sqlCommand(['delete', 'write'], { whereAbsent: true });
const boundedDelete = sqlCommand(['delete', 'write']);
const opaque = sqlCommand(['do', 'unclassifiable'], { unclassifiable: true });

const cases: Case[] = [
  // Precedence
  { name: 'no rules: default applies', rules: [], command: drop, action: 'allow' },
  { name: 'no match: default deny', rules: [], default: 'deny', command: read, action: 'deny' },
  {
    name: 'deny beats review and allow regardless of order',
    rules: [
      { name: 'a', when: { statement: 'ddl' }, action: 'allow' },
      { name: 'r', when: { statement: 'drop_table' }, action: 'review' },
      { name: 'd', when: { statement: 'write' }, action: 'deny' },
    ],
    command: drop,
    action: 'deny',
    rule: 'd',
  },
  {
    name: 'review beats allow',
    rules: [
      { name: 'a', when: {}, action: 'allow' },
      { name: 'r', when: { statement: ['drop_table'] }, action: 'review' },
    ],
    command: drop,
    action: 'review',
    rule: 'r',
  },
  {
    name: 'ties go to the first rule in file order',
    rules: [
      { name: 'first', when: { statement: 'ddl' }, action: 'review' },
      { name: 'second', when: { statement: 'drop_table' }, action: 'review' },
    ],
    command: drop,
    action: 'review',
    rule: 'first',
  },
  {
    name: 'an allow rule overrides a deny default',
    rules: [{ name: 'reads', when: { statement: 'read' }, action: 'allow' }],
    default: 'deny',
    command: read,
    action: 'allow',
    rule: 'reads',
  },
  {
    name: 'empty when matches everything',
    rules: [{ name: 'all', when: {}, action: 'review' }],
    command: read,
    action: 'review',
    rule: 'all',
  },
  // Identity
  ...identityCases(),
  // Statement classes and where
  {
    name: 'statement matches any listed class',
    rules: [{ name: 'r', when: { statement: ['truncate', 'drop_table'] }, action: 'deny' }],
    command: drop,
    action: 'deny',
  },
  {
    name: 'statement without a common class does not match',
    rules: [{ name: 'r', when: { statement: ['truncate'] }, action: 'deny' }],
    command: drop,
    action: 'allow',
  },
  {
    name: 'where absent matches an unbounded delete',
    rules: [
      { name: 'r', when: { statement: ['delete', 'update'], where: 'absent' }, action: 'review' },
    ],
    command: unboundedDelete,
    action: 'review',
  },
  {
    name: 'where absent does not match a bounded delete',
    rules: [{ name: 'r', when: { statement: ['delete'], where: 'absent' }, action: 'review' }],
    command: boundedDelete,
    action: 'allow',
  },
  {
    name: 'where present matches a bounded delete',
    rules: [{ name: 'r', when: { where: 'present' }, action: 'deny' }],
    command: boundedDelete,
    action: 'deny',
  },
  {
    name: 'where present does not match a read',
    rules: [{ name: 'r', when: { where: 'present' }, action: 'deny' }],
    command: read,
    action: 'allow',
  },
  // Target
  {
    name: 'database glob matches the command target',
    rules: [{ name: 'r', when: { database: 'ap*' }, action: 'deny' }],
    command: read,
    action: 'deny',
  },
  {
    name: 'database not listed',
    rules: [{ name: 'r', when: { database: ['billing'] }, action: 'deny' }],
    command: read,
    action: 'allow',
  },
  {
    name: 'database condition on a command without a target does not match',
    rules: [{ name: 'r', when: { database: '*' }, action: 'deny' }],
    command: sqlCommand(['read'], { target: {} }),
    action: 'allow',
  },
  {
    name: 'kubernetes verb, resource and namespace from the target',
    type: 'kubernetes',
    rules: [
      {
        name: 'r',
        when: { verb: 'delete', resource: 'pods', namespace: 'prod-*' },
        action: 'deny',
      },
    ],
    command: sqlCommand(['delete', 'write'], {
      protocol: 'kubernetes',
      target: { resource: 'pods', namespace: 'prod-eu' },
    }),
    action: 'deny',
  },
  {
    name: 'kubernetes namespace outside the glob',
    type: 'kubernetes',
    rules: [{ name: 'r', when: { verb: 'delete', namespace: 'prod-*' }, action: 'deny' }],
    command: sqlCommand(['delete', 'write'], {
      protocol: 'kubernetes',
      target: { namespace: 'staging' },
    }),
    action: 'allow',
  },
  {
    name: 'kubernetes privileged comes from the attributes',
    type: 'kubernetes',
    rules: [{ name: 'r', when: { privileged: true }, action: 'review' }],
    command: sqlCommand(['create', 'exec', 'write'], {
      protocol: 'kubernetes',
      target: {},
      attributes: { privileged: true },
    }),
    action: 'review',
  },
  {
    name: 'ssh command glob over each program the request runs',
    type: 'ssh',
    rules: [{ name: 'r', when: { command: ['rm *', 'sudo *'] }, action: 'deny' }],
    command: execCommand('uptime; sudo reboot'),
    action: 'deny',
  },
  {
    name: 'ssh shell false does not match a shell',
    type: 'ssh',
    rules: [{ name: 'r', when: { shell: false }, action: 'deny' }],
    command: shellCommand(),
    action: 'allow',
  },
  // Unclassifiable
  {
    name: 'unclassifiable meets statement conditions; the strictest rule wins',
    rules: [
      { name: 'dba-review', when: { statement: 'drop_table' }, action: 'review' },
      { name: 'no-drop-db', when: { statement: 'drop_database' }, action: 'deny' },
    ],
    command: opaque,
    action: 'deny',
    rule: 'no-drop-db',
  },
  {
    name: 'unclassifiable meets where: absent',
    rules: [
      {
        name: 'r',
        when: { statement: ['delete'], where: 'absent', agent: true },
        action: 'review',
      },
    ],
    who: { agent: true },
    command: opaque,
    action: 'review',
  },
  {
    name: 'unclassifiable still needs identity conditions',
    rules: [{ name: 'r', when: { statement: 'drop_table', agent: true }, action: 'deny' }],
    who: { agent: false },
    command: opaque,
    action: 'allow',
  },
  {
    name: 'unclassifiable with no applicable rule gets the default',
    rules: [],
    default: 'review',
    command: opaque,
    action: 'review',
  },
  {
    name: 'unclassifiable with an unknown target meets target conditions',
    rules: [{ name: 'r', when: { database: 'app' }, action: 'deny' }],
    command: sqlCommand(['unclassifiable'], { unclassifiable: true, target: {} }),
    action: 'deny',
  },
  {
    name: 'unclassifiable with a known target is checked against it',
    rules: [{ name: 'r', when: { database: 'billing', statement: 'ddl' }, action: 'deny' }],
    command: opaque,
    action: 'allow',
  },
  // Time
  {
    name: 'inside a weekday window',
    rules: [
      { name: 'r', when: { time: { days: ['wed'], from: '09:00', to: '17:00' } }, action: 'deny' },
    ],
    now: WED_10_UTC,
    command: read,
    action: 'deny',
  },
  {
    name: 'the window is in its time zone',
    rules: [
      {
        name: 'r',
        when: { time: { from: '09:00', to: '11:00', tz: 'Europe/Berlin' } },
        action: 'deny',
      },
    ],
    now: WED_10_UTC, // 12:00 in Berlin
    command: read,
    action: 'allow',
  },
  {
    name: 'any of several windows',
    rules: [
      {
        name: 'r',
        when: { time: [{ days: ['mon'] }, { days: ['wed'], from: '10:00', to: '10:01' }] },
        action: 'deny',
      },
    ],
    now: WED_10_UTC,
    command: read,
    action: 'deny',
  },
  {
    name: 'a bad time zone fails closed on a deny rule',
    rules: [{ name: 'r', when: { time: { tz: 'Mars/Olympus' } }, action: 'deny' }],
    command: read,
    action: 'deny',
  },
  {
    name: 'a bad time zone fails closed on an allow rule',
    rules: [{ name: 'r', when: { time: { tz: 'Mars/Olympus' } }, action: 'allow' }],
    default: 'deny',
    command: read,
    action: 'deny',
  },
];

function identityCases(): Case[] {
  const rule = (when: object) => [{ name: 'r', when, action: 'deny' }];
  return [
    {
      name: 'groups: in one',
      rules: rule({ groups: ['a', 'b'] }),
      who: { groups: ['b'] },
      action: 'deny',
    },
    {
      name: 'groups: in none',
      rules: rule({ groups: ['a'] }),
      who: { groups: ['c'] },
      action: 'allow',
    },
    {
      name: 'groups_not: in none',
      rules: rule({ groups_not: ['dba'] }),
      who: { groups: ['x'] },
      action: 'deny',
    },
    {
      name: 'groups_not: in one',
      rules: rule({ groups_not: ['dba'] }),
      who: { groups: ['dba'] },
      action: 'allow',
    },
    { name: 'subjects: listed', rules: rule({ subjects: ['alice'] }), action: 'deny' },
    { name: 'subjects: not listed', rules: rule({ subjects: ['bob'] }), action: 'allow' },
    {
      name: 'agent: true for an agent',
      rules: rule({ agent: true }),
      who: { agent: true },
      action: 'deny',
    },
    { name: 'agent: true for a human', rules: rule({ agent: true }), action: 'allow' },
    { name: 'agent: false for a human', rules: rule({ agent: false }), action: 'deny' },
    {
      name: 'all conditions must hold',
      rules: rule({ groups: ['a'], agent: true, statement: 'drop_table' }),
      who: { groups: ['a'], agent: false },
      command: drop,
      action: 'allow',
    },
  ];
}

describe('createPolicy().decide', () => {
  it.each(cases)('$name', (c) => {
    const connector = connectorWith(c.rules, { type: c.type, default: c.default });
    const context = {
      connector,
      identity: identity(c.who),
      command: c.command ?? read,
      now: c.now ?? WED_10_UTC,
    };
    const decision = policy.decide(context);
    expect(decision.action).toBe(c.action);
    if (c.rule) expect(decision.rule).toBe(c.rule);
    if (decision.rule === undefined) expect(decision.reason).toContain('no rule matched');
    // explain() must agree with decide() on every case.
    expect(policy.explain(context).decision).toEqual(decision);
  });
});

describe('conditions by connector type', () => {
  it('rejects a condition of another protocol in the config (strict per type)', () => {
    expect(() =>
      connectorWith([{ name: 'r', when: { verb: ['delete'] }, action: 'deny' }]),
    ).toThrow(/verb/);
  });
});

describe('decision reasons and review settings', () => {
  const connector = connectorWith(
    [
      {
        name: 'destructive-changes-need-a-dba',
        when: { statement: ['drop_table', 'truncate'] },
        action: 'review',
        review: { approvers: ['dba'], approvals: 2, timeout: '1h', wait: '5m' },
      },
      { name: 'unbounded', when: { statement: ['delete'], where: 'absent' }, action: 'deny' },
      {
        name: 'custom',
        when: { statement: 'grant' },
        action: 'deny',
        reason: 'ask the security team',
      },
    ],
    { default: 'allow' },
  );
  const decide = (command: Command) =>
    policy.decide({ connector, identity: identity(), command, now: WED_10_UTC });

  it('names the rule, the statement and the approvers', () => {
    const decision = decide(drop);
    expect(decision.reason).toBe(
      'rule "destructive-changes-need-a-dba": DROP TABLE requires review by dba',
    );
    expect(decision.review).toEqual({
      approvers: ['dba'],
      approvals: 2,
      timeout: 3_600_000,
      wait: 300_000,
    });
  });

  it('says when WHERE is missing', () => {
    expect(decide(unboundedDelete).reason).toBe('rule "unbounded": DELETE without WHERE is denied');
  });

  it('uses the rule reason when one is written', () => {
    expect(decide(sqlCommand(['grant', 'ddl', 'write'])).reason).toBe(
      'rule "custom": ask the security team',
    );
  });

  it('says when a command could not be classified', () => {
    expect(decide(opaque).reason).toBe(
      'rule "unbounded": a command that cannot be classified is denied',
    );
  });

  it('names the connector default', () => {
    const decision = decide(read);
    expect(decision).toEqual({
      action: 'allow',
      reason: 'no rule matched; connector "c" default is allow',
    });
  });
});

describe('createPolicy().explain', () => {
  it('lists every rule with the conditions that did not hold', () => {
    const connector = connectorWith([
      { name: 'dba-only', when: { groups: ['dba'], statement: 'drop_table' }, action: 'allow' },
      { name: 'agents', when: { agent: true }, action: 'review' },
      { name: 'drops', when: { statement: 'drop_table' }, action: 'review' },
      { name: 'all', when: {}, action: 'allow' },
    ]);
    const explanation = policy.explain({
      connector,
      identity: identity({ groups: ['dev'] }),
      command: drop,
      now: WED_10_UTC,
    });
    expect(explanation.decision.rule).toBe('drops');
    expect(explanation.matched).toEqual([
      { rule: 'drops', action: 'review' },
      { rule: 'all', action: 'allow' },
    ]);
    expect(explanation.evaluated.map((e) => [e.rule, e.matched])).toEqual([
      ['dba-only', false],
      ['agents', false],
      ['drops', true],
      ['all', true],
    ]);
    expect(explanation.evaluated[0]!.unmet).toEqual(['groups: alice is in none of [dba]']);
    expect(explanation.evaluated[1]!.unmet).toEqual(['agent: identity is not an agent']);
  });

  it('recompiles when the connector config is replaced (reload)', () => {
    const before = connectorWith([{ name: 'r', when: { statement: 'read' }, action: 'deny' }]);
    const after = connectorWith([{ name: 'r', when: { statement: 'read' }, action: 'allow' }]);
    const context = { identity: identity(), command: read, now: WED_10_UTC };
    expect(policy.decide({ ...context, connector: before }).action).toBe('deny');
    expect(policy.decide({ ...context, connector: after }).action).toBe('allow');
  });
});
