import { classifyPath, isBlockDevice, isSecretPath } from './paths.js';
import { INTERPRETERS } from './programs.js';
import type { Collector, Invocation } from './types.js';
import { checkVolume } from './volume.js';
import type { ShellWord } from './words.js';
import { checkWritingOptions } from './writes.js';

type Check = (args: readonly ShellWord[], out: Collector, program: string) => void;

/** Short flags in clusters (-rf) and long flags, for flag tests that read like the man page. */
function flags(args: readonly ShellWord[]): { has(short: string, ...long: string[]): boolean; operands: ShellWord[] } {
  const shorts = new Set<string>();
  const longs = new Set<string>();
  const operands: ShellWord[] = [];
  let ended = false;
  for (const a of args) {
    const t = a.text;
    if (!ended && t === '--') {
      ended = true;
      continue;
    }
    if (!ended && t.startsWith('--')) longs.add(t.split('=')[0]!);
    else if (!ended && t.startsWith('-') && t.length > 1) for (const c of t.slice(1)) shorts.add(c);
    else operands.push(a);
  }
  return { has: (s, ...l) => (s !== '' && shorts.has(s)) || l.some((x) => longs.has(x)), operands };
}

const rm: Check = (args, out) => {
  const f = flags(args);
  const recursive = f.has('r', '--recursive') || f.has('R');
  const force = f.has('f', '--force');
  if (f.has('', '--no-preserve-root')) out.add('deny', 'rm --no-preserve-root');
  for (const op of f.operands) {
    const kind = classifyPath(op.text);
    if (kind === 'traversal') out.add('deny', `rm of a path that climbs out with "..": ${op.text}`);
    else if (recursive && (kind === 'root-or-system' || kind === 'home')) out.add('deny', `recursive delete of ${op.text}`);
    else if (recursive && force && kind !== 'temp') out.add('ask', `forced recursive delete of ${op.text}`);
    else if (recursive && kind !== 'temp' && (op.dynamic || ['.', '*', './*', '..'].includes(op.text)))
      out.add('ask', `recursive delete of everything in ${op.text}`);
  }
};

const git: Check = (args, out) => {
  let i = 0;
  for (; i < args.length; i++) {
    const t = args[i]!.text;
    if (t === '-c' || t.startsWith('--config-env') || t.startsWith('--exec-path')) {
      const value = t === '-c' ? (args[++i]?.text ?? '') : t;
      const key = value.split('=')[0]!.toLowerCase();
      if (
        t.startsWith('--exec-path') ||
        /^(core\.(sshcommand|pager|editor|fsmonitor|hookspath|gitproxy|askpass|attributesfile|excludesfile)|alias\.|diff\..*\.(textconv|command)|filter\.|merge\..*\.driver|credential\.|protocol\.|uploadpack\.|remote\..*\.(uploadpack|receivepack|proxy)|sequence\.editor|gpg\.|http\.proxy|include\.|includeif\.|url\.)/.test(
          key,
        )
      ) {
        out.add('deny', `git configuration that can run another program: ${value}`);
      } else out.add('ask', `git -c ${value}`);
      continue;
    }
    if (t === '-C' || t === '--git-dir' || t === '--work-tree' || t === '--namespace') {
      i++;
      continue;
    }
    if (t.startsWith('-')) continue;
    break;
  }
  const sub = args[i]?.text ?? '';
  const rest = args.slice(i + 1);
  const f = flags(rest);
  const texts = rest.map((a) => a.text);
  for (const a of rest)
    if (
      a.text.startsWith('ext::') ||
      a.text.startsWith('--upload-pack') ||
      a.text.startsWith('--receive-pack') ||
      (a.text === '-u' && ['clone', 'fetch', 'ls-remote', 'pull', 'archive'].includes(sub)) ||
      a.text.startsWith('--exec=')
    )
      out.add('deny', `git option that runs another program: ${a.text}`);
  switch (sub) {
    case 'reset':
      if (f.has('', '--hard', '--merge', '--keep')) out.add('ask', 'git reset that discards work');
      break;
    case 'checkout':
      if (texts.includes('--') || f.has('f', '--force')) out.add('ask', 'git checkout that overwrites files');
      break;
    case 'restore':
      if (!f.has('S', '--staged') || f.has('W', '--worktree')) out.add('ask', 'git restore that discards working-tree changes');
      break;
    case 'push':
      if (
        f.has('f', '--force', '--mirror', '--delete', '--prune', '--force-with-lease-if-includes') ||
        f.has('d') ||
        texts.some((t) => t.startsWith('+') || t.startsWith('--force-if-includes') || t.startsWith(':'))
      ) {
        out.add('ask', 'git push that rewrites or deletes remote history');
      }
      break;
    case 'clean':
      if (!f.has('n', '--dry-run')) out.add('ask', 'git clean deletes untracked files');
      break;
    case 'stash':
      if (texts[0] === 'clear' || texts[0] === 'drop') out.add('ask', `git stash ${texts[0]} destroys stashed work`);
      break;
    case 'branch':
      if (f.has('D') || (f.has('d') && f.has('f', '--force'))) out.add('ask', 'git branch -D deletes unmerged work');
      break;
    case 'filter-branch':
    case 'filter-repo':
    case 'replace':
      out.add('ask', `git ${sub} rewrites history`);
      break;
    case 'reflog':
      if (texts[0] === 'expire' || texts[0] === 'delete') out.add('ask', 'git reflog expire removes recovery points');
      break;
    case 'commit':
      if (f.has('', '--amend')) out.add('ask', 'git commit --amend rewrites history');
      break;
    case 'update-ref':
      if (f.has('d')) out.add('ask', 'git update-ref -d deletes a ref');
      break;
    case 'config':
      out.add('ask', 'git config changes how git runs');
      break;
  }
};

const interp: Check = (args, out, program) => {
  for (const a of args) {
    if (
      ['-c', '-e', '-E', '-p', '-r', '--eval', '--print', '-'].includes(a.text) ||
      /^-[A-Za-z]*[ce]$/.test(a.text) ||
      /^--(eval|print|import|require|loader|experimental-loader)=/.test(a.text)
    ) {
      return out.add('ask', `${program} runs inline code`);
    }
    if (!a.text.startsWith('-')) return;
  }
  if (!args.some((a) => !a.text.startsWith('-'))) out.add('ask', `${program} reads code from standard input`);
};

const killCheck: Check = (args, out, program) => {
  const ops = args.map((a) => a.text).filter((t) => !/^-(\d+|[A-Z]+|s|n)$/.test(t) || t === '-1');
  if (ops.includes('1') || ops.includes('-1')) out.add('deny', `${program} of init or of every process`);
  if (program === 'killall5' || program === 'killall' || program === 'pkill') out.add('ask', `${program} kills by name`);
};

const chmod: Check = (args, out) => {
  const f = flags(args);
  const recursive = f.has('R', '--recursive');
  const mode = f.operands[0]?.text ?? '';
  const open = /^0?7?77$/.test(mode) || /a\+[rwx]*w|o\+[rwx]*w|^\+?w$/.test(mode);
  const setid = /^[2-7]\d{3}$/.test(mode) || /[ug]\+[rwx]*s/.test(mode);
  for (const op of f.operands.slice(1))
    if (classifyPath(op.text) === 'root-or-system' || classifyPath(op.text) === 'home') out.add('deny', `chmod of ${op.text}`);
  if (open && recursive) out.add('deny', `chmod -R ${mode} opens everything to everyone`);
  else if (open || setid) out.add('ask', `chmod ${mode}`);
};

const chown: Check = (args, out) => {
  const f = flags(args);
  const owner = f.operands[0]?.text ?? '';
  if (/^(root|0)?([:.](root|0|wheel))?$/.test(owner) && owner !== '' && !/^[:.]$/.test(owner)) out.add('deny', 'chown to root');
  for (const op of f.operands.slice(1)) if (classifyPath(op.text) === 'root-or-system') out.add('deny', `chown of ${op.text}`);
  if (f.has('R', '--recursive')) out.add('ask', 'recursive chown');
};

const dd: Check = (args, out) => {
  for (const a of args)
    if (a.text.startsWith('of=') && isBlockDevice(a.text.slice(3))) out.add('deny', `dd onto the device ${a.text.slice(3)}`);
};

/** `date -s` / `--set` changes the clock (a state change, not a read). */
const date: Check = (args, out) => {
  if (args.some((a) => /^-[A-Za-z]*s/.test(a.text) || a.text.startsWith('--set'))) out.add('ask', 'date --set changes the system clock');
};

/** Builtins and programs that print every variable when given nothing to do. */
const dumpsEnvironment =
  (when: (args: readonly ShellWord[]) => boolean): Check =>
  (args, out, program) => {
    if (when(args)) out.add('ask', `${program} prints the whole environment`);
  };
const noOperand = (args: readonly ShellWord[]) => args.every((a) => a.text.startsWith('-') || a.text.startsWith('+'));

const deny =
  (reason: string): Check =>
  (_a, out) =>
    out.add('deny', reason);
const ask =
  (reason: string): Check =>
  (_a, out) =>
    out.add('ask', reason);
const power: Check = (args, out, program) => {
  if (program === 'init' || program === 'telinit') {
    if (args.some((a) => ['0', '6', '1', 's', 'S'].includes(a.text))) out.add('deny', `${program} changes the runlevel`);
    return;
  }
  if (program === 'systemctl') {
    if (args.some((a) => ['poweroff', 'reboot', 'halt', 'kexec', 'suspend', 'hibernate', 'rescue', 'emergency'].includes(a.text)))
      out.add('deny', 'systemctl power action');
    else out.add('ask', 'systemctl manages services');
    return;
  }
  out.add('deny', `${program} stops the machine`);
};

const sort: Check = (args, out) => {
  for (const a of args)
    if (a.text.startsWith('--compress-program') || a.text.startsWith('--compress-prog'))
      out.add('deny', 'sort --compress-program runs another program');
};
const tar: Check = (args, out) => {
  for (const a of args) {
    const t = a.text;
    if (
      /^--(to-command|use-compress-program|checkpoint-action|info-script|new-volume-script|rsh-command)/.test(t) ||
      t === '-I' ||
      t === '-F'
    )
      out.add('deny', `tar ${t.split('=')[0]} runs another program`);
  }
};
const netExec: Check = (args, out, program) => {
  for (const a of args)
    if (
      a.text === '-e' ||
      a.text === '-c' ||
      a.text.startsWith('--exec') ||
      a.text.startsWith('--sh-exec') ||
      /^(EXEC|SYSTEM):/i.test(a.text)
    )
      out.add('deny', `${program} that runs a program for the network`);
};
const rsync: Check = (args, out) => {
  for (const a of args)
    if (a.text === '-e' || a.text.startsWith('--rsh') || a.text.startsWith('--rsync-path'))
      out.add('ask', 'rsync with a remote shell command');
  if (args.some((a) => a.text.startsWith('--delete'))) out.add('ask', 'rsync --delete removes files');
};
const ssh: Check = (args, out) => {
  for (const a of args)
    if (/proxycommand|localcommand|permitlocalcommand/i.test(a.text)) out.add('deny', 'ssh option that runs a local program');
};
const history: Check = (args, out) => {
  if (args.some((a) => a.text === '-c' || a.text === '-w' || a.text === '-d')) out.add('ask', 'history rewrite');
};
const crontab: Check = (args, out) => {
  if (args.some((a) => a.text === '-r' || a.text === '-e' || !a.text.startsWith('-'))) out.add('ask', 'crontab changes scheduled jobs');
};

/** awk and sed scripts that start programs (`system()`, pipes, sed's `e` command and `s///e`). */
const SCRIPT_LIMIT = 2000;
const awk: Check = (args, out, program) => {
  for (const a of args)
    if (a.text.length > SCRIPT_LIMIT) out.add('ask', `${program} script too long to check`);
    else if (/\bsystem\s*\(|\|\s*getline|\|\s*"|print[^;]*\|/.test(a.text)) out.add('ask', `${program} program that runs commands`);
};
const sed: Check = (args, out) => {
  for (const a of args) {
    if (a.text.startsWith('-')) continue;
    if (a.text.length > SCRIPT_LIMIT) out.add('ask', 'sed script too long to check');
    else if (/(^|[;{}\n0-9$/!])\s*e(\s|;|$)/.test(a.text) || /s(.)(?:(?!\1).)*\1(?:(?!\1).)*\1[a-zA-Z0-9]*e/.test(a.text))
      out.add('ask', 'sed script that runs commands');
  }
};

/** The built-in catalogue of dangerous forms, by program (EXEC-1). */
const CATALOGUE: Record<string, Check> = {
  rm,
  git,
  dd,
  awk,
  gawk: awk,
  mawk: awk,
  nawk: awk,
  sed,
  gsed: sed,
  chmod,
  chown,
  chgrp: chown,
  sort,
  tar,
  rsync,
  ssh,
  scp: ssh,
  history,
  crontab,
  kill: killCheck,
  pkill: killCheck,
  killall: killCheck,
  killall5: deny('killall5 kills every process'),
  shutdown: power,
  reboot: power,
  halt: power,
  poweroff: power,
  init: power,
  telinit: power,
  systemctl: power,
  nc: netExec,
  ncat: netExec,
  netcat: netExec,
  socat: netExec,
  mkfs: deny('mkfs formats a filesystem'),
  mke2fs: deny('mke2fs formats a filesystem'),
  mkswap: deny('mkswap formats a device'),
  wipefs: deny('wipefs erases filesystem signatures'),
  fdisk: deny('fdisk edits partitions'),
  sfdisk: deny('sfdisk edits partitions'),
  parted: deny('parted edits partitions'),
  sgdisk: deny('sgdisk edits partitions'),
  shred: ask('shred destroys file contents'),
  mount: ask('mount changes the filesystem tree'),
  umount: ask('umount changes the filesystem tree'),
  iptables: ask('firewall change'),
  nft: ask('firewall change'),
  ufw: ask('firewall change'),
  passwd: ask('password change'),
  useradd: ask('account change'),
  userdel: ask('account change'),
  usermod: ask('account change'),
  visudo: deny('sudoers change'),
  insmod: deny('kernel module load'),
  modprobe: deny('kernel module load'),
  rmmod: deny('kernel module removal'),
  at: ask('schedules a job'),
  truncate: ask('truncate destroys file contents'),
  date,
  hwclock: ask('hwclock changes the hardware clock'),
  timedatectl: ask('timedatectl changes the clock'),
  printenv: dumpsEnvironment((a) => a.length === 0),
  set: dumpsEnvironment((a) => a.length === 0),
  export: dumpsEnvironment((a) => a.length === 0 || a.every((w) => w.text === '-p')),
  declare: dumpsEnvironment((a) => noOperand(a) && a.some((w) => /^-[A-Za-z]*[px]/.test(w.text))),
  typeset: dumpsEnvironment((a) => noOperand(a) && a.some((w) => /^-[A-Za-z]*[px]/.test(w.text))),
  compgen: dumpsEnvironment((a) => a.some((w) => /^-[A-Za-z]*[ve]/.test(w.text))),
};

/** Applies the catalogue to one unwrapped invocation; findings go to the collector. */
export function checkInvocation(inv: Invocation, out: Collector): void {
  const { program, args } = inv;
  const check =
    CATALOGUE[program] ??
    (program.startsWith('mkfs.')
      ? deny('mkfs formats a filesystem')
      : INTERPRETERS.has(program) || /^python\d/.test(program)
        ? interp
        : undefined);
  check?.(args, out, program);
  checkWritingOptions(inv, out);
  checkVolume(inv, out);
  for (const a of args) {
    if (isSecretPath(a.text) || (a.text.includes('=') && isSecretPath(a.text.slice(a.text.indexOf('=') + 1))))
      out.add('deny', `refers to a credential or secret: ${a.text}`);
    if (isBlockDevice(a.text) || (a.text.includes('=') && isBlockDevice(a.text.slice(a.text.indexOf('=') + 1))))
      out.add('deny', `names a disk device: ${a.text}`);
    if (a.text.includes('/dev/tcp/') || a.text.includes('/dev/udp/')) out.add('deny', 'opens a network socket through /dev/tcp');
  }
}
