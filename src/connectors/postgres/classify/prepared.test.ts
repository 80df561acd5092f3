import { beforeAll, describe, expect, it } from 'vitest';
import { loadSqlClassifier, PreparedStatements, type SqlClassifier } from './classifier.js';

let classifier: SqlClassifier;
beforeAll(async () => {
  classifier = await loadSqlClassifier();
});

/** Classifies and applies as a session would after the target answered. */
function run(session: PreparedStatements, sql: string, succeeded = true) {
  const result = classifier.classify(sql, session);
  session.apply(result, succeeded);
  return result;
}

const sorted = (classes: ReadonlyArray<string>) => [...classes].sort();

describe('prepared statements', () => {
  it('classifies EXECUTE as what the statement does', () => {
    const session = new PreparedStatements();
    const prepare = run(session, 'PREPARE wipe AS DELETE FROM t');
    expect(prepare.classes).toEqual(['prepare']);
    expect(prepare.whereAbsent).toBe(false);
    expect(prepare.prepare).toEqual([
      {
        name: 'wipe',
        classification: expect.objectContaining({
          classes: ['delete', 'write'],
          whereAbsent: true,
        }),
      },
    ]);
    const execute = classifier.classify('EXECUTE wipe', session);
    expect(sorted(execute.classes)).toEqual(['delete', 'execute', 'write']);
    expect(execute.whereAbsent).toBe(true);
    expect(execute.unclassifiable).toBe(false);
  });

  it('folds unquoted names like PostgreSQL', () => {
    const session = new PreparedStatements();
    run(session, 'PREPARE Wipe AS DELETE FROM t');
    expect(classifier.classify('execute WIPE', session).classes).toContain('delete');
  });

  it('does not share one session’s statements with another through the cache', () => {
    const a = new PreparedStatements();
    const b = new PreparedStatements();
    run(a, 'PREPARE p AS SELECT 1');
    run(b, 'PREPARE p AS DELETE FROM t');
    expect(sorted(classifier.classify('EXECUTE p', a).classes)).toEqual(['execute', 'read']);
    expect(sorted(classifier.classify('EXECUTE p', b).classes)).toEqual([
      'delete',
      'execute',
      'write',
    ]);
    expect(classifier.classify('EXECUTE p').unclassifiable).toBe(true);
  });

  it('resolves EXECUTE inside EXPLAIN ANALYZE and CREATE TABLE AS, not inside plain EXPLAIN', () => {
    const session = new PreparedStatements();
    run(session, 'PREPARE p AS UPDATE t SET x = 1');
    expect(classifier.classify('EXPLAIN ANALYZE EXECUTE p', session).classes).toContain('update');
    expect(classifier.classify('CREATE TABLE c AS EXECUTE p', session).classes).toContain('update');
    expect(sorted(classifier.classify('EXPLAIN EXECUTE p', session).classes)).toEqual([
      'explain',
      'read',
    ]);
  });

  it('sees dangerous functions in EXECUTE parameters', () => {
    const session = new PreparedStatements();
    run(session, 'PREPARE p(int) AS SELECT $1');
    expect(classifier.classify('EXECUTE p(pg_terminate_backend(42))', session).classes).toContain(
      'admin',
    );
  });

  it('follows PREPARE, DEALLOCATE and EXECUTE in order within one text', () => {
    const session = new PreparedStatements();
    run(session, 'PREPARE p AS SELECT 1');
    const redefined = classifier.classify(
      'DEALLOCATE p; PREPARE p AS DELETE FROM t; EXECUTE p',
      session,
    );
    expect(redefined.classes).toContain('delete');
    expect(redefined.whereAbsent).toBe(true);
    const dropped = classifier.classify('PREPARE q AS SELECT 1; DEALLOCATE q; EXECUTE q', session);
    expect(dropped.unclassifiable).toBe(true);
    const all = classifier.classify('DEALLOCATE ALL; EXECUTE p', session);
    expect(all.unclassifiable).toBe(true);
    expect(all.deallocate).toBe('all');
    // Classifying alone changes nothing in the session.
    expect(sorted(session.get('p')!.classes)).toEqual(['read']);
  });

  it('cannot prepare what PostgreSQL cannot prepare', () => {
    const session = new PreparedStatements();
    const result = run(session, 'PREPARE p AS TRUNCATE t');
    expect(result.unclassifiable).toBe(true);
    expect(session.size).toBe(0);
  });

  it('forgets statements on DEALLOCATE, DEALLOCATE ALL and DISCARD ALL', () => {
    const session = new PreparedStatements();
    run(session, 'PREPARE a AS SELECT 1; PREPARE b AS SELECT 2; PREPARE c AS SELECT 3');
    expect(session.size).toBe(3);
    run(session, 'DEALLOCATE PREPARE a');
    expect(session.get('a')).toBeUndefined();
    expect(classifier.classify('EXECUTE a', session).unclassifiable).toBe(true);
    run(session, 'DEALLOCATE ALL');
    expect(session.size).toBe(0);
    run(session, 'PREPARE d AS SELECT 1');
    run(session, 'DISCARD ALL');
    expect(session.size).toBe(0);
  });

  it('after a failed command keeps every meaning a name may have on the server', () => {
    // PostgreSQL keeps a PREPARE that ran even when a later statement of the text failed.
    const session = new PreparedStatements();
    run(session, 'PREPARE p AS SELECT 1');
    run(session, 'DEALLOCATE p; PREPARE p AS DELETE FROM t; SELECT 1/0', false);
    const execute = classifier.classify('EXECUTE p', session);
    expect(sorted(execute.classes)).toEqual(['delete', 'execute', 'read', 'write']);
    expect(execute.whereAbsent).toBe(true);
    run(
      session,
      'PREPARE fresh AS MERGE INTO t USING s ON true WHEN MATCHED THEN DELETE; SELECT 1/0',
      false,
    );
    expect(classifier.classify('EXECUTE fresh', session).classes).toContain('merge');
  });

  it('tracks protocol-level statements (Parse/Close) in the same namespace', () => {
    const session = new PreparedStatements();
    session.define('s1', classifier.classify('DELETE FROM t WHERE id = $1'));
    session.define('', classifier.classify('DROP TABLE t'));
    expect(classifier.classify('EXECUTE s1(1)', session).classes).toContain('delete');
    expect(session.get('')!.classes).toContain('drop_table');
    session.delete('s1');
    expect(classifier.classify('EXECUTE s1(1)', session).unclassifiable).toBe(true);
  });

  it('stays bounded; a forgotten name is unclassifiable, never a read', () => {
    const session = new PreparedStatements(2);
    run(session, 'PREPARE a AS DELETE FROM t');
    run(session, 'PREPARE b AS SELECT 1');
    run(session, 'PREPARE c AS SELECT 1');
    expect(session.size).toBe(2);
    expect(classifier.classify('EXECUTE a', session).unclassifiable).toBe(true);
  });
});
