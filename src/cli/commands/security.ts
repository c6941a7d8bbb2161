import { auditPosture, npmAudit } from '../../security/posture/index.js';
import { CliError, EXIT, println, type Command } from '../io.js';

export const securityCommand: Command = {
  name: 'security',
  summary: 'Audit this installation: configuration, permissions, git status, advisories',
  usage: `Usage: hearth security audit [--no-deps]

Inspects the configuration, the data directory's permissions, whether .env or the data
directory are tracked by git, and dependency advisories (npm audit; --no-deps skips it).
Prints findings by severity; exits 1 when any finding is critical.`,
  async run(args, io) {
    if (args[0] !== 'audit') throw new CliError('usage: hearth security audit [--no-deps]', EXIT.usage);
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
