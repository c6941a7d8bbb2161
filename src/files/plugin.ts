import { definePlugin } from '../core/index.js';
import { startTempSweeper } from './temp.js';

/** Sweeps temporary files a crashed write left behind in the data directory. */
export const filesPlugin = definePlugin({
  name: 'files',
  init({ config, logger }) {
    return { close: startTempSweeper(config.dataDir, { onSwept: (n) => logger.info({ removed: n }, 'removed stale temporary files') }) };
  },
});
