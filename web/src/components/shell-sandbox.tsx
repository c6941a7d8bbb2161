import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, messageOf } from '../api.js';
import { Notice, useResource } from '../ui.js';

interface SandboxSettings {
  workspaceRoot: string;
  workspaces: Array<{ name: string; path: string; writable: boolean }>;
  network: string[];
  environmentWorkspaces: Array<{ name: string; writable: boolean }>;
}

/** `name=path` or `name=path:rw`, one a line. */
const workspaceLines = (list: SandboxSettings['workspaces']) => list.map((w) => `${w.name}=${w.path}${w.writable ? ':rw' : ''}`).join('\n');

function parseWorkspaceLines(text: string): { list: SandboxSettings['workspaces']; problem: string | null } {
  const list: SandboxSettings['workspaces'] = [];
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (!line) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) return { list, problem: `Line ${i + 1}: write NAME=folder (add :rw to let it write)` };
    let path = line.slice(eq + 1).trim();
    const writable = /:rw$/.test(path);
    path = path.replace(/:(rw|ro)$/, '');
    list.push({ name: line.slice(0, eq).trim(), path, writable });
  }
  return { list, problem: null };
}

/**
 * The familiar's shell sandbox (EXEC-1): workspaces under the workspace root and the host:port
 * destinations its commands may reach through Hearth's proxy. Saved apart from the familiar; the
 * server checks every folder (no "..", no symbolic link out of the root) and says why it refuses.
 */
export function ShellSandboxForm(props: { familiarId: string }): JSX.Element | null {
  const path = `/api/tools/shell/familiars/${encodeURIComponent(props.familiarId)}/sandbox`;
  const res = useResource<SandboxSettings>(path);
  const [workspaces, setWorkspaces] = useState('');
  const [network, setNetwork] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [info, setInfo] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    if (!res.data) return;
    setWorkspaces(workspaceLines(res.data.workspaces));
    setNetwork(res.data.network.join('\n'));
  }, [res.data]);
  if (res.missing || (!res.data && res.error)) return null;
  const parsed = parseWorkspaceLines(workspaces);
  const save = async (e: Event) => {
    e.preventDefault();
    if (parsed.problem) return setError(parsed.problem);
    setBusy(true);
    try {
      const destinations = network
        .split(/[\n,]/)
        .map((s) => s.trim())
        .filter(Boolean);
      await api('PUT', path, { workspaces: parsed.list, network: destinations });
      setError(null);
      setInfo('Saved the shell sandbox settings.');
      res.reload();
    } catch (err) {
      setInfo(null);
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  };
  const id = `sandbox-${props.familiarId}`;
  const fromEnv = res.data?.environmentWorkspaces ?? [];
  return (
    <form onSubmit={save} class="card editor" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>Shell sandbox</h2>
      <p class="meta">
        Used only when the shell is on for this familiar. Folders appear under the sandbox's <code>/work</code>; the network stays off
        unless destinations are listed.
      </p>
      <div class="field">
        <label for={`${id}-ws`}>Workspaces (one a line: NAME=folder, add :rw to allow writing)</label>
        <textarea
          id={`${id}-ws`}
          rows={3}
          value={workspaces}
          placeholder="site=my-site:rw"
          aria-describedby={`${id}-ws-help`}
          aria-invalid={parsed.problem ? 'true' : undefined}
          onInput={(e) => setWorkspaces((e.currentTarget as HTMLTextAreaElement).value)}
        />
        <span id={`${id}-ws-help`} class="meta">
          Folders inside {res.data?.workspaceRoot ?? 'the workspace root'} only.
          {fromEnv.length > 0 && ` Set by the operator: ${fromEnv.map((w) => w.name + (w.writable ? ' (rw)' : '')).join(', ')}.`}
        </span>
      </div>
      <div class="field">
        <label for={`${id}-net`}>Network destinations (host:port, one a line)</label>
        <textarea
          id={`${id}-net`}
          rows={3}
          value={network}
          placeholder="api.github.com:443"
          aria-describedby={`${id}-net-help`}
          onInput={(e) => setNetwork((e.currentTarget as HTMLTextAreaElement).value)}
        />
        <span id={`${id}-net-help`} class="meta">
          Reached through Hearth's proxy (the sandbox's https_proxy and http_proxy); everything else is refused and audited. A name that
          leads to a private or loopback address is refused: list that address itself to allow it.
        </span>
      </div>
      <Notice error={error ?? parsed.problem} info={info} />
      <div class="actions">
        <button type="submit" disabled={busy || parsed.problem !== null}>
          Save sandbox
        </button>
      </div>
    </form>
  );
}
