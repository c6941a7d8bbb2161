// `node scripts/cache-native-builds.mjs`: after `npm ci` compiled a native module from source
// (its prebuilt binary is downloaded from GitHub, which CI machines cannot reach), store the
// compiled binary where prebuild-install looks before it downloads: the npm cache's `_prebuilds`,
// under the name of the download it stands for. Every later `npm ci` on this machine (the
// fresh-clone check runs two) then installs it in a second instead of compiling SQLite again for
// about three minutes. Nothing changes for a machine without the cache: it compiles, as before.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const require = createRequire(join(root, 'package.json'));
/** Native modules installed by prebuild-install, with the binary their build leaves behind. */
const NATIVE = [{ dir: 'node_modules/better-sqlite3', binary: 'build/Release/better_sqlite3.node' }];

const util = require('prebuild-install/util.js');
const config = require('prebuild-install/rc.js');
for (const { dir, binary } of NATIVE) {
  const pkgDir = join(root, dir);
  if (!existsSync(join(pkgDir, binary))) {
    console.log(`cache-native-builds: ${dir} has no ${binary}; nothing to cache`);
    continue;
  }
  const pkg = require(join(pkgDir, 'package.json'));
  const opts = { ...config(pkg), pkg };
  const cached = util.cachedPrebuild(util.getDownloadUrl(opts));
  if (existsSync(cached)) {
    console.log(`cache-native-builds: ${pkg.name} ${pkg.version} already cached`);
    continue;
  }
  mkdirSync(dirname(cached), { recursive: true });
  const partial = `${cached}.${process.pid}.tmp`;
  execFileSync('tar', ['-czf', partial, '-C', pkgDir, binary]);
  execFileSync('mv', [partial, cached]);
  console.log(`cache-native-builds: cached ${pkg.name} ${pkg.version} (${binary}) at ${cached}`);
}
