import { useCallback, useEffect, useState } from 'react';
import { api, onSignedOut, setCsrfToken } from './api.ts';
import { Inbox } from './pages/inbox.tsx';
import { PolicyTester } from './pages/policy-tester.tsx';
import { PolicyVersions } from './pages/policy-versions.tsx';
import { SessionDetail } from './pages/session-detail.tsx';
import { Sessions } from './pages/sessions.tsx';
import { SignIn } from './pages/sign-in.tsx';
import { navigate, useRoute } from './router.ts';
import type { ConsoleSession } from './types.ts';

const NAV = [
  { href: '#/', label: 'Inbox', section: 'approvals' },
  { href: '#/sessions', label: 'Sessions', section: 'sessions' },
  { href: '#/policy', label: 'Policy tester', section: 'policy' },
  { href: '#/policy-versions', label: 'Policy versions', section: 'policy-versions' },
];

/** The console shell: who is signed in, navigation, and the page for the current `#/…` route. */
export function App() {
  const route = useRoute();
  const [session, setSession] = useState<ConsoleSession>();
  const [loadError, setLoadError] = useState<string>();

  const refresh = useCallback(async () => {
    try {
      const next = await api<ConsoleSession>('/console/session');
      setCsrfToken(next.csrf ?? '');
      setSession(next);
      setLoadError(undefined);
    } catch (err) {
      setLoadError(err instanceof Error ? err.message : String(err));
    }
  }, []);

  useEffect(() => {
    void refresh();
    return onSignedOut(() => void refresh());
  }, [refresh]);

  if (loadError) {
    return (
      <main className="signin">
        <p className="notice notice-error" role="alert">
          The console could not reach the gateway: {loadError}
        </p>
      </main>
    );
  }
  if (!session) return <main className="signin" aria-busy="true" />;
  if (!session.signedIn || !session.identity) {
    const error = route.path[0] === 'signin' ? (route.query.get('error') ?? undefined) : undefined;
    return (
      <SignIn
        session={session}
        error={error}
        onSignedIn={() => {
          if (route.path[0] === 'signin') navigate('/');
          void refresh();
        }}
      />
    );
  }

  const me = session.identity;
  const section =
    route.path[0] === 'signin' || route.path.length === 0 ? 'approvals' : route.path[0];
  async function signOut() {
    await api('/console/logout', { method: 'POST' }).catch(() => undefined);
    void refresh();
  }

  return (
    <>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <a className="brand" href="#/">
          <span className="brand-mark" aria-hidden="true">
            G
          </span>{' '}
          Gatehouse
        </a>
        <nav aria-label="Main">
          <ul>
            {NAV.map((item) => (
              <li key={item.section}>
                <a href={item.href} aria-current={section === item.section ? 'page' : undefined}>
                  {item.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div className="me">
          <span className="me-name" title={`${me.subject} · ${me.issuer}`}>
            {me.name ?? me.subject}
          </span>
          <span className="me-groups">{me.groups.join(', ') || 'no groups'}</span>
          <button type="button" className="btn btn-ghost" onClick={signOut}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        <Page section={section} route={route} me={me} onSignedOut={() => void refresh()} />
      </main>
    </>
  );
}

function Page({
  section,
  route,
  me,
  onSignedOut: signedOut,
}: {
  section: string | undefined;
  route: ReturnType<typeof useRoute>;
  me: NonNullable<ConsoleSession['identity']>;
  onSignedOut: () => void;
}) {
  if (section === 'sessions') {
    return route.path[1] ? <SessionDetail id={route.path[1]} /> : <Sessions route={route} />;
  }
  if (section === 'policy') return <PolicyTester me={me} />;
  if (section === 'policy-versions') return <PolicyVersions />;
  if (section === 'approvals') return <Inbox selectedId={route.path[1]} onSignedOut={signedOut} />;
  return (
    <div className="page">
      <h1>Not found</h1>
      <p>
        There is no page here. <a href="#/">Go to the inbox</a>.
      </p>
    </div>
  );
}
