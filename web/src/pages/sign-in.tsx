import { type FormEvent, useId, useState } from 'react';
import { ApiError, api } from '../api.ts';
import type { ConsoleSession } from '../types.ts';

/** Sign in with the configured OIDC issuer or, in the demo, as anyone through the dev issuer. */
export function SignIn({
  session,
  error,
  onSignedIn,
}: {
  session: ConsoleSession;
  error?: string;
  onSignedIn: () => void;
}) {
  const [subject, setSubject] = useState('alice');
  const [name, setName] = useState('Alice (DBA)');
  const [groups, setGroups] = useState('dba');
  const [failure, setFailure] = useState<string | undefined>(error ?? session.error);
  const [busy, setBusy] = useState(false);
  const id = { subject: useId(), name: useId(), groups: useId(), error: useId() };
  const returnTo = `/${window.location.hash.startsWith('#/signin') ? '' : window.location.hash}`;
  const insecure =
    window.location.protocol === 'http:' &&
    !/^(localhost|127\.|\[::1\])/.test(window.location.hostname);

  async function devSignIn(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    try {
      await api('/console/dev-login', {
        method: 'POST',
        body: {
          subject: subject.trim(),
          name: name.trim() || undefined,
          groups: groups
            .split(',')
            .map((g) => g.trim())
            .filter(Boolean),
        },
      });
      onSignedIn();
    } catch (err) {
      setFailure(err instanceof ApiError ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <main className="signin">
      <div className="signin-card">
        <div className="brand brand-large" aria-hidden="true">
          <span className="brand-mark">G</span> Gatehouse
        </div>
        <h1>Sign in to review</h1>
        {failure && (
          <p id={id.error} className="notice notice-error" role="alert">
            {failure}
          </p>
        )}
        {insecure && (
          <p className="notice notice-blocked">
            This page is served over plain http: session cookies are only kept on https (or on this
            machine's loopback address).
          </p>
        )}
        {session.signIn.oidc && (
          <a
            className="btn btn-primary btn-block"
            href={`/console/login?return=${encodeURIComponent(returnTo)}`}
          >
            Sign in with {session.signIn.oidc}
          </a>
        )}
        {session.signIn.dev && (
          <form onSubmit={devSignIn} className="dev-signin" aria-label="Dev sign-in">
            <p className="muted">
              Demo sign-in through the <strong>dev issuer</strong>: pick who you are. Reviewers of
              the demo's rules are in group <code>dba</code>.
            </p>
            <div className="field">
              <label htmlFor={id.subject}>Subject</label>
              <input
                id={id.subject}
                value={subject}
                onChange={(e) => setSubject(e.target.value)}
                required
                autoComplete="username"
              />
            </div>
            <div className="field">
              <label htmlFor={id.name}>Display name</label>
              <input id={id.name} value={name} onChange={(e) => setName(e.target.value)} />
            </div>
            <div className="field">
              <label htmlFor={id.groups}>
                Groups <span className="muted">(comma separated)</span>
              </label>
              <input id={id.groups} value={groups} onChange={(e) => setGroups(e.target.value)} />
            </div>
            <button type="submit" className="btn btn-primary btn-block" disabled={busy}>
              {busy ? 'Signing in…' : 'Sign in with the dev issuer'}
            </button>
          </form>
        )}
        {!session.signIn.oidc && !session.signIn.dev && (
          <p className="notice notice-blocked">
            Sign-in is not configured. Add a <code>server.console</code> section (OIDC issuer and
            client id) to the gateway's config.
          </p>
        )}
      </div>
    </main>
  );
}
