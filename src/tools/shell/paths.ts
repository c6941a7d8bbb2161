import { posix } from 'node:path';

const TMP_VARS = ['$TMPDIR', '${TMPDIR}'];
const SYSTEM_TOP = new Set([
  'bin',
  'boot',
  'dev',
  'etc',
  'home',
  'lib',
  'lib32',
  'lib64',
  'opt',
  'proc',
  'root',
  'run',
  'sbin',
  'srv',
  'sys',
  'usr',
  'var',
  'mnt',
  'media',
  'snap',
  'nix',
  'Users',
  'System',
  'Library',
  'Applications',
  'private',
]);

export type PathKind = 'root-or-system' | 'home' | 'temp' | 'traversal' | 'other';

/** Classifies a path argument for destructive commands (rm -rf, chmod -R, chown -R). */
export function classifyPath(raw: string): PathKind {
  let path = raw.trim();
  if (path.split('/').includes('..')) {
    const tmp = TMP_VARS.find((v) => path.startsWith(v));
    // a traversal that stays inside a temp root is still refused: intent is unclear
    if (tmp || path.startsWith('/') || path.startsWith('~') || path.startsWith('$')) return 'traversal';
  }
  if (path === '~' || path.startsWith('~/') || path.startsWith('~') || path.startsWith('$HOME') || path.startsWith('${HOME}')) {
    return 'home';
  }
  for (const v of TMP_VARS) if (path === v || path.startsWith(`${v}/`)) return path.split('/').includes('..') ? 'traversal' : 'temp';
  if (!path.startsWith('/')) return path.split('/').includes('..') ? 'traversal' : 'other';
  path = posix.normalize(path);
  if (path === '/' || path === '/*' || path === '/.' || path === '//') return 'root-or-system';
  const parts = path.split('/').filter(Boolean);
  if (parts[0] === 'tmp' || (parts[0] === 'var' && parts[1] === 'tmp'))
    return parts.length > (parts[0] === 'tmp' ? 1 : 2) ? 'temp' : 'root-or-system';
  if (parts[0] && SYSTEM_TOP.has(parts[0])) return parts.length <= 2 || parts[0] !== 'home' ? 'root-or-system' : 'home';
  if (parts[0]?.includes('*')) return 'root-or-system';
  return 'other';
}

/**
 * Secrets recognised by what they are, not by a list of names (EXEC-1). Each class is a kind of
 * file that holds credentials or another process's secrets wherever it lives:
 * - private keys and key stores: `id_*` SSH keys, `*.key`, `*.p12`, `*.pfx`, `*.jks`, `*.keystore`, `*.kdbx`;
 * - credential and token files of tools: dot-files and config folders that hold logins (`.netrc`,
 *   `.pgpass`, `.npmrc`, `.docker/config.json`, `.kube/config`, cloud CLIs' folders, keyrings, `.env*`);
 * - shell and REPL histories (`.bash_history`, `.python_history`, `.lesshst`, any `*_history` / `.*history`);
 * - what a process exposes about itself: `/proc/<pid>/environ|mem|cmdline|auxv|maps|fd…`, a bare `environ`;
 * - mounted secrets: anything under a `secrets` or `serviceaccount` folder in /run or /var/run (Docker,
 *   Kubernetes), `/etc/ssl/private`, and the system's password databases.
 */
const PRIVATE_KEY = /^(id_(rsa|dsa|ecdsa|ed25519)(_sk)?|.*\.(key|p12|pfx|jks|keystore|kdbx|ppk)|.*_rsa|.*private[-_]?key.*)$/i;
const CREDENTIAL_FILE =
  /^(\.netrc|_netrc|\.git-credentials|\.pgpass|\.my\.cnf|master\.key|\.npmrc|\.pypirc|\.yarnrc(\.yml)?|credentials(\.json|\.db|\.toml)?|\.boto|\.s3cfg|\.vault-token|\.htpasswd|access_tokens\.db|application_default_credentials\.json|token(\.json)?)$/i;
const HISTORY = /^(\..*hist(ory)?|.*_history|\.lesshst|\.viminfo)$/i;
const CREDENTIAL_DIRS =
  /(^|\/)(\.ssh|\.gnupg|\.password-store|\.aws|\.azure|\.config\/gcloud|\.config\/gh|\.kube|\.docker|\.terraform\.d|\.local\/share\/keyrings|\.mozilla|\.config\/(google-)?chrom(e|ium))(\/|$)/;
const PROC_PRIVATE = new Set([
  'environ',
  'mem',
  'cmdline',
  'auxv',
  'maps',
  'smaps',
  'pagemap',
  'fd',
  'fdinfo',
  'root',
  'cwd',
  'exe',
  'stack',
  'syscall',
  'map_files',
  'task',
]);
const SYSTEM_SECRETS = new Set(['/etc/shadow', '/etc/gshadow', '/etc/sudoers', '/etc/master.passwd', '/etc/shadow-', '/etc/gshadow-']);

export function isSecretPath(raw: string): boolean {
  const p = raw.replace(/^["']|["']$/g, '');
  const base = posix.basename(p);
  if (PRIVATE_KEY.test(base) || CREDENTIAL_FILE.test(base) || HISTORY.test(base)) return true;
  if (base === 'environ') return true;
  if (base === '.env' || base.startsWith('.env.')) return base !== '.env.example';
  const norm = posix.normalize(p);
  if (SYSTEM_SECRETS.has(norm) || CREDENTIAL_DIRS.test(norm) || /(^|\/)etc\/ssl\/private(\/|$)/.test(norm)) return true;
  const parts = norm.split('/').filter(Boolean);
  // /proc/<pid|self|*|[0-9]*>/environ … (also through /proc/<pid>/task/<tid>/…)
  if (parts[0] === 'proc' && parts.slice(2).some((x) => PROC_PRIVATE.has(x))) return true;
  if ((parts[0] === 'run' || (parts[0] === 'var' && parts[1] === 'run')) && parts.some((x) => x === 'secrets' || x === 'serviceaccount'))
    return true;
  return parts.includes('serviceaccount') && parts.includes('secrets');
}

/** Block devices and kernel memory: writing there destroys disks. */
export function isBlockDevice(raw: string): boolean {
  const p = posix.normalize(raw);
  return /^\/dev\/(sd|hd|vd|xvd|nvme|mmcblk|disk|loop|md|dm-|mapper\/|mem$|kmem$|port$|nbd)/.test(p);
}
