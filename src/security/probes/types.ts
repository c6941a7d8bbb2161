import { HearthError } from '../../core/index.js';

export type Severity = 'critical' | 'high' | 'medium' | 'low' | 'info';
export const SEVERITIES: readonly Severity[] = ['critical', 'high', 'medium', 'low', 'info'];

/** One HTTP request a probe sends; `path` is sent exactly as written (percent-encoding and case kept). */
export interface ProbeRequest {
  readonly method: string;
  readonly path: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
}

/** What the TLS handshake showed (https only). */
export interface TlsInfo {
  readonly protocol: string | null;
  /** True when the certificate chain verified against the trusted CAs for this host name. */
  readonly authorized: boolean;
  readonly authorizationError?: string;
  readonly validTo?: string;
}

export interface ProbeResponse {
  readonly status: number;
  /** Header names in lower case. */
  readonly headers: Readonly<Record<string, string | string[]>>;
  /** The body as text, cut at the transport's limit. */
  readonly body: string;
  readonly tls?: TlsInfo;
}

/** Sends one request to the instance under audit (real HTTP in the CLI and in Hearth's own tests). */
export type Transport = (request: ProbeRequest) => Promise<ProbeResponse>;

/** A request and its answer, as the report shows them (secrets masked). */
export interface Evidence {
  readonly request: string;
  readonly response: string;
}

/** One problem the audit found, with its proof and the fix. */
export interface LiveFinding {
  /** Stable rule id (e.g. `cors.wildcard`): SARIF's ruleId, what tests compare. */
  readonly id: string;
  readonly severity: Severity;
  /** What it applies to (a route, a webhook name, a header); empty for the whole instance. */
  readonly subject: string;
  readonly message: string;
  readonly fix: string;
  readonly evidence: readonly Evidence[];
}

/** Typed failures of the audit itself (not findings about the instance). */
export class ProbeError extends HearthError<'PROBE_BAD_TARGET' | 'PROBE_UNREACHABLE' | 'PROBE_CREDENTIALS_REQUIRED'> {}

export function headerOf(res: Pick<ProbeResponse, 'headers'>, name: string): string | undefined {
  const v = res.headers[name.toLowerCase()];
  return Array.isArray(v) ? v.join(', ') : v;
}
