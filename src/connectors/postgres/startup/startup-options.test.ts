import { describe, expect, it } from 'vitest';
import { PgError } from '../protocol/errors.js';
import {
  encodeStartupOptions,
  parseStartupOptions,
  pinnedSettingProblem,
  settingStatement,
  splitOptionWords,
} from './startup-options.js';

const fatal = (options: string) => {
  try {
    parseStartupOptions(options);
  } catch (err) {
    expect(err).toBeInstanceOf(PgError);
    return (err as PgError).fields;
  }
  throw new Error(`"${options}" was accepted`);
};

describe('parseStartupOptions', () => {
  it('reads every form libpq and PostgreSQL accept for a setting', () => {
    expect(
      parseStartupOptions(
        '-c statement_timeout=5s  -cwork_mem=64MB --intervalstyle=postgres_verbose\t-c a.b=1',
      ).settings,
    ).toEqual([
      { name: 'statement_timeout', value: '5s' },
      { name: 'work_mem', value: '64MB' },
      { name: 'intervalstyle', value: 'postgres_verbose' },
      { name: 'a.b', value: '1' },
    ]);
  });

  it('unescapes backslashes and turns dashes of names into underscores', () => {
    expect(splitOptionWords('a\\ b\\\\c  d\\')).toEqual(['a b\\c', 'd']);
    expect(parseStartupOptions('-c application_name=my\\ app --lock-timeout=1s').settings).toEqual([
      { name: 'application_name', value: 'my app' },
      { name: 'lock_timeout', value: '1s' },
    ]);
    expect(parseStartupOptions('-c x.y=a=b').settings).toEqual([{ name: 'x.y', value: 'a=b' }]);
  });

  it('takes the requester reason and never forwards it', () => {
    expect(parseStartupOptions('-c gatehouse.reason=deploy\\ 42\\ by\\ ci')).toEqual({
      settings: [],
      reason: 'deploy 42 by ci',
    });
    const mixed = parseStartupOptions('--gatehouse.reason=hotfix -c search_path=app');
    expect(mixed.reason).toBe('hotfix');
    expect(mixed.settings).toEqual([{ name: 'search_path', value: 'app' }]);
    expect(fatal('-c gatehouse.other=1').message).toMatch(/unrecognized gateway setting/);
  });

  it('refuses other server switches, stray words and settings without a value', () => {
    expect(fatal('-B 100')).toMatchObject({ severity: 'FATAL', code: '22023' });
    expect(fatal('-e').message).toMatch(/"-e" is not supported/);
    expect(fatal('statement_timeout=1').code).toBe('22023');
    expect(fatal('-c').code).toBe('22023');
    expect(fatal('-c work_mem').code).toBe('42601');
    expect(fatal('-- -c x=1').code).toBe('22023');
    expect(parseStartupOptions('   ').settings).toEqual([]);
  });
});

describe('what the target and the gate are given', () => {
  it('writes back what was read, escaped, so the target reads the same settings', () => {
    const settings = [
      { name: 'application_name', value: 'a b\\c\td' },
      { name: 'work_mem', value: '64MB' },
    ];
    const encoded = encodeStartupOptions(settings);
    expect(encoded).toBe('-c application_name=a\\ b\\\\c\\\td -c work_mem=64MB');
    expect(parseStartupOptions(encoded).settings).toEqual(settings);
  });

  it('renders each setting as the SET statement it amounts to', () => {
    expect(settingStatement({ name: 'statement_timeout', value: '5s' })).toBe(
      "SET statement_timeout = '5s'",
    );
    expect(settingStatement({ name: 'DateStyle', value: "it's" })).toBe(
      `SET "DateStyle" = 'it''s'`,
    );
    expect(settingStatement({ name: 'my.Opt', value: '1' })).toBe(`SET my."Opt" = '1'`);
  });

  it('keeps the settings the classifier relies on at their safe start values', () => {
    expect(
      pinnedSettingProblem({ name: 'standard_conforming_strings', value: 'off' }),
    ).toBeTruthy();
    expect(
      pinnedSettingProblem({ name: 'standard_conforming_strings', value: 'on' }),
    ).toBeUndefined();
    expect(pinnedSettingProblem({ name: 'client_encoding', value: 'SJIS' })).toBeTruthy();
    expect(pinnedSettingProblem({ name: 'CLIENT_ENCODING', value: 'utf-8' })).toBeUndefined();
    expect(pinnedSettingProblem({ name: 'work_mem', value: '1' })).toBeUndefined();
  });
});
