/**
 * The Python SDK's pytest suite inside `npm test`: makes sdks/python/.venv when missing (offline,
 * from the machine's package index), runs pytest with a JUnit report, and reports every pytest
 * case as a subtest, so its passes and failures are in the run's `# pass` / `# fail` summary.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const SDK = resolve(import.meta.dirname, '..');
const PY = join(SDK, '.venv', 'bin', 'python');
const DEPS = ['httpx', 'httpx-sse', 'pydantic', 'pytest', 'pytest-asyncio', 'mypy', 'ruff', 'hatchling'];

function run(cmd: string, args: string[], timeout = 600_000) {
  const r = spawnSync(cmd, args, { cwd: SDK, encoding: 'utf8', timeout, env: process.env });
  return { ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

test('python sdk (pytest)', { timeout: 900_000 }, async (t) => {
  if (!existsSync(PY)) {
    const venv = run('python3', ['-m', 'venv', '.venv']);
    assert.ok(venv.ok, venv.out);
  }
  const install = run(PY, ['-m', 'pip', 'install', '--no-input', '-q', ...DEPS, '-e', '.']);
  assert.ok(install.ok, install.out.slice(-2000));
  const dir = mkdtempSync(join(tmpdir(), 'pytest-'));
  try {
    const xml = join(dir, 'junit.xml');
    const r = run(PY, ['-m', 'pytest', '-q', `--junitxml=${xml}`, '-p', 'no:cacheprovider']);
    assert.ok(existsSync(xml), `pytest wrote no report:\n${r.out.slice(-4000)}`);
    const report = readFileSync(xml, 'utf8');
    const cases = [...report.matchAll(/<testcase classname="([^"]*)" name="([^"]*)"[^>]*?(\/>|>([\s\S]*?)<\/testcase>)/g)];
    assert.ok(cases.length > 0, r.out.slice(-4000));
    for (const [, cls, name, , body = ''] of cases) {
      const skipped = /<skipped/.test(body);
      await t.test(`${cls}::${name}`, { skip: skipped }, () => {
        assert.ok(!/<(failure|error)/.test(body), body.slice(0, 4000));
      });
    }
    for (const [cmd, args] of [['ruff', ['check', 'src', 'tests', 'scripts']], ['mypy', []]] as const) {
      await t.test(`${cmd} passes`, () => {
        const c = run(join(SDK, '.venv', 'bin', cmd), [...args]);
        assert.ok(c.ok, c.out.slice(-4000));
      });
    }
    assert.ok(r.ok, r.out.slice(-4000));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
