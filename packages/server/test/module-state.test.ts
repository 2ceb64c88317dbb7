/**
 * No module-level state (docs/architecture.md): what a module remembers lives in an object a
 * store, engine or app owns, so two servers in one process share nothing. Checked on the source
 * of the server and the SDK: no top-level `let`/`var`, no top-level mutable collection or cache
 * (a `Set` of constants is allowed when typed `ReadonlySet`).
 */
import assert from 'node:assert/strict';
import { globSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';

const ROOTS = ['../src/', '../../sdk/src/'].map((p) => fileURLToPath(new URL(p, import.meta.url)));

/** Entry points that are programs of their own: one command per process, one module instance per thread. */
const PROGRAMS = new Set(['cli/main.ts', 'store/sqlite/checkpoint-worker.ts', 'store/sqlite/writer-thread-worker.ts']);

const TOP_LEVEL_BINDING = /^(?:export\s+)?(?:let|var)\s+\w+/;
const TOP_LEVEL_COLLECTION = /^(?:export\s+)?const\s+\w+(\s*:\s*[^=]+)?\s*=\s*new\s+(Map|Set|WeakMap|WeakSet|LRUCache|TtlCache|Array)\b/;

export function moduleState(text: string): string[] {
  const found: string[] = [];
  for (const [i, line] of text.split('\n').entries()) {
    if (TOP_LEVEL_BINDING.test(line)) found.push(`${i + 1}: ${line.trim()}`);
    const m = TOP_LEVEL_COLLECTION.exec(line);
    if (m && !(m[2] === 'Set' && /ReadonlySet/.test(m[1] ?? ''))) found.push(`${i + 1}: ${line.trim()}`);
  }
  return found;
}

describe('module-level state', () => {
  it('finds a top-level let, Map or untyped Set, and lets a ReadonlySet of constants pass', () => {
    assert.equal(moduleState('let pool = Buffer.alloc(0);').length, 1);
    assert.equal(moduleState('const names = new Map<string, string>();').length, 1);
    assert.equal(moduleState('const CODES = new Set([1, 2]);').length, 1);
    assert.equal(moduleState("const CODES: ReadonlySet<string> = new Set(['a']);").length, 0);
    assert.equal(moduleState('  let local = 0;').length, 0, 'inside a function: not module state');
  });

  it('holds in the server and the SDK', () => {
    const found: string[] = [];
    for (const root of ROOTS) {
      for (const file of globSync('**/*.ts', { cwd: root })) {
        if (PROGRAMS.has(file)) continue;
        for (const hit of moduleState(readFileSync(root + file, 'utf8'))) found.push(`${file}:${hit}`);
      }
    }
    assert.deepEqual(found, [], 'move this state into an object the store, engine or app owns');
  });
});
