import type { Hearth } from '../../app/index.js';
import type { Config } from '../../config/index.js';
import { CliError, configFrom, EXIT, println, withHearth, type Command } from '../io.js';

/** The address an operator opens: HEARTH_PUBLIC_URL, else where the server listens (or is configured to). */
function baseUrl(config: Config, listening: string | undefined): string | undefined {
  if (config.HEARTH_PUBLIC_URL) return config.HEARTH_PUBLIC_URL.replace(/\/$/, '');
  if (listening) return listening.replace(/\/$/, '');
  if (config.HEARTH_PORT === 0) return undefined;
  const scheme = config.HEARTH_TLS_CERT_FILE ? 'https' : 'http';
  const host = config.HEARTH_HOST === '0.0.0.0' ? '127.0.0.1' : config.HEARTH_HOST === '::' ? '::1' : config.HEARTH_HOST;
  return `${scheme}://${host.includes(':') ? `[${host}]` : host}:${config.HEARTH_PORT}`;
}

/**
 * AUTH-1: a new one-time setup link while no owner exists (single use, 1 hour, only its hash
 * stored; the token is in the fragment, so it never reaches a server log); undefined once an
 * owner exists. The one place that makes the link, for `hearth start` and `hearth setup-link`.
 */
export async function issueSetupLink(
  hearth: Pick<Hearth, 'identity'>,
  config: Config,
  options: { readonly listening?: string; readonly via: 'start' | 'cli' },
): Promise<{ url: string; expiresAt: number; message: string } | undefined> {
  const setup = await hearth.identity.issueSetupToken(options.via);
  if (!setup) return undefined;
  const url = `${baseUrl(config, options.listening) ?? ''}/setup#token=${setup.token}`;
  return { url, expiresAt: setup.expiresAt, message: `No owner yet. Create one within 1 hour: ${url}` };
}

/** `hearth setup-link`: a fresh first-run link for the operator at the server's terminal; works beside a running server. */
export const setupLinkCommand: Command = {
  name: 'setup-link',
  summary: 'Print a new one-time setup link while no owner exists',
  usage: `Usage: hearth setup-link

Prints a new one-time link that creates the first owner (single use, valid 1 hour). Use it when
the link \`hearth start\` printed is lost or expired; it works while the server runs, on the same
database. Links printed earlier stay valid until they expire or an owner exists.
Exits 1 when an owner exists already (sign in, or reset a password with \`hearth users passwd\`).`,
  async run(_args, io) {
    const config = configFrom(io);
    return withHearth(io, async (hearth) => {
      const link = await issueSetupLink(hearth, config, { via: 'cli' });
      if (!link)
        throw new CliError('setup is complete: an owner exists. Sign in, or set a password with `hearth users passwd NAME`', EXIT.failure);
      println(io.stdout, link.message);
      if (link.url.startsWith('/'))
        println(io.stdout, 'Open it on the address this server listens on (HEARTH_PORT is 0 here, so it is not known).');
      return EXIT.ok;
    });
  },
};
