import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { onSessionExpired } from './api.js';
import { Link, navigate, safeNext, usePath } from './router.js';
import { Onboarding } from './components/onboarding.js';
import { ThemeSwitch } from './components/theme-switch.js';
import { isAdmin, loadSession, logout, type Me } from './session.js';
import { SetupPage, useSetupNeeded } from './pages/setup.js';
import { ResetPasswordPage } from './pages/reset.js';
import { AccountPage } from './pages/account.js';
import { InvitePage, inviteToken } from './pages/invite.js';
import { LoginPage } from './pages/login.js';
import { ChatPage } from './pages/chat.js';
import { SessionsPage } from './pages/sessions.js';
import { FamiliarsPage } from './pages/familiars.js';
import { ProvidersPage } from './pages/providers.js';
import { PeoplePage } from './pages/people.js';
import { KeysPage } from './pages/keys.js';
import { MemoriesPage } from './pages/memories.js';
import { NotesPage } from './pages/notes.js';
import { AuditPage } from './pages/audit.js';
import { ObservabilityPage } from './pages/observability.js';
import { PairingsPage } from './pages/decisions.js';
import { ApprovalsBadge, ApprovalsPage } from './pages/approvals.js';
import { UsagePage } from './pages/usage.js';
import { ChannelFamiliarsPage } from './pages/channel-familiars.js';

interface Route {
  path: string;
  label: string;
  admin?: boolean;
  owner?: boolean;
  view: (me: Me) => JSX.Element;
}

const ROUTES: Route[] = [
  { path: '/chat', label: 'Chat', view: (me) => <ChatPage me={me} /> },
  { path: '/memories', label: 'Memories', view: (me) => <MemoriesPage me={me} /> },
  { path: '/notes', label: 'Notes', admin: true, view: () => <NotesPage /> },
  { path: '/familiars', label: 'Familiars', view: (me) => <FamiliarsPage me={me} /> },
  { path: '/providers', label: 'Providers', admin: true, view: () => <ProvidersPage /> },
  { path: '/people', label: 'People', admin: true, view: (me) => <PeoplePage me={me} /> },
  { path: '/keys', label: 'API keys', view: () => <KeysPage /> },
  { path: '/sessions', label: 'Sessions', view: () => <SessionsPage /> },
  { path: '/account', label: 'Account', view: (me) => <AccountPage me={me} /> },
  { path: '/audit', label: 'Audit log', admin: true, view: () => <AuditPage /> },
  { path: '/observability', label: 'Observability', admin: true, view: () => <ObservabilityPage /> },
  { path: '/pairings', label: 'Pairings', admin: true, view: () => <PairingsPage /> },
  { path: '/usage', label: 'Usage', view: (me) => <UsagePage me={me} /> },
  { path: '/channel-familiars', label: 'Channel familiars', admin: true, view: () => <ChannelFamiliarsPage /> },
  { path: '/approvals', label: 'Approvals', owner: true, view: () => <ApprovalsPage /> },
];

/** The shell: session check, navigation, and the page for the current path. */
export function App(): JSX.Element {
  const path = usePath();
  const [me, setMe] = useState<Me | null | undefined>(undefined);
  const [expired, setExpired] = useState(false);
  const [menuOpen, setMenuOpen] = useState(false);

  // An expired or revoked session: sign in again, then come back to the same page.
  useEffect(
    () =>
      onSessionExpired(() => {
        const here = window.location.pathname + window.location.search;
        setExpired(true);
        setMe(null);
        if (window.location.pathname !== '/login') navigate(`/login?next=${encodeURIComponent(here)}`, true);
      }),
    [],
  );
  useEffect(() => setMenuOpen(false), [path]);

  useEffect(() => {
    if (path === '/setup' || me) return;
    void loadSession().then(setMe);
  }, [path === '/setup']);

  // Before setup, the sign-in page says that setup is pending and where the one-time link is (AUTH-1).
  const setupNeeded = useSetupNeeded(path === '/setup' || me === null);

  if (path === '/setup')
    return (
      <main id="main" class="narrow">
        <SetupPage needed={setupNeeded} onDone={(m) => (setMe(m), navigate(m ? '/providers' : '/login', true))} />
      </main>
    );
  if (path === '/reset-password')
    return (
      <main id="main" class="narrow">
        <ResetPasswordPage onDone={() => (setMe(null), navigate('/login', true))} />
      </main>
    );
  const invite = inviteToken();
  if (invite && me !== undefined && !me)
    return (
      <main id="main" class="narrow">
        <InvitePage token={invite} onDone={() => navigate('/login', true)} />
      </main>
    );
  if (me === undefined)
    return (
      <main id="main" class="narrow" aria-busy="true">
        <p>Loading…</p>
      </main>
    );
  if (me === null)
    return (
      <main id="main" class="narrow">
        <LoginPage
          setupPending={setupNeeded === true}
          expired={expired}
          onLogin={(m) => {
            setExpired(false);
            setMe(m);
            const next = safeNext(new URLSearchParams(window.location.search).get('next'));
            navigate(next ?? (path === '/login' || path === '/' ? '/chat' : window.location.pathname + window.location.search), true);
          }}
        />
      </main>
    );

  const visible = ROUTES.filter((r) => (!r.admin || isAdmin(me)) && (!r.owner || me.role === 'owner'));
  // `/chat/<conversation id>` is the chat page with that conversation open (a deep link).
  const route = visible.find((r) => r.path === path || (r.path === '/chat' && path.startsWith('/chat/'))) ?? visible[0]!;
  if (route.path !== path && !(route.path === '/chat' && path.startsWith('/chat/'))) window.history.replaceState(null, '', route.path);
  const full = route.path === '/chat';

  const signOut = async () => {
    await logout().catch(() => undefined);
    setMe(null);
    navigate('/login', true);
  };

  return (
    <div class="shell">
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <button
          type="button"
          class="secondary menu-toggle"
          aria-expanded={menuOpen ? 'true' : 'false'}
          aria-controls="main-nav"
          onClick={() => setMenuOpen(!menuOpen)}
        >
          Menu
        </button>
        <span class="brand">Hearth</span>
        <span class="who">
          Signed in as <strong>{me.name}</strong> ({me.role})
        </span>
        <ThemeSwitch />
        <button type="button" class="secondary" onClick={signOut}>
          Log out
        </button>
      </header>
      <nav aria-label="Main" class={menuOpen ? 'side open' : 'side'} id="main-nav" onClick={() => setMenuOpen(false)}>
        <ul>
          {visible.map((r) => (
            <li key={r.path}>
              <Link href={r.path} current={r.path === route.path}>
                {r.label}
                {r.path === '/approvals' && <ApprovalsBadge />}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      <main id="main" class={full ? 'content full' : 'content'}>
        {!full && isAdmin(me) && <Onboarding path={path} />}
        {route.view(me)}
      </main>
    </div>
  );
}
