import { definePlugin } from '../../core/index.js';
import { auditRetentionJob } from './retention.js';
import { auditRoutes } from './routes.js';

/** The audit log's routes, its retention job, each person's entries in their export and their shredding on erasure (LOG-3, DATA-5). */
export const auditPlugin = definePlugin({
  name: 'audit',
  init({ audit, config, logger, now, jobs }) {
    const retention = auditRetentionJob({ audit, days: config.HEARTH_AUDIT_RETENTION_DAYS, logger, now });
    if (retention) jobs.define(retention);
    return {
      routes: [auditRoutes({ audit })],
      contributes: {
        personData: [
          {
            part: 'audit',
            export: async (userId) => ({ audit: await audit.list({ userId, limit: 10_000 }) }),
            // Crypto-shredding: the entries stay (the chain verifies), what they say of the person cannot be read.
            erase: (userId) => audit.erasePerson(userId),
            // A merged person's entries count as the account's: in its export, shredded with it.
            reassign: (from, to) => audit.reassignPerson(from, to),
          },
        ],
      },
    };
  },
});
