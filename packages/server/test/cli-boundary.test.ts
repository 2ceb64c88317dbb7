/**
 * The CLI is a client of the HTTP API like any other: its commands use the SDK, never the
 * server's code, so what the CLI can do a user's program can do with the SDK. The one exception
 * is `serve` (serve-command.ts), which starts the server in this process. Checked on the import
 * statements of src/cli/, static and dynamic.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { test } from 'node:test';

const CLI = resolve(import.meta.dirname, '../src/cli');
const SRC = resolve(CLI, '..');

/** What any command file may import besides its siblings in src/cli. */
const ALLOWED_PACKAGES = new Set([
  '@agentd/sdk',
  // The manifest parser and validator of `agentd validate`, offline (the SDK's client entry
  // leaves it out: it pulls in ajv and yaml).
  '@agentd/protocol/manifest',
  // The workflow definition checker of `agentd validate`, offline likewise (it pulls in jsonata).
  '@agentd/protocol/workflow',
  'commander',
]);
/** The server files `serve` starts, and nothing else may reach. */
const SERVE_COMMAND = 'serve-command.ts';
const SERVE_IMPORTS = new Set(['config.ts', 'config-section-names.ts', 'server.ts']);

const IMPORT = /(?:^|[^.\w$])(?:import|export)\s*(?:type\s+)?(?:[\w$*{}\s,]+?\s*from\s*)?['"]([^'"\n]+)['"]|\bimport\s*\(\s*['"]([^'"\n]+)['"]\s*\)/g;

function importsOf(file: string): string[] {
  const code = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  return [...code.matchAll(IMPORT)].map((m) => m[1] ?? m[2]);
}

test('src/cli imports the SDK, commander and node: only; only serve-command.ts reaches into the server', () => {
  const files = readdirSync(CLI, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
  assert.ok(files.length > 10 && files.includes(SERVE_COMMAND), `src/cli holds ${files.join(', ')}`);
  const wrong: string[] = [];
  const serveReaches = new Set<string>();
  for (const name of files) {
    const file = join(CLI, name);
    for (const spec of importsOf(file)) {
      if (spec.startsWith('node:') || ALLOWED_PACKAGES.has(spec)) continue;
      if (spec.startsWith('.')) {
        const target = resolve(CLI, name, '..', spec);
        if (!relative(CLI, target).startsWith('..')) continue;
        if (name === SERVE_COMMAND && SERVE_IMPORTS.has(relative(SRC, target))) {
          serveReaches.add(relative(SRC, target));
          continue;
        }
      }
      wrong.push(`src/cli/${name} imports '${spec}'`);
    }
  }
  assert.deepEqual(wrong, [], 'the CLI takes the server only through `serve`; other commands go through @agentd/sdk');
  // The walk sees the imports it allows, too (a pattern that matched nothing would pass anything).
  assert.deepEqual([...serveReaches].sort(), [...SERVE_IMPORTS].sort(), 'serve-command.ts imports ../config.ts, ../config-section-names.ts and ../server.ts');
});

test('a client command loads neither the server nor its schemas: `agentd --help` starts on the CLI, the SDK and commander', () => {
  const bin = resolve(SRC, '../bin/agentd.js');
  const hook = resolve(import.meta.dirname, 'fixtures/loaded-modules.ts');
  const r = spawnSync(process.execPath, ['--import', hook, bin, '--help'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const loaded: string[] = JSON.parse(r.stderr.trimEnd().split('\n').at(-1)!);
  const server = loaded.filter((u) => u.includes('/packages/server/src/') && !u.includes('/packages/server/src/cli/') && !u.endsWith('/config-section-names.ts'));
  const heavy = loaded.filter((u) => /\/node_modules\/(typebox|kysely|fastify|pg|ajv|yaml|jsonata)\//.test(u) || u.includes('/packages/protocol/src/schemas/'));
  assert.deepEqual(server, [], 'server modules loaded for --help');
  assert.deepEqual(heavy, [], 'schemas, database or HTTP framework modules loaded for --help');
  assert.ok(loaded.some((u) => u.includes('/packages/server/src/cli/main.ts')), 'the walk saw the CLI itself');
});
