import type { Reporter, TestModule } from 'vitest/node';
import { CORPORA_DIR, CORPORA_LABEL } from './corpora.js';

/** Prints one line per run naming the suites skipped because the shared corpora are absent (see corpora.ts). */
export default class CorpusReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const skipped: string[] = [];
    for (const module of testModules) {
      for (const suite of module.children.allSuites()) {
        if (suite.meta().corpus?.missing && suite.state() === 'skipped') skipped.push(`${module.relativeModuleId} › ${suite.fullName}`);
      }
    }
    if (skipped.length === 0) return;
    const where = CORPORA_LABEL === CORPORA_DIR ? CORPORA_LABEL : `${CORPORA_LABEL} (${CORPORA_DIR})`;
    console.log(
      `\nskipped ${skipped.length} corpus suite${skipped.length === 1 ? '' : 's'}: ${where} not found ` +
        `(their protections still run in corpus-free tests; to run them too, put the corpora there or point HEARTH_TEST_CORPORA at them):\n` +
        skipped.map((s) => `  - ${s}`).join('\n'),
    );
  }
}
