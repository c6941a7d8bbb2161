import { HearthError } from '../core/index.js';

export type ClusterErrorCode =
  /** A write under a lease whose holder changed since: a newer replica owns it (fencing). */
  | 'CLUSTER_FENCED'
  /** A bus message over PostgreSQL's NOTIFY payload limit. */
  | 'CLUSTER_MESSAGE_TOO_LARGE';

export class ClusterError extends HearthError<ClusterErrorCode> {}
