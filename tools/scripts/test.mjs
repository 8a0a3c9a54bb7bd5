#!/usr/bin/env node
// The whole test suite: lint, type checks, unit and integration tests of
// every project, and the end-to-end suite, through Nx. Ends with one summary
// line over all jest runs ("Tests: N passed, N failed, N skipped").
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const resultsDir = join(root, 'tmp/test-results');
rmSync(resultsDir, { recursive: true, force: true });

const targets = process.argv.slice(2).length ? process.argv.slice(2) : ['lint', 'typecheck', 'test', 'e2e'];
const run = spawnSync(
  'npx',
  ['nx', 'run-many', '-t', ...targets, '--parallel=2', '--skip-nx-cache', '--outputStyle=stream'],
  { cwd: root, stdio: 'inherit', env: { ...process.env, NX_DAEMON: 'false' } },
);

const totals = { passed: 0, failed: 0, skipped: 0 };
if (existsSync(resultsDir)) {
  for (const file of readdirSync(resultsDir)) {
    const r = JSON.parse(readFileSync(join(resultsDir, file), 'utf8'));
    totals.passed += r.passed;
    totals.failed += r.failed;
    totals.skipped += r.skipped;
  }
}
const exitCode = run.status ?? 1;
// A failing type check or a crashed runner fails the suite even when no jest test failed.
if (exitCode !== 0 && totals.failed === 0) totals.failed = 1;
if (totals.passed === 0 && exitCode === 0) {
  console.error('no test was executed');
  process.exit(1);
}
console.log(`\nTests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(exitCode);
