import { useEffect, useId, useRef, useState } from 'react';
import { ApiError, api } from '../api.ts';
import type { Ticket } from '../types.ts';

type Action = 'approve' | 'deny' | 'modify';

/**
 * Approve, deny or modify. Approve is one click; deny and modify need a rationale (the field is
 * focused and the reason said when it is missing). Someone who may not decide sees why.
 */
export function DecidePanel({
  ticket,
  onDecided,
}: {
  ticket: Ticket;
  onDecided: (t: Ticket) => void;
}) {
  const [rationale, setRationale] = useState('');
  const [modifying, setModifying] = useState(false);
  const [modified, setModified] = useState(ticket.command);
  const [busy, setBusy] = useState<Action | undefined>();
  const [error, setError] = useState<string | undefined>();
  const rationaleRef = useRef<HTMLTextAreaElement>(null);
  const modifyRef = useRef<HTMLTextAreaElement>(null);
  const rationaleId = useId();
  const modifyId = useId();
  const errorId = useId();

  useEffect(() => {
    if (modifying) modifyRef.current?.focus();
  }, [modifying]);

  if (ticket.status !== 'pending') return null;
  const { canDecide, reason } = ticket.viewer;

  async function decide(action: Action) {
    if ((action === 'deny' || action === 'modify') && !rationale.trim()) {
      setError(`A rationale is required to ${action === 'deny' ? 'deny' : 'modify'} a command.`);
      rationaleRef.current?.focus();
      return;
    }
    if (action === 'modify' && !modified.trim()) {
      setError('Enter the command to run instead.');
      modifyRef.current?.focus();
      return;
    }
    setBusy(action);
    setError(undefined);
    try {
      const body: { rationale?: string; command?: string } = {};
      if (rationale.trim()) body.rationale = rationale.trim();
      if (action === 'modify') body.command = modified;
      onDecided(
        await api<Ticket>(`/api/approvals/${encodeURIComponent(ticket.id)}/${action}`, {
          method: 'POST',
          body,
        }),
      );
    } catch (err) {
      setError(err instanceof ApiError ? err.message : String(err));
    } finally {
      setBusy(undefined);
    }
  }

  return (
    <section className="decide" aria-label="Decision">
      {!canDecide && (
        <p className="notice notice-blocked" role="note">
          <strong>You cannot decide this ticket:</strong> {reason}
        </p>
      )}
      {canDecide && modifying && (
        <div className="field">
          <label htmlFor={modifyId}>Command to run instead</label>
          <textarea
            id={modifyId}
            ref={modifyRef}
            className="mono"
            rows={Math.min(12, Math.max(3, modified.split('\n').length + 1))}
            value={modified}
            onChange={(e) => setModified(e.target.value)}
            disabled={!canDecide}
            spellCheck={false}
          />
        </div>
      )}
      {canDecide && (
        <div className="field">
          <label htmlFor={rationaleId}>
            Rationale <span className="muted">(required to deny or modify)</span>
          </label>
          <textarea
            id={rationaleId}
            ref={rationaleRef}
            rows={2}
            value={rationale}
            onChange={(e) => setRationale(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === 'Enter' && (e.ctrlKey || e.metaKey))
                void decide(modifying ? 'modify' : 'deny');
            }}
            aria-describedby={error ? errorId : undefined}
            aria-invalid={error?.startsWith('A rationale') ? true : undefined}
            placeholder="Why — the requester sees this"
          />
        </div>
      )}
      {error && (
        <p id={errorId} className="notice notice-error" role="alert">
          {error}
        </p>
      )}
      <div className="actions">
        {modifying ? (
          <>
            <button
              type="button"
              className="btn btn-approve"
              disabled={!canDecide || busy !== undefined}
              onClick={() => decide('modify')}
            >
              {busy === 'modify' ? 'Saving…' : 'Approve modified command'}
            </button>
            <button
              type="button"
              className="btn"
              disabled={busy !== undefined}
              onClick={() => setModifying(false)}
            >
              Cancel
            </button>
          </>
        ) : (
          <>
            <button
              type="button"
              className="btn btn-approve"
              disabled={!canDecide || busy !== undefined}
              onClick={() => decide('approve')}
            >
              {busy === 'approve' ? 'Approving…' : 'Approve'}
            </button>
            <button
              type="button"
              className="btn btn-deny"
              disabled={!canDecide || busy !== undefined}
              onClick={() => decide('deny')}
            >
              {busy === 'deny' ? 'Denying…' : 'Deny'}
            </button>
            {ticket.scope === 'command' && (
              <button
                type="button"
                className="btn"
                disabled={!canDecide || busy !== undefined}
                onClick={() => setModifying(true)}
              >
                Modify…
              </button>
            )}
          </>
        )}
        {ticket.approvalsRequired > 1 && (
          <span className="muted">
            {ticket.decisions.filter((d) => d.action === 'approve').length} of{' '}
            {ticket.approvalsRequired} approvals
          </span>
        )}
      </div>
    </section>
  );
}
