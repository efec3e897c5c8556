import { configDefaults, defineConfig } from 'vitest/config';

/** Pure tests: no system tool, no child process; `npm run test:unit` runs only these. */
const UNIT = ['test/unit/**/*.test.ts', 'protocols/**/*.test.ts', 'agent/**/*.test.ts', 'cloud/**/*.test.ts', 'simulators/**/*.test.ts'];
/** Unit tests that also run a system tool (xmllint): in the full run only. */
const NEEDS_TOOLS = ['test/unit/dga-soap.test.ts'];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Two files at a time: most of an integration test is waiting on child processes, sockets and
    // timers (a serial run kept the CPU busy about 70 % of its wall time), and vitest's default on
    // 2 cores is one worker. One figure for both projects (vitest runs them together only then).
    maxWorkers: 2,
    reporters: ['default'],
    // `npm test` (bin/system-deps.mjs first) runs both; `npm run test:unit` only the first.
    projects: [
      { extends: true, test: { name: 'unit', pool: 'threads', include: UNIT, exclude: [...configDefaults.exclude, ...NEEDS_TOOLS] } },
      { extends: true, test: { name: 'integration', include: ['test/!(unit)/**/*.test.ts', ...NEEDS_TOOLS] } },
    ],
  },
});
