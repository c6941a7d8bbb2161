import { definePlugin } from '../core/index.js';
import { tempSweepJob } from './temp.js';

/** Sweeps temporary files a crashed write left behind in the data directory. */
export const filesPlugin = definePlugin({
  name: 'files',
  init({ config, logger, jobs }) {
    jobs.define(tempSweepJob(config.dataDir, { onSwept: (n) => logger.info({ removed: n }, 'removed stale temporary files') }));
    return {};
  },
});
