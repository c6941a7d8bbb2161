import { chmodSync, mkdirSync, mkdtempSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newConversation, startChatWorld, type ChatWorld } from '../companions/helpers.js';
import { ConfigError } from '../../src/config/index.js';
import { checkRootedWorkspaces, parseWorkspaces, secretFilePaths, WorkspaceRefusedError } from '../../src/tools/shell/workspaces.js';

describe('#16 EXEC-1 dashboard workspaces: only folders inside the workspace root', () => {
  let dataDir = '';
  let root = '';
  let outside = '';
  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'hearth-fsb-data-'));
    writeFileSync(join(dataDir, 'hearth.db'), 'database');
    root = join(dataDir, 'workspaces');
    mkdirSync(join(root, 'site', 'inner'), { recursive: true });
    outside = mkdtempSync(join(tmpdir(), 'hearth-fsb-outside-'));
    symlinkSync(dataDir, join(root, 'to-data'));
    symlinkSync(outside, join(root, 'to-outside'));
    symlinkSync('/etc', join(root, 'site', 'etc'));
    writeFileSync(join(root, 'file.txt'), 'not a folder');
  });
  afterAll(() => {
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(outside, { recursive: true, force: true });
  });

  // as Hearth's own user: reachability is its own test below
  const self = { uid: 0, gid: 0, groups: [] };
  const check = (path: string, opts: { root?: string } = {}) =>
    checkRootedWorkspaces([{ name: 'w', path }], { root: opts.root ?? root, dataDir, user: self });

  it('accepts a folder under the root, relative or absolute, with its real path', () => {
    expect(check('site')[0]).toMatchObject({ name: 'w', hostPath: join(root, 'site'), writable: false });
    expect(check(join(root, 'site', 'inner'))[0]!.hostPath).toBe(join(root, 'site', 'inner'));
  });

  it('refuses traversal, symlinks out of the root, absolute paths elsewhere, files, missing folders and NUL, each with its reason', () => {
    const refusals: Array<[string, RegExp]> = [
      ['../', /may not use "\.\."/],
      ['site/../../hearth.db', /may not use "\.\."/],
      ['to-data', /outside the workspace root/],
      ['to-outside', /outside the workspace root/],
      ['site/etc', /outside the workspace root/],
      ['/etc', /not an existing folder inside|outside the workspace root/],
      [outside, /outside the workspace root/],
      ['file.txt', /not an existing folder/],
      ['missing', /not an existing folder/],
      ['site\0', /folder path/],
    ];
    for (const [path, reason] of refusals) {
      let error: unknown;
      try {
        check(path);
      } catch (err) {
        error = err;
      }
      expect(error, path).toBeInstanceOf(WorkspaceRefusedError);
      expect((error as WorkspaceRefusedError).code).toBe('WORKSPACE_REFUSED');
      expect((error as Error).message, path).toMatch(reason);
    }
  });

  it('refuses a workspace root that is the data directory, holds it, is / or is Hearth itself', () => {
    for (const bad of [dataDir, join(dataDir, '..'), '/', process.cwd(), join(process.cwd(), 'src')])
      expect(() => check('x', { root: bad }), bad).toThrow(/workspace root/);
    expect(() => check('site', { root: join(dataDir, 'nope') })).toThrow(/not an existing folder/);
  });

  it('refuses a folder the sandbox’s user could not reach (bubblewrap binds it as that user), naming the folder in the way', () => {
    chmodSync(dataDir, 0o700);
    chmodSync(join(root, 'site'), 0o755);
    const nobody = { uid: 65534, gid: 65534, groups: [] };
    expect(() => checkRootedWorkspaces([{ name: 'w', path: 'site' }], { root, dataDir, user: nobody })).toThrow(
      `cannot pass through ${dataDir}`,
    );
    chmodSync(dataDir, 0o711);
    expect(checkRootedWorkspaces([{ name: 'w', path: 'site' }], { root, dataDir, user: nobody })).toHaveLength(1);
    expect(() => checkRootedWorkspaces([{ name: 'w', path: 'site', writable: true }], { root, dataDir, user: nobody })).toThrow(
      /cannot read and write/,
    );
    chmodSync(dataDir, 0o700);
  });

  it('refuses a folder holding a secret file Hearth reads (HEARTH_*_FILE, e.g. a master key in /run/secrets), in the dashboard and in the environment', () => {
    const secrets = join(root, 'site', 'inner');
    const keyFile = join(secrets, 'master.key');
    writeFileSync(keyFile, 'k'.repeat(64));
    try {
      const extra = secretFilePaths({ HEARTH_MASTER_KEY_FILE: keyFile, HEARTH_OTHER: '/x', HEARTH_REL_FILE: 'relative' });
      expect(extra).toEqual([keyFile]);
      expect(() => checkRootedWorkspaces([{ name: 'w', path: 'site' }], { root, dataDir, extra, user: self })).toThrow(/master key/);
      expect(() => parseWorkspaces(`w=${join(root, 'site')}`, { dataDir: outside, extra })).toThrow(ConfigError);
      expect(checkRootedWorkspaces([{ name: 'w', path: 'site' }], { root, dataDir, user: self })).toHaveLength(1);
    } finally {
      rmSync(keyFile);
    }
  });

  it('refuses bad and repeated names', () => {
    expect(() => checkRootedWorkspaces([{ name: '../x', path: 'site' }], { root, dataDir, user: self })).toThrow(/folder name/);
    expect(() =>
      checkRootedWorkspaces(
        [
          { name: 'a', path: 'site' },
          { name: 'a', path: 'site/inner' },
        ],
        { root, dataDir, user: self },
      ),
    ).toThrow(/used twice/);
  });
});

describe('#16 EXEC-1 per-familiar sandbox settings: the admin API, the turn, the audit', () => {
  let w: ChatWorld;
  let server: Server;
  let port = 0;
  let hits = 0;
  let root = '';
  let ownerId = '';
  const url = () => `/api/tools/shell/familiars/${w.familiarId}/sandbox`;

  beforeAll(async () => {
    // outside the data directory (0700), so that nobody (65534), whom the sandbox runs as under root, can reach it
    root = mkdtempSync(join(tmpdir(), 'hearth-fsb-root-'));
    chmodSync(root, 0o755);
    w = await startChatWorld({ env: { HEARTH_SHELL_ALLOWLIST: 'cat,curl,ls,echo,seq', HEARTH_SHELL_WORKSPACE_ROOT: root } });
    server = createServer((_req, res) => {
      hits++;
      res.end('egress-ok\n');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as { port: number }).port;
    mkdirSync(join(root, 'site'), { recursive: true });
    chmodSync(join(root, 'site'), 0o755);
    writeFileSync(join(root, 'site', 'hello.txt'), 'hello from the workspace\n', { mode: 0o644 });
    ownerId = (await w.t.hearth.identity.createUser({ name: 'olive', password: 'correct horse battery staple 42', role: 'owner' })).id;
    const patch = await w.t.app.inject({
      method: 'PATCH',
      url: `/api/familiars/${w.familiarId}`,
      headers: w.auth(w.admin.key),
      payload: { allowedTools: ['shell'] },
    });
    expect(patch.statusCode).toBe(200);
    await w.t.hearth.tools.shellEnablement.enable(w.familiarId, ownerId);
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
    await w?.close();
    rmSync(root, { recursive: true, force: true });
  });

  const toolMessages = () =>
    w.fake.requests.flatMap((r) =>
      ((r.body.messages as Array<{ role: string; content: unknown }> | undefined) ?? [])
        .filter((m) => m.role === 'tool')
        .map((m) => String(m.content)),
    );
  async function runShell(command: string): Promise<string> {
    const before = toolMessages().length;
    w.fake.script.push({ toolCalls: [{ name: 'shell', arguments: JSON.stringify({ command }) }] }, { text: 'done' });
    const conv = await newConversation(w, w.alice.key);
    const res = await w.t.app.inject({
      method: 'POST',
      url: `/api/conversations/${conv}/messages`,
      headers: w.auth(w.alice.key),
      payload: { text: 'run it' },
    });
    expect(res.statusCode).toBe(200);
    return toolMessages().slice(before).join('\n');
  }

  it('members cannot read or set it; an admin can, and gets it back', async () => {
    const member = await w.t.app.inject({
      method: 'PUT',
      url: url(),
      headers: w.auth(w.alice.key),
      payload: { workspaces: [], network: [] },
    });
    expect(member.statusCode).toBe(403);
    expect((await w.t.app.inject({ method: 'GET', url: url(), headers: w.auth(w.alice.key) })).statusCode).toBe(403);
    const put = await w.t.app.inject({
      method: 'PUT',
      url: url(),
      headers: w.auth(w.admin.key),
      payload: { workspaces: [{ name: 'site', path: 'site' }], network: [`127.0.0.1:${port}`] },
    });
    expect(put.statusCode, put.body).toBe(200);
    expect(put.json()).toMatchObject({
      workspaceRoot: root,
      workspaces: [{ name: 'site', path: 'site', writable: false }],
      network: [`127.0.0.1:${port}`],
    });
    const get = await w.t.app.inject({ method: 'GET', url: url(), headers: w.auth(w.admin.key) });
    expect(get.json()).toMatchObject({ network: [`127.0.0.1:${port}`] });
  });

  it('refuses a path out of the root and a bad destination with the reason, audited, leaving the saved settings', async () => {
    for (const payload of [
      { workspaces: [{ name: 'x', path: '../' }], network: [] },
      { workspaces: [{ name: 'x', path: w.t.config.dataDir }], network: [] },
      { workspaces: [], network: ['*.example.com:443'] },
      { workspaces: [], network: ['example.com'] },
    ]) {
      const res = await w.t.app.inject({ method: 'PUT', url: url(), headers: w.auth(w.admin.key), payload });
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      expect(res.json()).toMatchObject({ code: 'BAD_REQUEST', details: { reason: 'SANDBOX_SETTINGS_REFUSED' } });
    }
    const denied = (await w.t.hearth.audit.list({ action: 'shell.sandbox.update' })).filter((e) => e.outcome === 'denied');
    expect(denied).toHaveLength(4);
    const get = await w.t.app.inject({ method: 'GET', url: url(), headers: w.auth(w.admin.key) });
    expect(get.json()).toMatchObject({ workspaces: [{ name: 'site' }], network: [`127.0.0.1:${port}`] });
  });

  it('the familiar’s shell reads its workspace and reaches its destination; another port is refused and audited', async () => {
    const before = hits;
    const out = await runShell(
      `cat site/hello.txt; curl -sS -p http://127.0.0.1:${port}/; curl -sS -p http://127.0.0.1:${port + 1}/ || echo REFUSED`,
    );
    expect(out).toContain('hello from the workspace');
    expect(out).toContain('egress-ok');
    expect(out).toContain('REFUSED');
    expect(hits).toBe(before + 1);
    const refused = await w.t.hearth.audit.list({ action: 'shell.network.refused' });
    expect(refused.map((e) => e.details)).toContainEqual(
      expect.objectContaining({ destination: `127.0.0.1:${port + 1}`, reason: "not in this familiar's network allowlist" }),
    );
    const results = await w.t.hearth.audit.list({ action: 'shell.result' });
    expect(results.at(0)?.details).toMatchObject({ connections: 1, refusedConnections: 1 });
  });

  it('a flood of refused connections is audited one by one only up to a cap, then counted', async () => {
    const before = (await w.t.hearth.audit.list({ action: 'shell.network.refused' })).length;
    const out = await runShell(`for i in $(seq 1 30); do curl -s -p http://127.0.0.1:${port + 2}/; done; echo FLOOD-DONE`);
    expect(out).toContain('FLOOD-DONE');
    expect((await w.t.hearth.audit.list({ action: 'shell.network.refused' })).length - before).toBe(20);
    const results = await w.t.hearth.audit.list({ action: 'shell.result' });
    expect(results.at(0)?.details).toMatchObject({ connections: 0, refusedConnections: 30 });
  });

  it('a workspace swapped for a symlink to the data directory after it was saved is refused at the next turn; nothing runs', async () => {
    const site = join(root, 'site');
    renameSync(site, join(root, 'site-old'));
    chmodSync(w.t.config.dataDir, 0o755); // even when it could be reached
    symlinkSync(w.t.config.dataDir, site);
    const out = await runShell('ls site; cat site/*.db');
    expect(out).toContain('SANDBOX_REFUSED');
    expect(out).toMatch(/outside the workspace root/);
    expect(statSync(site).isDirectory()).toBe(true);
  });

  it('without settings the shell has no network and no workspace', async () => {
    const put = await w.t.app.inject({ method: 'PUT', url: url(), headers: w.auth(w.admin.key), payload: { workspaces: [], network: [] } });
    expect(put.statusCode).toBe(200);
    const before = hits;
    const out = await runShell(
      `curl -sS --max-time 3 -p -x http://127.0.0.1:3128 http://127.0.0.1:${port}/ || echo NONET; ls site || echo NOSITE`,
    );
    expect(out).toContain('NONET');
    expect(out).toContain('NOSITE');
    expect(hits).toBe(before);
  });
});

describe('#16 EXEC-1 HEARTH_SHELL_WORKSPACES entries named by a familiar’s slug reach that familiar’s shell in a real turn', () => {
  let w: ChatWorld;
  let folder = '';
  beforeAll(async () => {
    folder = mkdtempSync(join(tmpdir(), 'hearth-fsb-slug-'));
    chmodSync(folder, 0o755);
    writeFileSync(join(folder, 'by-slug.txt'), 'mounted by slug\n', { mode: 0o644 });
    w = await startChatWorld({ env: { HEARTH_SHELL_ALLOWLIST: 'cat', HEARTH_SHELL_WORKSPACES: `ember/docs=${folder}` } });
    const owner = await w.t.hearth.identity.createUser({ name: 'olive', password: 'correct horse battery staple 42', role: 'owner' });
    await w.t.app.inject({
      method: 'PATCH',
      url: `/api/familiars/${w.familiarId}`,
      headers: w.auth(w.admin.key),
      payload: { allowedTools: ['shell'] },
    });
    await w.t.hearth.tools.shellEnablement.enable(w.familiarId, owner.id);
  });
  afterAll(async () => {
    await w?.close();
    rmSync(folder, { recursive: true, force: true });
  });

  it('the familiar "ember" reads docs/by-slug.txt', async () => {
    w.fake.script.push({ toolCalls: [{ name: 'shell', arguments: JSON.stringify({ command: 'cat docs/by-slug.txt' }) }] }, { text: 'ok' });
    const conv = await newConversation(w, w.alice.key);
    const res = await w.t.app.inject({
      method: 'POST',
      url: `/api/conversations/${conv}/messages`,
      headers: w.auth(w.alice.key),
      payload: { text: 'read it' },
    });
    expect(res.statusCode).toBe(200);
    const tool = w.fake.requests
      .flatMap((r) => ((r.body.messages as Array<{ role: string; content: unknown }> | undefined) ?? []).filter((m) => m.role === 'tool'))
      .map((m) => String(m.content))
      .join('\n');
    expect(tool).toContain('mounted by slug');
  });
});
