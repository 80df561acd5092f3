import { type FormEvent, useEffect, useId, useState } from 'react';
import { ApiError, api } from '../api.ts';
import { Classes, Status } from '../components/badges.tsx';
import { CommandView } from '../components/command-view.tsx';
import { formatSpan } from '../time.ts';
import type { Me, PolicyConnector, PolicyResult } from '../types.ts';

/** Try a command against a connector's rules as any identity (same code as `gatehouse policy test`). */
export function PolicyTester({ me }: { me: Me }) {
  const [connectors, setConnectors] = useState<PolicyConnector[]>([]);
  const [connector, setConnector] = useState('');
  const [subject, setSubject] = useState('agent-1');
  const [groups, setGroups] = useState('agents');
  const [agent, setAgent] = useState(true);
  const [database, setDatabase] = useState('');
  const [command, setCommand] = useState('DROP TABLE customers;');
  const [result, setResult] = useState<PolicyResult>();
  const [tested, setTested] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const id = {
    connector: useId(),
    subject: useId(),
    groups: useId(),
    agent: useId(),
    database: useId(),
    command: useId(),
  };

  useEffect(() => {
    api<PolicyConnector[]>('/api/policy/connectors').then(
      (list) => {
        setConnectors(list);
        setConnector((current) => current || list.find((c) => c.testable)?.name || '');
      },
      (err: unknown) => setError(err instanceof ApiError ? err.message : String(err)),
    );
  }, []);

  async function test(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const body = {
        connector,
        subject: subject.trim(),
        groups: groups
          .split(',')
          .map((g) => g.trim())
          .filter(Boolean),
        agent,
        command,
        ...(database.trim() ? { database: database.trim() } : {}),
      };
      setResult(await api<PolicyResult>('/api/policy/test', { method: 'POST', body }));
      setTested(command);
    } catch (err) {
      setResult(undefined);
      setError(err instanceof ApiError ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  }

  const review = result?.decision.review;
  return (
    <div className="page">
      <div className="page-head">
        <h1>Policy tester</h1>
        <p className="muted">
          Nothing runs: the command is classified with the gateway's parser and evaluated against
          the connector's rules.
        </p>
      </div>
      <div className="tester">
        <form className="tester-form" onSubmit={test} aria-label="Command to test">
          <div className="field">
            <label htmlFor={id.connector}>Connector</label>
            <select
              id={id.connector}
              value={connector}
              onChange={(e) => setConnector(e.target.value)}
              required
            >
              {connectors.map((c) => (
                <option key={c.name} value={c.name} disabled={!c.testable}>
                  {c.name} ({c.type}
                  {c.testable ? '' : ', not testable yet'})
                </option>
              ))}
            </select>
          </div>
          <div className="field-row">
            <div className="field">
              <label htmlFor={id.subject}>Subject</label>
              <input
                id={id.subject}
                value={subject}
                onChange={(e) => setSubject(e.target.value)}
                required
              />
            </div>
            <div className="field">
              <label htmlFor={id.groups}>
                Groups <span className="muted">(comma separated)</span>
              </label>
              <input id={id.groups} value={groups} onChange={(e) => setGroups(e.target.value)} />
            </div>
          </div>
          <div className="field-row">
            <div className="field field-check">
              <input
                id={id.agent}
                type="checkbox"
                checked={agent}
                onChange={(e) => setAgent(e.target.checked)}
              />
              <label htmlFor={id.agent}>Agent (service principal, CI job, LLM agent)</label>
            </div>
            <div className="field">
              <label htmlFor={id.database}>
                Database <span className="muted">(default: the target's)</span>
              </label>
              <input
                id={id.database}
                value={database}
                onChange={(e) => setDatabase(e.target.value)}
              />
            </div>
          </div>
          <div className="field">
            <label htmlFor={id.command}>Command</label>
            <textarea
              id={id.command}
              className="mono"
              rows={6}
              value={command}
              onChange={(e) => setCommand(e.target.value)}
              spellCheck={false}
              required
            />
          </div>
          <div className="actions">
            <button type="submit" className="btn btn-primary" disabled={busy || !connector}>
              {busy ? 'Testing…' : 'Test'}
            </button>
            <button
              type="button"
              className="btn"
              onClick={() => {
                setSubject(me.subject);
                setGroups(me.groups.join(', '));
                setAgent(me.agent);
              }}
            >
              Use my identity
            </button>
          </div>
        </form>
        <section className="tester-result" aria-live="polite" aria-label="Result">
          {error && (
            <p className="notice notice-error" role="alert">
              {error}
            </p>
          )}
          {!result && !error && (
            <p className="empty">The decision and the rule that produced it appear here.</p>
          )}
          {result && (
            <>
              <div className={`verdict verdict-${result.decision.action}`}>
                <Status status={result.decision.action} />
                <div>
                  <div className="verdict-rule">
                    {result.decision.rule ? (
                      <>
                        rule <span className="mono">{result.decision.rule}</span>
                      </>
                    ) : (
                      <>connector default ({result.decision.default})</>
                    )}
                  </div>
                  <div>{result.decision.reason}</div>
                </div>
              </div>
              <CommandView text={tested} />
              <dl className="facts">
                <dt>Classes</dt>
                <dd>
                  <Classes
                    classes={result.classes}
                    whereAbsent={result.attributes['where'] === 'absent'}
                  />
                  {result.unclassifiable && (
                    <span className="chip chip-danger">unclassifiable: every rule applies</span>
                  )}
                </dd>
                {result.attributes['where'] === 'absent' && (
                  <>
                    <dt>WHERE</dt>
                    <dd>absent (a DELETE/UPDATE has no WHERE)</dd>
                  </>
                )}
                {review && (
                  <>
                    <dt>Review</dt>
                    <dd>
                      {review.approvers ? `approvers ${review.approvers.join(', ')} · ` : ''}
                      {review.approvals} approval{review.approvals === 1 ? '' : 's'}
                      {review.timeout !== undefined && ` · timeout ${formatSpan(review.timeout)}`}
                      {review.grant !== undefined && ` · grant ${formatSpan(review.grant)}`}
                    </dd>
                  </>
                )}
                {result.database && (
                  <>
                    <dt>Database</dt>
                    <dd className="mono">{result.database}</dd>
                  </>
                )}
              </dl>
              <h2>Rules, in file order</h2>
              <ol className="rules">
                {result.rules.map((rule) => (
                  <li key={rule.rule} className={rule.matched ? 'rule rule-matched' : 'rule'}>
                    <span className={rule.matched ? 'rule-mark rule-mark-on' : 'rule-mark'}>
                      {rule.matched ? 'matched' : 'skipped'}
                    </span>{' '}
                    <span className="mono">{rule.rule}</span>{' '}
                    <span className="muted">({rule.action})</span>
                    {!rule.matched && rule.unmet.length > 0 && (
                      <div className="muted rule-unmet">{rule.unmet.join('; ')}</div>
                    )}
                  </li>
                ))}
              </ol>
            </>
          )}
        </section>
      </div>
    </div>
  );
}
