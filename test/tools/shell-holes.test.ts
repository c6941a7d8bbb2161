import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/index.js';
import {
  createSandbox,
  createShellParser,
  createShellPolicy,
  parseAllowlist,
  parseWorkspaces,
  workspacesFor,
  type ShellPolicy,
} from '../../src/tools/shell/index.js';

/**
 * #16 policy holes, by the general rule behind each kind (EXEC-1). Every case here is written for
 * this suite (none is one of the issue's examples), with the same modest allowlist an operator
 * might use: reading programs and git's read-only commands.
 */
const ALLOWLIST =
  'ls,cat,grep,head,tail,wc,echo,date,pwd,find,git status*,git log*,git diff*,sort,uniq,cut,tr,base64,printf,sleep,seq,dd,tee,env,printenv,xargs,true,false';

let policy: ShellPolicy;
beforeAll(async () => {
  policy = createShellPolicy({ parser: await createShellParser(), allowlist: parseAllowlist(ALLOWLIST) });
});

const HELD_OUT: Array<[rule: string, command: string, verdict: 'ask' | 'deny']> = [
  // every redirection that writes is a write
  ['redirection write', 'true > notes/todo.md', 'ask'],
  ['redirection write', 'printf "" >| work.sqlite', 'ask'],
  ['redirection write', 'echo >> ../shared.log', 'ask'],
  ['redirection write', 'cat < /dev/null 1> db.sqlite-wal', 'ask'],
  ['redirection write', 'ls &> listing.txt', 'ask'],
  ['redirection write', 'grep x y > "$OUT"', 'ask'],
  // every file-writing option is a write
  ['writing option', 'git diff --output=patch.diff', 'ask'],
  ['writing option', 'git log -p --output patch.txt', 'ask'],
  ['writing option', 'find src -name "*.ts" -fprint found.txt', 'ask'],
  ['writing option', 'find . -fprint0 list0', 'ask'],
  ['writing option', 'sort -oresult in.txt', 'ask'],
  ['writing option', 'sort --output=sorted.txt data.txt', 'ask'],
  ['writing option', 'uniq in.txt out.txt', 'ask'],
  ['writing option', 'ls | tee -a audit.txt', 'ask'],
  ['writing option', 'dd if=in.bin of=copy.bin bs=4k count=2', 'ask'],
  ['state change', 'date --set="next friday"', 'ask'],
  // background jobs inside loops are floods
  ['flood', 'for n in $(seq 500); do sleep 60 & done', 'deny'],
  ['flood', 'while true; do { cat /dev/null; } & done', 'deny'],
  ['flood', 'until false; do (sleep 1 | cat) & sleep 0; done', 'deny'],
  ['flood', 'for ((i=0;i<9;i++)); do sleep 5 & done', 'deny'],
  ['flood', 'for x in a b; do sh -c "sleep 3 & wait"; done', 'deny'],
  // endless or huge output asks
  ['endless', 'while :; do echo tick; done', 'ask'],
  ['endless', 'for ((;;)); do date; done', 'ask'],
  ['endless', 'tail -F app.log', 'ask'],
  ['endless', 'grep -a x /dev/zero', 'ask'],
  ['endless', 'base64 /dev/urandom', 'ask'],
  ['endless', 'cat < /dev/random', 'ask'],
  ['huge', 'head --bytes=3G /dev/zero', 'ask'],
  ['huge', 'seq 999999999', 'ask'],
  ['huge', 'head -n 2e9 big.txt', 'ask'],
  ['huge', 'dd if=in.bin of=/dev/null bs=64M count=64', 'ask'],
  // secrets recognised by what they are
  ['secret', 'cat ~/.zsh_history', 'deny'],
  ['secret', 'tail -n 50 /root/.node_repl_history', 'deny'],
  ['secret', 'grep -a TOKEN /proc/self/environ', 'deny'],
  ['secret', 'cat /proc/[0-9]*/cmdline', 'deny'],
  ['secret', 'cat /proc/1/task/1/environ', 'deny'],
  ['secret', 'ls /run/secrets/', 'deny'],
  ['secret', 'cat /var/run/secrets/eks.amazonaws.com/serviceaccount/token', 'deny'],
  ['secret', 'head deploy/tls.key', 'deny'],
  ['secret', 'base64 backup.p12', 'deny'],
  ['secret', 'cat ~/.config/gcloud/application_default_credentials.json', 'deny'],
  ['secret', 'cat ~/.docker/config.json', 'deny'],
  ['secret', 'wc -c < ~/.pgpass', 'deny'],
  // environment dumps
  ['environment', 'env', 'ask'],
  ['environment', 'env -0', 'ask'],
  ['environment', 'env -u HOME', 'ask'],
  ['environment', 'printenv', 'ask'],
  ['environment', 'export -p', 'ask'],
];

describe('#16 policy holes: the general rule behind each kind (EXEC-1, held-out cases)', () => {
  it.each(HELD_OUT)('%s: %j → %s', (_rule, command, verdict) => {
    expect(policy.classify(command).verdict).toBe(verdict);
  });

  it('still allows what those rules must not touch', () => {
    for (const command of [
      'ls > /dev/null 2>&1',
      'git status 2>&1 | head -n 5',
      'echo scratch > /tmp/scratch.txt',
      'sort data.txt | uniq | wc -l',
      'head -c 32 /dev/urandom | base64',
      'for f in a b c; do echo $f; done',
      'sleep 1 & sleep 2',
      'seq 1 100 | tail -n 3',
      'env LANG=C ls',
      'find . -name "*.md" -print',
      'git log --oneline -20',
      'cat README.md',
    ]) {
      expect(policy.classify(command), command).toMatchObject({ verdict: 'allow' });
    }
  });
});

describe('#16 sandbox limits: a missed case still cannot hurt the host (EXEC-1)', () => {
  // a generous timeout: these runs end by the limits, and a loaded machine must not cut them short
  const limited = createSandbox({
    bwrapPath: '/usr/bin/bwrap',
    timeoutMs: 15_000,
    outputLimit: 64 * 1024,
    limits: { processes: 24, fileBytes: 1024 * 1024, diskBytes: 4 * 1024 * 1024 },
  });

  it('a process flood of builtins stops at the process limit, and nothing survives the run', async () => {
    const run = limited.run('for i in $(seq 200); do (sleep 3019.25) & done');
    let most = 0;
    for (let i = 0; i < 40; i++) {
      most = Math.max(most, hostProcesses().filter((cmd) => cmd.includes('3019.25')).length);
      await new Promise((r) => setTimeout(r, 50));
    }
    await run;
    expect(most).toBeGreaterThan(0);
    expect(most).toBeLessThanOrEqual(24);
    expect(hostProcesses().filter((cmd) => cmd.includes('3019.25'))).toEqual([]);
  });

  it('a file cannot grow past the file-size limit, nor the work dir past its size', async () => {
    // The figure is the one line that is only digits: the shell's "File size limit exceeded" goes to
    // stderr, which may arrive after it.
    const figure = (output: string) => Number(/^\d+$/m.exec(output)?.[0]);
    const big = await limited.run('head -c 5000000 /dev/zero > big; stat -c %s big');
    expect(figure(big.output)).toBeLessThanOrEqual(1024 * 1024);
    const many = await limited.run('for i in 1 2 3 4 5 6; do head -c 900000 /dev/zero > f$i || echo FULL; done; du -sk . | cut -f1');
    expect(many.output).toContain('FULL');
    expect(figure(many.output)).toBeLessThanOrEqual(4 * 1024 + 64);
  });

  it('a spinning process is stopped by the CPU limit or the timeout', async () => {
    const quick = createSandbox({ bwrapPath: '/usr/bin/bwrap', timeoutMs: 2_000, outputLimit: 4096 });
    const r = await quick.run('while :; do :; done');
    expect(r.exitCode === 0).toBe(false);
  });
});

describe('#16 workspaces: named host folders under the work dir, never Hearth itself (EXEC-1)', () => {
  let root = '';
  let dataDir = '';
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'hearth-ws-'));
    dataDir = mkdtempSync(join(tmpdir(), 'hearth-ws-data-'));
    writeFileSync(join(root, 'readme.txt'), 'workspace file', { mode: 0o644 });
    // the sandbox runs as nobody when Hearth runs as root: a workspace must be readable (or writable) by it
    chmodSync(root, 0o755);
  });
  afterAll(() => {
    rmSync(root, { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('mounts a read-only and a read-write folder by name; the read-only one cannot be written', async () => {
    const rw = mkdtempSync(join(tmpdir(), 'hearth-ws-rw-'));
    chmodSync(rw, 0o777);
    try {
      const ws = parseWorkspaces(`docs=${root},out=${rw}:rw`, { dataDir });
      const sandbox = createSandbox({ bwrapPath: '/usr/bin/bwrap', timeoutMs: 5_000, outputLimit: 4096 });
      const r = await sandbox.run(
        'cat docs/readme.txt; echo x > docs/new || echo RO; echo written > out/result.txt && echo RW',
        undefined,
        ws,
      );
      expect(r.output).toContain('workspace file');
      expect(r.output).toContain('RO');
      expect(r.output).toContain('RW');
      expect(readFileSync(join(rw, 'result.txt'), 'utf8')).toBe('written\n');
    } finally {
      rmSync(rw, { recursive: true, force: true });
    }
  });

  it('refuses the data directory, a folder above it, Hearth’s own files, / and bad names, each with its reason', () => {
    const refusals: Array<[string, RegExp]> = [
      [`data=${dataDir}`, /data directory/],
      [`up=${join(dataDir, '..')}`, /data directory/],
      [`self=${process.cwd()}`, /own files/],
      [`src=${join(process.cwd(), 'src')}`, /own files/],
      ['all=/', /whole filesystem/],
      [`-x=${root}`, /folder name/],
      [`a b/x=${root}`, /familiar/],
      [`x=relative/path`, /absolute/],
      [`x=${join(root, 'missing')}`, /existing folder/],
    ];
    for (const [entry, reason] of refusals) {
      let error: unknown;
      try {
        parseWorkspaces(entry, { dataDir });
      } catch (err) {
        error = err;
      }
      expect(error, entry).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).code).toBe('CONFIG_INVALID');
      expect((error as ConfigError).issues[0]).toMatchObject({ name: 'HEARTH_SHELL_WORKSPACES', message: expect.stringMatching(reason) });
    }
  });

  it('a familiar gets the shared workspaces and its own, by slug or id', () => {
    const ws = parseWorkspaces(`docs=${root},ember/notes=${root}:rw`, { dataDir });
    expect(workspacesFor(ws, { id: 'f1', slug: 'ember' }).map((w) => w.name)).toEqual(['docs', 'notes']);
    expect(workspacesFor(ws, { id: 'f2', slug: 'other' }).map((w) => w.name)).toEqual(['docs']);
  });
});

/** The command lines of every process on the host. */
function hostProcesses(): string[] {
  const out: string[] = [];
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      out.push(readFileSync(`/proc/${p}/cmdline`, 'utf8'));
    } catch {
      /* gone */
    }
  }
  return out;
}
