import { auditPosture, npmAudit } from '../../security/posture/index.js';
import { CliError, EXIT, println, type Command } from '../io.js';

export const securityCommand: Command = {
  name: 'security',
  summary: 'Audit this installation (configuration, permissions, git status, advisories) or a live one (--live URL)',
  usage: `Usage: hearth security audit [--no-deps]
       hearth security audit --live URL [--api-key FILE] [--service-key FILE] [--webhook-secret NAME=FILE]...
                             [--ca FILE] [--json|--sarif] [--thorough] [--aggressive [--yes]] [--[no-]local] [--no-deps]

Without --live: inspects the configuration, the data directory's permissions, whether .env or
the data directory are tracked by git, and dependency advisories (npm audit; --no-deps skips it).
Prints findings by severity; exits 1 when any finding is critical.

With --live URL: attacks the running instance at URL from here, with the probes Hearth's own
tests use (routes, headers, TLS, cookies, CORS, rate limits, webhooks, error leaks), and prints
each finding with its evidence (secrets masked) and fix; exits 1 on any high or critical finding.
When URL is this machine (loopback), the checks above run too (--no-local skips them, --local forces them).
  --api-key FILE         an API key (query-string and role checks; an admin or owner key for --aggressive)
  --service-key FILE     HEARTH_SERVICE_KEY, to check that it opens /metrics and /api/observability
  --webhook-secret N=F   the secret of webhook N, to check that a replayed delivery is refused
  --ca FILE              trust this CA certificate (PEM) too
  --json | --sarif       machine-readable report (SARIF 2.1.0 for code-scanning dashboards)
  --thorough             wait out the instance's rate limits instead of stopping (about 30 minutes
                         at the default limits)
  --aggressive           also create and delete throwaway data (notes traversal, injection screen,
                         shell policy); asks for confirmation, or --yes
See docs/security-audit.md.`,
  async run(args, io) {
    if (args[0] !== 'audit') throw new CliError('usage: hearth security audit [--no-deps] | audit --live URL …', EXIT.usage);
    if (args.some((a) => a === '--live' || a.startsWith('--live='))) return (await import('./security-live.js')).runLiveCommand(args, io);
    const findings = auditPosture({
      env: io.env,
      cwd: io.cwd,
      ...(args.includes('--no-deps') ? {} : { dependencyAudit: () => npmAudit(io.cwd) }),
    });
    if (findings.length === 0) println(io.stdout, 'no findings');
    for (const f of findings)
      println(io.stdout, `${f.severity.toUpperCase().padEnd(8)} ${f.check}: ${f.message}${f.fix ? ` — fix: ${f.fix}` : ''}`);
    return findings.some((f) => f.severity === 'critical') ? EXIT.failure : EXIT.ok;
  },
};
