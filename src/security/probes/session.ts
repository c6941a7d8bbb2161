import { setTimeout as sleepFor } from 'node:timers/promises';
import { evidenceOf } from './evidence.js';
import { headerOf, type Evidence, type LiveFinding, type ProbeRequest, type ProbeResponse, type Transport } from './types.js';

/** The kinds of request rate limits count separately: anonymous reads, writes and probes of unknown paths, and signed-in requests. */
export type Budget = 'read' | 'write' | 'probe' | 'signed-in';

export interface Exchange {
  readonly request: ProbeRequest;
  readonly response: ProbeResponse;
}

export interface SessionOptions {
  readonly base: URL;
  readonly transport: Transport;
  /** Wait out a 429 (its Retry-After) and retry, instead of stopping that kind of request. */
  readonly thorough?: boolean;
  /** Longest total wait in thorough mode (default 45 minutes: at Hearth's 10 anonymous writes a minute a full walk of its 137 routes takes about 30). */
  readonly maxWaitMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

const MAX_EVIDENCE = 3;
const MAX_EXCHANGES = 5_000;

/**
 * What every probe shares: sending (mindful of the instance's rate limits), the exchanges seen
 * (the leak check reads them all) and the findings. Quick mode (the default) stops sending a kind
 * of request at its first 429 and counts the rest as not reached; thorough mode waits and retries.
 */
export function createProbeSession(options: SessionOptions) {
  const { base, transport } = options;
  const sleep = options.sleep ?? ((ms: number) => sleepFor(ms));
  const maxWait = options.maxWaitMs ?? 45 * 60_000;
  const exhausted = new Set<Budget>();
  const exchanges: Exchange[] = [];
  const findings = new Map<string, LiveFinding & { evidence: Evidence[] }>();
  const notReached: string[] = [];
  const limitedAnswers: Exchange[] = [];
  let waited = 0;
  let sent = 0;

  const budgetOf = (req: ProbeRequest): Budget => (['GET', 'HEAD', 'OPTIONS'].includes(req.method) ? 'read' : 'write');

  /** Sends without any rate-limit handling (the burst of the rate-limit probe). */
  async function raw(request: ProbeRequest): Promise<ProbeResponse> {
    sent++;
    const response = await transport(request);
    if (exchanges.length < MAX_EXCHANGES) exchanges.push({ request, response });
    return response;
  }

  /** Sends one probe; undefined when the instance's rate limit kept it from being checked. */
  async function send(request: ProbeRequest, budget: Budget = budgetOf(request)): Promise<ProbeResponse | undefined> {
    for (;;) {
      if (exhausted.has(budget)) return undefined;
      const response = await raw(request);
      if (response.status !== 429) return response;
      limitedAnswers.push({ request, response });
      const retryAfter = Number(headerOf(response, 'retry-after') ?? 60);
      const ms = Math.min(Number.isFinite(retryAfter) ? retryAfter : 60, 65) * 1000 + 250;
      if (!options.thorough || waited + ms > maxWait) {
        exhausted.add(budget);
        return undefined;
      }
      waited += ms;
      await sleep(ms);
    }
  }

  return {
    base,
    send,
    raw,
    exchanges,
    notReached,
    limitedAnswers,
    get requestsSent() {
      return sent;
    },
    get waitedMs() {
      return waited;
    },
    evidence: (req: ProbeRequest, res: ProbeResponse | undefined) => evidenceOf(base, req, res),
    /** Adds a finding; the same id and subject again only adds evidence. */
    report(finding: Omit<LiveFinding, 'evidence'> & { evidence?: readonly Evidence[] }) {
      const key = `${finding.id}\u0000${finding.subject}`;
      const known = findings.get(key);
      if (known) {
        for (const e of finding.evidence ?? []) if (known.evidence.length < MAX_EVIDENCE) known.evidence.push(e);
        return;
      }
      findings.set(key, { ...finding, evidence: [...(finding.evidence ?? [])].slice(0, MAX_EVIDENCE) });
    },
    findings: (): LiveFinding[] => [...findings.values()],
  };
}

export type ProbeSession = ReturnType<typeof createProbeSession>;
