/** The cluster concern (#19): one owner per bot connection, messages and cache invalidation between replicas. */
export { clusterPlugin, createClusterPlugin, type Cluster } from './plugin.js';
export { createLeases, type Lease } from './lease.js';
export { createSharedState, leasedState, memoryState, type LeasedState } from './state.js';
export { createOutbox } from './outbox.js';
export type { ClusterTables } from './migrations.js';
export { ClusterError } from './errors.js';
