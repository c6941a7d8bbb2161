// Child process for the atomic-write crash test: rewrites one file over and over with large,
// self-describing contents (every byte of version N is the digit N % 10) until it is killed.
import { writeFileAtomic } from '../../src/files/index.js';

const [file] = process.argv.slice(2);
const size = 4 * 1024 * 1024;
process.stdout.write('ready\n');
for (let i = 1; ; i++) {
  writeFileAtomic(file!, Buffer.alloc(size, 48 + (i % 10)));
  if (i === 1) process.stdout.write('first\n');
}
