/**
 * The server's dependency rules (docs/architecture.md), checked on the source:
 * - a folder is used by another only through its index.ts;
 * - the folders' runtime imports form no cycle (type-only imports are erased and may cross);
 * - core/ imports no other folder; store/ only core/; http/ only core/ and store/ at runtime;
 * - a concept folder imports a root module (engine.ts…) for types only; cli/ is the binary's
 *   entry and may import the root;
 * - nothing outside store/ knows which dialect runs: no `capabilities.dialect`, no comparison
 *   with a dialect's name, no import of store/sqlite/ or store/postgres/ (the queries that differ
 *   are `store.queries`, see store/dialect-queries.ts).
 */
import assert from 'node:assert/strict';
import { readFileSync, globSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';

const SRC = fileURLToPath(new URL('../src/', import.meta.url));
const ROOT = '(root)';

interface Edge {
  from: string;
  to: string;
  typeOnly: boolean;
}

/** Static and dynamic relative imports and re-exports of one file, as paths relative to src/. */
export function importsOf(file: string, text: string): Edge[] {
  const edges: Edge[] = [];
  const statement = /^\s*(import|export)(\s+type)?\s[^;]*?\sfrom\s+'(\.[^']+)'/gm;
  for (const m of text.matchAll(statement)) {
    edges.push({ from: file, to: normalize(join(dirname(file), m[3])), typeOnly: Boolean(m[2]) || m[1] === 'export' && /^\s*export\s+type\s/.test(m[0]) });
  }
  for (const m of text.matchAll(/\bimport\(\s*'(\.[^']+)'\s*\)/g)) {
    // `import('x').T` in a type position is erased; only a call that is awaited or assigned loads code.
    const typePosition = /^\s*\.\s*[A-Z]/.test(text.slice((m.index ?? 0) + m[0].length));
    edges.push({ from: file, to: normalize(join(dirname(file), m[1])), typeOnly: typePosition });
  }
  return edges;
}

const folderOf = (path: string): string => (path.includes('/') ? path.split('/')[0] : ROOT);

/** Every broken rule, as one readable line each. */
export function violations(edges: Edge[]): string[] {
  const out: string[] = [];
  const layers: Record<string, ReadonlySet<string>> = {
    core: new Set(),
    store: new Set(['core']),
    http: new Set(['core', 'store']),
  };
  const graph = new Map<string, Set<string>>();
  for (const e of edges) {
    const a = folderOf(e.from);
    const b = folderOf(e.to);
    if (a === b) continue;
    if (b !== ROOT && e.to !== `${b}/index.ts`) out.push(`${e.from} imports ${e.to}: use ${b}/index.ts`);
    if (b === ROOT && a !== ROOT && a !== 'cli' && !e.typeOnly) out.push(`${e.from} imports the root module ${e.to} at runtime`);
    if (e.typeOnly) continue;
    if (layers[a] && !layers[a].has(b)) out.push(`${e.from} imports ${e.to}: ${a}/ may only use ${[...layers[a]].join(', ') || 'no other folder'}`);
    const set = graph.get(a) ?? new Set<string>();
    set.add(b);
    graph.set(a, set);
  }
  // Depth-first search for a cycle among folders (the root and cli sit on top and are left out).
  const state = new Map<string, 'open' | 'done'>();
  const walk = (node: string, path: string[]): void => {
    if (state.get(node) === 'done') return;
    if (state.get(node) === 'open') {
      out.push(`folder cycle: ${[...path.slice(path.indexOf(node)), node].join(' → ')}`);
      return;
    }
    state.set(node, 'open');
    for (const next of graph.get(node) ?? []) if (next !== ROOT && next !== 'cli') walk(next, [...path, node]);
    state.set(node, 'done');
  };
  for (const node of graph.keys()) if (node !== ROOT && node !== 'cli') walk(node, []);
  return out;
}

/** Every place a file outside store/ asks which dialect runs, as one readable line each. */
export function dialectLeaks(file: string, text: string): string[] {
  if (folderOf(file) === 'store') return [];
  const out: string[] = [];
  const rules: [RegExp, string][] = [
    [/\bcapabilities\s*\.\s*dialect\b/, 'reads capabilities.dialect'],
    [/\bdialect\s*[!=]==?/, 'compares a dialect'],
    [/[!=]==?\s*['"](?:postgres|sqlite)['"]/, "compares with a dialect's name"],
  ];
  for (const [re, what] of rules) if (re.test(text)) out.push(`${file} ${what}: use store.queries or a capability`);
  for (const e of importsOf(file, text)) if (/^store\/(?:sqlite|postgres)\//.test(e.to)) out.push(`${file} imports the dialect folder ${e.to}`);
  return out;
}

describe('server import graph', () => {
  it('follows the dependency rules of docs/architecture.md', () => {
    const files = globSync('**/*.ts', { cwd: SRC });
    assert.ok(files.length > 50, `found only ${files.length} files under ${SRC}`);
    const edges = files.flatMap((f) => importsOf(f, readFileSync(join(SRC, f), 'utf8')));
    for (const e of edges) assert.ok(!relative(SRC, join(SRC, e.to)).startsWith('..'), `${e.from} imports outside src/: ${e.to}`);
    assert.deepEqual(violations(edges), []);
  });

  it('keeps every dialect difference inside store/', () => {
    const files = globSync('**/*.ts', { cwd: SRC });
    assert.deepEqual(files.flatMap((f) => dialectLeaks(f, readFileSync(join(SRC, f), 'utf8'))), []);
  });

  it('catches a dialect branch and a dialect import outside store/, and allows them inside', () => {
    const leaks = [
      ...dialectLeaks('leases/x.ts', "const pg = this.#store.capabilities.dialect === 'postgres';"),
      ...dialectLeaks('runs/y.ts', "if (dialect !== 'sqlite') return;"),
      ...dialectLeaks('audit/z.ts', "import { PREPARE } from '../store/postgres/prepared-statements.ts';"),
    ];
    assert.ok(leaks.some((l) => l.includes('reads capabilities.dialect')), leaks.join('\n'));
    assert.ok(leaks.some((l) => l.startsWith('runs/y.ts compares a dialect')), leaks.join('\n'));
    assert.ok(leaks.some((l) => l.includes('imports the dialect folder store/postgres/prepared-statements.ts')), leaks.join('\n'));
    assert.deepEqual(dialectLeaks('store/store.ts', "if (dialect === 'postgres') {}\nimport { a } from './postgres/b.ts';"), []);
  });

  it('catches an import past an index.ts, a cycle, a layer broken and a runtime import of the root', () => {
    const edges = [
      ...importsOf('runs/run-service.ts', "import { x } from '../approvals/approval-service.ts';\nimport type { Engine } from '../engine.ts';"),
      ...importsOf('approvals/approval-service.ts', "import { y } from '../runs/index.ts';"),
      ...importsOf('runs/run-routes.ts', "import { z } from '../approvals/index.ts';"),
      ...importsOf('store/store.ts', "import { w } from '../runs/index.ts';"),
      ...importsOf('leases/lease-service.ts', "import { createEngine } from '../engine.ts';"),
    ];
    const found = violations(edges);
    assert.ok(found.some((v) => v.includes('use approvals/index.ts')), found.join('\n'));
    assert.ok(found.some((v) => v.startsWith('folder cycle:') && v.includes('runs') && v.includes('approvals')), found.join('\n'));
    assert.ok(found.some((v) => v.includes('store/ may only use core')), found.join('\n'));
    assert.ok(found.some((v) => v.includes('imports the root module engine.ts at runtime')), found.join('\n'));
    assert.ok(!found.some((v) => v.includes('run-service.ts imports the root')), 'a type-only import of the root is allowed');
  });
});
