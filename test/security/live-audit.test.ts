import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, type Dirent } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join, relative } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { runLiveAudit, type LiveAuditReport } from '../../src/security/probes/index.js';
import { startHearthImitation, type HearthImitation, type ImitationFlaw } from '../fakes/hearth-imitation.js';
import { startTestHearth, type TestHearth } from '../support/hearth.js';
import { STRONG, userWithKey } from '../identity/helpers.js';
import { selfSignedCertificate } from '../support/certificates.js';

/** Each finding as `id [subject]`, the unit "exactly the expected findings" is counted in. */
const ids = (r: LiveAuditReport) => r.findings.map((f) => `${f.id} [${f.subject}]`).sort();
const above = (r: LiveAuditReport, levels: string[]) => r.findings.filter((f) => levels.includes(f.severity));

let t: TestHearth | undefined;
let fake: HearthImitation | undefined;
afterEach(async () => {
  await t?.close();
  await fake?.close();
  t = undefined;
  fake = undefined;
});

async function listening(env: Record<string, string> = {}): Promise<{ url: string; hearth: TestHearth }> {
  t = await startTestHearth({ env });
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  const port = (t.app.server.address() as AddressInfo).port;
  return { url: `${t.config.HEARTH_TLS_CERT_FILE ? 'https' : 'http'}://127.0.0.1:${port}`, hearth: t };
}

/** Rows per table, to tell what a run left in the database. */
function rowCounts(db: BetterSqlite3.Database): Record<string, number> {
  const tables = db.prepare("select name from sqlite_master where type = 'table' and name not like 'sqlite_%'").all() as Array<{
    name: string;
  }>;
  return Object.fromEntries(tables.map(({ name }) => [name, (db.prepare(`select count(*) as n from "${name}"`).get() as { n: number }).n]));
}
/** Every file below a directory, relative. */
const filesBelow = (dir: string) =>
  (readdirSync(dir, { recursive: true, withFileTypes: true }) as Dirent[])
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();

/** What a default instance on loopback shows: nothing above low, and what Hearth leaves off by default. */
const DEFAULT_FINDINGS = (origin: string) => [
  'audit.not-reached [' + origin + ']',
  'observability.off [HEARTH_SERVICE_KEY]',
  'transport.plain-http [' + origin + ']',
  'webhooks.disabled [erasure]',
  'webhooks.disabled [invalidate]',
];

describe('#23 hearth security audit --live against real configurations (CFG-5)', () => {
  it('#23.1 a default instance: no finding above low, the run bounded and quick to finish', async () => {
    const { url } = await listening();
    const report = await runLiveAudit({ url });
    expect(above(report, ['critical', 'high', 'medium'])).toEqual([]);
    expect(ids(report)).toEqual(DEFAULT_FINDINGS(new URL(url).origin).sort());
    // Safe mode stops a kind of request at the instance's first 429 instead of hammering it.
    expect(report.requests).toBeLessThan(250);
    expect(report.routes).toBeGreaterThan(50);
  });

  it('#23.35 safe by default: every write it sends is refused, nothing is stored but the audit trail, no account is locked (AUTH-3)', async () => {
    const { url, hearth } = await listening();
    await hearth.hearth.identity.createUser({ name: 'ivy', password: STRONG, role: 'owner' });
    const db = new BetterSqlite3(join(hearth.dataDir, 'hearth.db'), { readonly: true });
    const rows = () => rowCounts(db);
    try {
      const before = rows();
      hearth.logs.lines.length = 0;
      expect(above(await runLiveAudit({ url }), ['critical', 'high', 'medium'])).toEqual([]);
      const after = rows();
      const changed = Object.keys(after).filter((name) => after[name] !== before[name]);
      // The audit trail's record of the failed login: its entry, and the key sealing the (random) name it tried.
      expect(changed.sort()).toEqual(['audit_log', 'audit_subjects', 'vault_data_keys']);
      const answers = hearth.logs
        .records()
        .map((l) => l.res as { method?: string; url?: string; statusCode?: number } | undefined)
        .filter((r) => r?.statusCode !== undefined && r.method !== undefined);
      const writes = answers.filter((r) => !['GET', 'HEAD', 'OPTIONS'].includes(r!.method!));
      expect(writes.length).toBeGreaterThan(10);
      expect(writes.filter((r) => r!.statusCode! < 400).map((r) => `${r!.method} ${r!.url} ${r!.statusCode}`)).toEqual([]);
      // The owner signs in afterwards (from an address whose budget the audit did not spend): not locked.
      const login = await hearth.app.inject({
        method: 'POST',
        url: '/api/auth/login',
        payload: { name: 'ivy', password: STRONG },
        remoteAddress: '192.0.2.44',
      });
      expect(login.statusCode).toBe(200);
    } finally {
      db.close();
    }
  });

  it('#23.2 development mode with CORS * is flagged (HTTP-2)', async () => {
    const { url } = await listening({ HEARTH_ALLOWED_ORIGINS: '*' });
    const report = await runLiveAudit({ url });
    expect(ids(report)).toEqual([...DEFAULT_FINDINGS(new URL(url).origin), 'cors.wildcard [Access-Control-Allow-Origin]'].sort());
    expect(report.findings.find((f) => f.id === 'cors.wildcard')?.severity).toBe('high');
  });

  it('#23.3 plain HTTP behind a claimed proxy: the client is believed about its protocol and address', async () => {
    const { url } = await listening({
      HEARTH_ENV: 'production',
      HEARTH_MASTER_KEY: randomBytes(32).toString('hex'),
      HEARTH_TRUSTED_PROXIES: '127.0.0.1',
    });
    const report = await runLiveAudit({ url });
    const origin = new URL(url).origin;
    expect(ids(report)).toEqual([...DEFAULT_FINDINGS(origin), `transport.forwarded-headers-trusted [${origin}]`].sort());
    const finding = report.findings.find((f) => f.id === 'transport.forwarded-headers-trusted')!;
    expect(finding.evidence[0]?.request).toContain('x-forwarded-proto: https');
    expect(finding.evidence[0]?.response).toContain('strict-transport-security');
  });

  it('#23.4 a webhook left without a secret is flagged; the one with its secret refuses unsigned, stale and replayed deliveries (HOOK-1)', async () => {
    const { url, hearth } = await listening();
    const secret = await hearth.hearth.webhooks.createSecret('erasure');
    const report = await runLiveAudit({ url, webhookSecrets: new Map([['erasure', secret]]) });
    expect(ids(report).filter((i) => i.startsWith('webhooks.'))).toEqual(['webhooks.disabled [invalidate]']);
    expect(ids(report)).toEqual(DEFAULT_FINDINGS(new URL(url).origin).filter((i) => i !== 'webhooks.disabled [erasure]'));
    // The secret never appears in the evidence; the signature header is masked.
    expect(JSON.stringify(report)).not.toContain(secret);
    // The replayed delivery was refused with 409 and nothing was erased.
    expect(hearth.logs.lines.some((l) => l.includes('"statusCode":409'))).toBe(true);
  });

  it('#23.5 observability without a service key is flagged; with it set and given, not (HTTP-7)', async () => {
    const serviceKey = randomBytes(24).toString('hex');
    const { url } = await listening({ HEARTH_SERVICE_KEY: serviceKey });
    const report = await runLiveAudit({ url, serviceKey });
    expect(ids(report)).toEqual(DEFAULT_FINDINGS(new URL(url).origin).filter((i) => !i.startsWith('observability.')));
    expect(JSON.stringify(report)).not.toContain(serviceKey);
  });

  it('#23.6 production mode behind TLS (a self-signed certificate, trusted with --ca): no finding above low', async () => {
    const { cert, key } = selfSignedCertificate({ days: 30, commonName: '127.0.0.1', subjectAltName: 'IP:127.0.0.1,DNS:localhost' });
    const serviceKey = randomBytes(24).toString('hex');
    const { url, hearth } = await listening({
      HEARTH_ENV: 'production',
      HEARTH_MASTER_KEY: randomBytes(32).toString('hex'),
      HEARTH_TLS_CERT_FILE: cert,
      HEARTH_TLS_KEY_FILE: key,
      HEARTH_SERVICE_KEY: serviceKey,
    });
    const webhookSecrets = new Map<string, string>();
    for (const name of ['erasure', 'invalidate']) webhookSecrets.set(name, await hearth.hearth.webhooks.createSecret(name));
    const report = await runLiveAudit({ url, ca: readFileSync(cert), serviceKey, webhookSecrets });
    expect(above(report, ['critical', 'high', 'medium'])).toEqual([]);
    expect(ids(report)).toEqual([`audit.not-reached [${new URL(url).origin}]`]);
  });

  it('#23.7 an https certificate that does not verify is high, and credentials are withheld from that run', async () => {
    const { cert, key } = selfSignedCertificate({ days: 30, commonName: '127.0.0.1', subjectAltName: 'IP:127.0.0.1' });
    const serviceKey = randomBytes(24).toString('hex');
    const { url, hearth } = await listening({ HEARTH_TLS_CERT_FILE: cert, HEARTH_TLS_KEY_FILE: key, HEARTH_SERVICE_KEY: serviceKey });
    const report = await runLiveAudit({ url, serviceKey });
    expect(report.findings.find((f) => f.id === 'tls.certificate')?.severity).toBe('high');
    expect(report.findings.some((f) => f.id === 'audit.credentials-withheld')).toBe(true);
    // The service key was never sent: every observability request was refused as anonymous.
    expect(hearth.logs.lines.filter((l) => l.includes('/metrics') && l.includes('"statusCode":200'))).toEqual([]);
  });
});

describe('#23 hearth security audit --live --aggressive (an owner key)', () => {
  it('#23.18 notes traversal, the injection screen and the shell policy hold, and everything made is deleted (MEM-1, LLM-2, EXEC-1)', async () => {
    const { url, hearth } = await listening();
    const { key } = await userWithKey(hearth, 'boss', 'owner', ['read', 'write', 'chat', 'admin']);
    const db = new BetterSqlite3(join(hearth.dataDir, 'hearth.db'), { readonly: true });
    const before = { rows: rowCounts(db), files: filesBelow(hearth.dataDir).filter((f) => !f.startsWith('hearth.db')) };
    const report = await runLiveAudit({ url, apiKey: key, aggressive: true });
    expect(ids(report)).toEqual(DEFAULT_FINDINGS(new URL(url).origin).sort());
    // Nothing it made is left in the database (but the audit trail) or the data directory.
    const rows = rowCounts(db);
    db.close();
    const trail = new Set(['audit_log', 'audit_subjects', 'audit_head', 'vault_data_keys']);
    expect(Object.keys(rows).filter((n) => !trail.has(n) && rows[n] !== before.rows[n])).toEqual([]);
    expect(filesBelow(hearth.dataDir).filter((f) => !f.startsWith('hearth.db'))).toEqual(before.files);
    expect(JSON.stringify(report)).not.toContain(key);
    // It really ran: the screen refused the injection, the notes store refused the paths.
    expect(hearth.logs.lines.some((l) => l.includes('prompt-injection screen flagged a message'))).toBe(true);
    expect(
      hearth.logs.lines.filter((l) => /"statusCode":400,"method":"PUT","url":"\/api\/familiars\/[^/]+\/notes\/content"/.test(l)).length,
    ).toBeGreaterThan(20);
    // Nothing it made is left: no familiar, so no conversation either.
    expect(await hearth.hearth.familiars.list()).toEqual([]);
  });

  it('#23.19 with a member key the aggressive probes are skipped, and say why', async () => {
    const { url, hearth } = await listening();
    const { key } = await userWithKey(hearth, 'mia', 'member', ['read', 'write']);
    const report = await runLiveAudit({ url, apiKey: key, aggressive: true });
    expect(report.findings.find((f) => f.id === 'aggressive.skipped')?.message).toContain('given: member');
  });
});

describe('#23 hearth security audit --live against imitations of what Hearth never allows', () => {
  const secret = `whsec_${randomBytes(16).toString('hex')}`;
  const serviceKey = randomBytes(24).toString('hex');
  const audit = async (flaws: ImitationFlaw[]) => {
    fake = await startHearthImitation({ flaws, webhookSecret: secret, serviceKey });
    return runLiveAudit({ url: fake.url, serviceKey, webhookSecrets: new Map([['invalidate', secret]]) });
  };
  /** What the faithful imitation shows: it has no erasure webhook, and is audited over loopback HTTP. */
  const baseline = () => [`transport.plain-http [${new URL(fake!.url).origin}]`, 'webhooks.disabled [erasure]'];
  const exactly = (report: LiveAuditReport, extra: string[]) => expect(ids(report)).toEqual([...baseline(), ...extra].sort());

  it('#23.8 the faithful imitation shows nothing but the baseline', async () => {
    exactly(await audit([]), []);
  });

  it('#23.9 an admin route answering without credentials is critical, with the exact request as evidence (AUTH-7)', async () => {
    const report = await audit(['admin-open']);
    exactly(report, ['routes.answers-without-credentials [GET /api/users]']);
    const f = report.findings.find((x) => x.id === 'routes.answers-without-credentials')!;
    expect(f.severity).toBe('critical');
    expect(f.evidence[0]?.request).toMatch(/^GET \/api\/users HTTP\/1\.1/);
    expect(f.evidence[0]?.response).toMatch(/^HTTP\/1\.1 200/);
  });

  it('#23.10 missing security headers fire one finding per Observatory rule (HTTP-1)', async () => {
    exactly(await audit(['no-headers']), [
      'headers.corp [corp]',
      'headers.csp [csp]',
      'headers.frameAncestors [frameAncestors]',
      'headers.nosniff [nosniff]',
      'headers.referrer [referrer]',
      'headers.xfo [xfo]',
    ]);
  });

  it('#23.11 a stack trace in an error is found (HTTP-5)', async () => {
    exactly(await audit(['stack-trace']), ['errors.stack-trace [error bodies]']);
  });

  it('#23.12 a limiter that never answers 429 is found after a bounded burst (HTTP-3)', async () => {
    const report = await audit(['no-rate-limit']);
    exactly(report, ['ratelimit.never-429 [GET /api/health]']);
    expect(report.requests).toBeLessThan(500);
  });

  it('#23.13 a webhook that accepts a replay is found (HOOK-1)', async () => {
    const report = await audit(['webhook-replay']);
    exactly(report, ['webhooks.replay-accepted [POST /api/webhooks/invalidate]']);
    const evidence = report.findings.find((f) => f.id === 'webhooks.replay-accepted')!.evidence;
    expect(evidence).toHaveLength(2);
    for (const e of evidence) expect(e.request).toContain('hearth-signature: ••••');
    expect(JSON.stringify(report)).not.toContain(secret);
  });
});
