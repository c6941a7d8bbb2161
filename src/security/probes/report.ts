import type { LiveAuditReport } from './audit.js';
import { SEVERITIES, type LiveFinding, type Severity } from './types.js';

const LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = {
  critical: 'error',
  high: 'error',
  medium: 'warning',
  low: 'note',
  info: 'note',
};
/** GitHub code scanning reads `security-severity` (0–10) to rank security results. */
const SCORE: Record<Severity, string> = { critical: '9.5', high: '8.0', medium: '5.5', low: '3.0', info: '0.0' };

function countBySeverity(findings: readonly LiveFinding[]): Record<Severity, number> {
  const counts = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  for (const f of findings) counts[f.severity]++;
  return counts;
}

/** True when the run must exit non-zero: any high or critical finding. */
export function failsAudit(findings: readonly LiveFinding[]): boolean {
  return findings.some((f) => f.severity === 'critical' || f.severity === 'high');
}

// C0 and C1 control characters but newline and tab.
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

const indent = (text: string, by: string) =>
  text
    .split('\n')
    .map((l) => by + l)
    .join('\n');

/** A response for the terminal: its status, the headers the finding names, and the start of the body (JSON and SARIF keep it whole). */
function briefResponse(response: string, f: LiveFinding): string {
  const [status = '', ...rest] = response.split('\n');
  const blank = rest.indexOf('');
  const headers = blank < 0 ? rest : rest.slice(0, blank);
  const about = ` ${`${f.id} ${f.subject} ${f.message}`.toLowerCase().replace(/[^a-z-]+/g, ' ')} `;
  const named = headers.filter((h) => about.includes(` ${h.slice(0, h.indexOf(':')).toLowerCase()} `));
  const body = blank < 0 ? [] : rest.slice(blank + 1, blank + 4);
  return [status, ...named, ...(body.length ? ['', ...body] : [])].join('\n');
}

/** The report for a terminal: a summary line, then each finding with its fix and first evidence. */
export function formatText(report: LiveAuditReport, hostFindings: readonly LiveFinding[] = []): string {
  const all = [...report.findings, ...hostFindings];
  const counts = countBySeverity(all);
  const out = [
    `Hearth security audit of ${report.target} (${report.mode}${report.thorough ? ', thorough' : ''})`,
    `${report.requests} requests, ${report.routes} routes, ${(report.durationMs / 1000).toFixed(1)} s; ` +
      SEVERITIES.map((s) => `${counts[s]} ${s}`).join(', '),
    '',
  ];
  const section = (title: string, findings: readonly LiveFinding[]) => {
    if (findings.length === 0) return;
    out.push(title, '');
    for (const f of findings) {
      out.push(`${f.severity.toUpperCase().padEnd(8)} ${f.id}${f.subject ? ` [${f.subject}]` : ''}: ${f.message}`);
      if (f.fix) out.push(`         fix: ${f.fix}`);
      const e = f.evidence[0];
      if (e)
        out.push(indent(e.request.split('\n').slice(0, 8).join('\n'), '         > '), indent(briefResponse(e.response, f), '         < '));
      out.push('');
    }
  };
  section('Over HTTP', report.findings);
  section('On its host', hostFindings);
  if (all.length === 0) out.push('no findings', '');
  // Nothing the audited server sent may steer the terminal (escape sequences, carriage returns).
  return out.join('\n').replace(CONTROL, '');
}

export function formatJson(report: LiveAuditReport, hostFindings: readonly LiveFinding[] = []): string {
  return JSON.stringify({ ...report, hostFindings, summary: countBySeverity([...report.findings, ...hostFindings]) }, null, 2);
}

function webRequest(text: string) {
  const [line = '', ...rest] = text.split('\n');
  const blank = rest.indexOf('');
  const headerLines = blank < 0 ? rest : rest.slice(0, blank);
  const [method, target, protocol] = line.split(' ');
  return {
    protocol: (protocol?.split('/')[0] ?? 'HTTP').toLowerCase(),
    version: protocol?.split('/')[1] ?? '1.1',
    method,
    target,
    headers: Object.fromEntries(headerLines.map((h) => [h.slice(0, h.indexOf(':')), h.slice(h.indexOf(':') + 1).trim()])),
    ...(blank >= 0 ? { body: { text: rest.slice(blank + 1).join('\n') } } : {}),
  };
}

function webResponse(text: string) {
  const [line = '', ...rest] = text.split('\n');
  const blank = rest.indexOf('');
  const headerLines = blank < 0 ? rest : rest.slice(0, blank);
  const status = Number(line.split(' ')[1]);
  return {
    protocol: 'http',
    version: '1.1',
    ...(Number.isInteger(status) ? { statusCode: status } : { noResponseReceived: true }),
    headers: Object.fromEntries(headerLines.map((h) => [h.slice(0, h.indexOf(':')), h.slice(h.indexOf(':') + 1).trim()])),
    ...(blank >= 0 ? { body: { text: rest.slice(blank + 1).join('\n') } } : {}),
  };
}

/** SARIF 2.1.0 for code-scanning dashboards: one rule per finding id, one result per finding, the evidence as webRequest/webResponse. */
export function formatSarif(report: LiveAuditReport, hostFindings: readonly LiveFinding[] = []): string {
  const all = [...report.findings, ...hostFindings];
  const rules = [...new Map(all.map((f) => [f.id, f])).values()].map((f) => ({
    id: f.id,
    name: f.id.replace(/[^A-Za-z0-9]+(.)/g, (_m, c: string) => c.toUpperCase()),
    shortDescription: { text: f.message.slice(0, 120) },
    help: { text: f.fix },
    defaultConfiguration: { level: LEVEL[f.severity] },
    properties: { 'security-severity': SCORE[f.severity], tags: ['security'] },
  }));
  const results = all.map((f) => {
    const e = f.evidence[0];
    const target = e && /^[A-Z]+ \//.test(e.request) ? e.request.split(' ')[1] : '';
    const uri = new URL(target ?? '/', report.target).href;
    return {
      ruleId: f.id,
      ruleIndex: rules.findIndex((r) => r.id === f.id),
      level: LEVEL[f.severity],
      message: { text: `${f.message}. Fix: ${f.fix}` },
      locations: [{ physicalLocation: { artifactLocation: { uri } } }],
      partialFingerprints: { findingId: `${f.id}/${f.subject}` },
      properties: { severity: f.severity, subject: f.subject },
      ...(e && /^[A-Z]+ \//.test(e.request) ? { webRequest: webRequest(e.request), webResponse: webResponse(e.response) } : {}),
    };
  });
  return JSON.stringify(
    {
      $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
      version: '2.1.0',
      runs: [
        {
          tool: { driver: { name: 'hearth-security-audit', rules } },
          invocations: [
            {
              executionSuccessful: true,
              startTimeUtc: report.startedAt,
              endTimeUtc: new Date(Date.parse(report.startedAt) + report.durationMs).toISOString(),
            },
          ],
          results,
        },
      ],
    },
    null,
    2,
  );
}
