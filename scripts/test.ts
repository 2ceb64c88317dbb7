/**
 * `npm test`: every package's node:test suites, on SQLite and PostgreSQL.
 * PostgreSQL comes from AGENTD_TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test);
 * under CI=true it must be reachable, elsewhere its half of the suite is skipped with a notice.
 */
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { globSync } from 'node:fs';
import { resolve } from 'node:path';
import pg from 'pg';

const url = process.env.AGENTD_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
try {
  await client.connect();
  await client.end();
} catch (err) {
  const msg = `PostgreSQL is not reachable at ${url}: ${(err as Error).message}`;
  if (process.env.CI === 'true') {
    process.stderr.write(`${msg}\nCI=true requires it (see README: Running the tests).\n`);
    process.exit(1);
  }
  process.stderr.write(`${msg}\nThe PostgreSQL half of the suite will be skipped.\n`);
}

// The SDK suites first: each is one long file (a venv, pytest against its own servers) that then runs
// beside the many short ones instead of alone at the end of the run.
const files =
  process.argv.slice(2).length > 0 ? process.argv.slice(2) : [...globSync('sdks/*/test/**/*.test.ts').sort(), ...globSync('packages/*/test/**/*.test.ts').sort()];
// @agentd/* resolve to their TypeScript sources in every process of the run (the test files and
// the servers, workers and scripts they start): NODE_OPTIONS reaches them all, a flag only this one.
const nodeOptions = [process.env.NODE_OPTIONS, '--conditions=@agentd/source'].filter(Boolean).join(' ');
// Node's compile cache (the type-stripped, compiled sources), shared by every process of the run and
// kept between runs: each test file and each server or worker it starts would otherwise strip and
// compile the same few hundred files again (half a server's start-up). Entries are checked against
// the source, so an edited file is compiled afresh.
const compileCache = process.env.NODE_COMPILE_CACHE ?? resolve(import.meta.dirname, '../node_modules/.cache/agentd-node-compile');
// Test files at once: most of a file's time is spent waiting (servers starting, timers, fsync,
// child processes), so two per core keep the CPU busy without starving any: on two cores a clean
// clone's suite took 555 s with four, 598 s with three and 640–770 s with two (AGENTD_TEST_CONCURRENCY
// to change it).
// At most eight: each file has PostgreSQL databases of its own with pools of up to ten connections.
const concurrency = process.env.AGENTD_TEST_CONCURRENCY ? Number(process.env.AGENTD_TEST_CONCURRENCY) : Math.min(8, Math.max(2, availableParallelism() * 2));
if (!Number.isInteger(concurrency) || concurrency < 1) {
  process.stderr.write(`AGENTD_TEST_CONCURRENCY must be a positive integer, not ${JSON.stringify(process.env.AGENTD_TEST_CONCURRENCY)}\n`);
  process.exit(2);
}
const child = spawn(process.execPath, ['--test', '--test-reporter=tap', `--test-concurrency=${concurrency}`, '--test-timeout=180000', ...files], {
  stdio: 'inherit',
  // Every server a test starts fails a query on a tenant table that names no tenant (config.ts).
  env: { ...process.env, NODE_OPTIONS: nodeOptions, NODE_COMPILE_CACHE: compileCache, AGENTD_CHECK_TENANT_SCOPE: '1' },
});
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
