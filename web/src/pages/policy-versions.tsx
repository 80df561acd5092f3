import { type FormEvent, useCallback, useEffect, useId, useState } from 'react';
import { ApiError, api } from '../api.ts';
import { formatTime } from '../time.ts';

/** A central policy version as `/api/policy…` returns it (docs/policy.md, "Central policy"). */
interface PolicyVersion {
  version: number;
  createdAt: string;
  author: { issuer: string; subject: string; name?: string };
  reason?: string;
  ticketId?: string;
  digest: string;
  document?: string;
}

interface Issue {
  path: string;
  line?: number;
  message: string;
}

type Outcome =
  | { kind: 'applied'; version: number; changed: boolean }
  | { kind: 'held'; ticketId: string }
  | { kind: 'invalid'; message: string; issues: Issue[] }
  | { kind: 'error'; message: string };

/**
 * Central policy: the version in force and its history, and a form that applies a new document
 * (a config file or an excerpt) or rolls back to an earlier one, through the same API as
 * `gatehouse policy apply | rollback`. A change that needs review comes back as a ticket.
 */
export function PolicyVersions() {
  const [versions, setVersions] = useState<PolicyVersion[]>();
  const [shown, setShown] = useState<PolicyVersion>();
  const [document, setDocument] = useState('');
  const [reason, setReason] = useState('');
  const [outcome, setOutcome] = useState<Outcome>();
  const [loadError, setLoadError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const id = { document: useId(), reason: useId() };

  const load = useCallback(async () => {
    try {
      const list = await api<PolicyVersion[]>('/api/policy/versions');
      setVersions(list);
      const newest = list[0];
      setShown(newest && (await api<PolicyVersion>(`/api/policy/versions/${newest.version}`)));
      setLoadError(undefined);
    } catch (err) {
      setLoadError(err instanceof ApiError ? err.message : String(err));
    }
  }, []);
  useEffect(() => void load(), [load]);

  async function submit(path: string, body: Record<string, unknown>) {
    setBusy(true);
    try {
      const answer = await api<{
        changed?: boolean;
        version?: PolicyVersion;
        ticket?: { id: string };
      }>(path, {
        method: 'POST',
        body: { ...body, ...(reason.trim() && { reason: reason.trim() }) },
      });
      setOutcome(
        answer.ticket
          ? { kind: 'held', ticketId: answer.ticket.id }
          : {
              kind: 'applied',
              version: answer.version!.version,
              changed: answer.changed !== false,
            },
      );
      await load();
    } catch (err) {
      const issues = (err instanceof ApiError && (err.body?.['issues'] as Issue[])) || undefined;
      const message = err instanceof Error ? err.message : String(err);
      setOutcome(issues ? { kind: 'invalid', message, issues } : { kind: 'error', message });
    } finally {
      setBusy(false);
    }
  }

  const apply = (event: FormEvent) => {
    event.preventDefault();
    void submit('/api/policy', { document });
  };

  return (
    <div className="page">
      <div className="page-head">
        <h1>Policy versions</h1>
        <p className="muted">
          Rules and masking kept in the shared store: every replica enforces the newest version at
          each session's next command.
        </p>
      </div>
      {loadError && (
        <p className="error" role="alert">
          {loadError}
        </p>
      )}
      <div className="tester">
        <form className="tester-form" onSubmit={apply} aria-label="Apply a policy version">
          <div className="field">
            <label htmlFor={id.document}>
              Document <span className="muted">(connectors: name, default, rules, masking)</span>
            </label>
            <textarea
              id={id.document}
              className="mono"
              rows={14}
              value={document}
              onChange={(e) => setDocument(e.target.value)}
              spellCheck={false}
              required
            />
          </div>
          <div className="field">
            <label htmlFor={id.reason}>Why</label>
            <input id={id.reason} value={reason} onChange={(e) => setReason(e.target.value)} />
          </div>
          <div className="actions">
            <button type="submit" className="btn btn-primary" disabled={busy}>
              {busy ? 'Applying…' : 'Apply'}
            </button>
            {shown?.document && (
              <button type="button" className="btn" onClick={() => setDocument(shown.document!)}>
                Edit version {shown.version}
              </button>
            )}
          </div>
          <OutcomeView outcome={outcome} />
        </form>
        <section aria-label="History">
          {versions && versions.length === 0 && (
            <p className="muted">No central version yet: the YAML config is in force.</p>
          )}
          {versions && versions.length > 0 && (
            <table className="table">
              <thead>
                <tr>
                  <th scope="col">Version</th>
                  <th scope="col">When</th>
                  <th scope="col">Who</th>
                  <th scope="col">Why</th>
                  <th scope="col" />
                </tr>
              </thead>
              <tbody>
                {versions.map((v) => (
                  <tr key={v.version}>
                    <td>
                      <button
                        type="button"
                        className="btn"
                        aria-pressed={shown?.version === v.version}
                        onClick={async () =>
                          setShown(await api<PolicyVersion>(`/api/policy/versions/${v.version}`))
                        }
                      >
                        {v.version}
                        {v === versions[0] ? ' (in force)' : ''}
                      </button>
                    </td>
                    <td>{formatTime(v.createdAt)}</td>
                    <td>{v.author.name ?? v.author.subject}</td>
                    <td>{v.reason ?? ''}</td>
                    <td>
                      {v !== versions[0] && (
                        <button
                          type="button"
                          className="btn"
                          disabled={busy}
                          onClick={() =>
                            void submit('/api/policy/rollback', { version: v.version })
                          }
                        >
                          Roll back to {v.version}
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {shown?.document && (
            <figure aria-label={`Version ${shown.version}`}>
              <pre className="mono">{shown.document}</pre>
            </figure>
          )}
        </section>
      </div>
    </div>
  );
}

function OutcomeView({ outcome }: { outcome: Outcome | undefined }) {
  if (!outcome) return null;
  switch (outcome.kind) {
    case 'applied':
      return (
        <p role="status">
          {outcome.changed
            ? `Version ${outcome.version} is in force.`
            : `Version ${outcome.version} already says this: nothing changed.`}
        </p>
      );
    case 'held':
      return (
        <p role="status">
          Held for review: <a href={`#/approvals/${outcome.ticketId}`}>{outcome.ticketId}</a>. Apply
          the same document again once it is approved.
        </p>
      );
    case 'invalid':
      return (
        <div role="alert" className="error">
          <p>{outcome.message}</p>
          <ul>
            {outcome.issues.map((issue) => (
              <li key={`${issue.path}:${issue.line}:${issue.message}`}>
                {issue.line !== undefined ? `line ${issue.line}: ` : ''}
                <code>{issue.path}</code> {issue.message}
              </li>
            ))}
          </ul>
        </div>
      );
    case 'error':
      return (
        <p role="alert" className="error">
          {outcome.message}
        </p>
      );
  }
}
