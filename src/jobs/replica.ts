import { hostname } from 'node:os';

const SAFE = /^[A-Za-z0-9._:-]{1,64}$/;

/**
 * This process's name among the replicas: HEARTH_REPLICA_ID when set (and well-formed), else
 * `host-pid`. It labels every log line, every /metrics series and the health detail.
 */
export function resolveReplicaId(configured: string | undefined, pid = process.pid): string {
  if (configured && SAFE.test(configured)) return configured;
  const host =
    hostname()
      .replace(/[^A-Za-z0-9.-]/g, '')
      .slice(0, 40) || 'host';
  return `${host}-${pid}`;
}
