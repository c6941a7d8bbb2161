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

/** Files that hold credentials; reading or writing them is refused. */
export function isCredentialPath(raw: string): boolean {
  const p = raw.replace(/^["']|["']$/g, '');
  const base = posix.basename(p);
  if (/^id_(rsa|dsa|ecdsa|ed25519)(_sk)?$/.test(base)) return true;
  if (['.netrc', '.git-credentials', '.pgpass', '.my.cnf', 'master.key', '.npmrc', '.pypirc', 'credentials.json'].includes(base))
    return true;
  if (base === '.env' || base.startsWith('.env.')) return base !== '.env.example';
  const norm = posix.normalize(p);
  return (
    ['/etc/shadow', '/etc/gshadow', '/etc/sudoers', '/etc/master.passwd'].includes(norm) ||
    /(^|\/)\.ssh(\/|$)/.test(norm) ||
    /(^|\/)\.aws\/credentials$/.test(norm) ||
    /(^|\/)\.gnupg(\/|$)/.test(norm) ||
    /(^|\/)\.kube\/config$/.test(norm) ||
    /(^|\/)\.docker\/config\.json$/.test(norm) ||
    /(^|\/)\.config\/gh\/hosts\.yml$/.test(norm) ||
    /(^|\/)\.password-store(\/|$)/.test(norm)
  );
}

/** Block devices and kernel memory: writing there destroys disks. */
export function isBlockDevice(raw: string): boolean {
  const p = posix.normalize(raw);
  return /^\/dev\/(sd|hd|vd|xvd|nvme|mmcblk|disk|loop|md|dm-|mapper\/|mem$|kmem$|port$|nbd)/.test(p);
}
