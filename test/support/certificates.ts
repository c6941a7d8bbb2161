import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { tempDir } from './databases.js';

/**
 * A self-signed P-256 certificate made by the real openssl, in a new temporary folder: its files
 * (`cert`, `key`). `subjectAltName` as openssl's -addext takes it (`IP:127.0.0.1`), or none.
 */
export function selfSignedCertificate(options: { readonly days: number; readonly commonName: string; readonly subjectAltName?: string }): {
  readonly cert: string;
  readonly key: string;
} {
  const dir = tempDir('hearth-tls-');
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  execFileSync(
    'openssl',
    [
      ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'],
      ...['-keyout', key, '-out', cert, '-days', String(options.days), '-subj', `/CN=${options.commonName}`],
      ...(options.subjectAltName ? ['-addext', `subjectAltName=${options.subjectAltName}`] : []),
    ],
    { stdio: 'ignore' },
  );
  return { cert, key };
}
