/**
 * The Python SDK's pytest suite inside `npm test`: makes sdks/python/.venv when missing (from the
 * machine's package index), runs pytest with a JUnit report, and reports every pytest case as a
 * subtest, so its passes and failures are in the run's `# pass` / `# fail` summary.
 *
 * The venv is reused while it is current: a stamp in it holds a hash of pyproject.toml, the
 * dependency list and the venv's Python version, written after a successful install; any change
 * (or a venv whose Python no longer starts) reinstalls. ruff and mypy run beside pytest.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const SDK = resolve(import.meta.dirname, '..');
const VENV = join(SDK, '.venv');
const PY = join(VENV, 'bin', 'python');
const STAMP = join(VENV, 'agentd-deps.sha256');
// The Python examples are linted with the SDK (pytest runs them as processes).
const EXAMPLES = ['../../examples/python-hello', '../../examples/python-approval'];
// hatchling and editables: the editable install builds without an isolated build env (which would
// resolve hatchling from the index once more on every install).
const DEPS = ['httpx', 'httpx-sse', 'pydantic', 'pytest', 'pytest-asyncio', 'mypy', 'ruff', 'hatchling', 'editables'];

interface Ran {
  ok: boolean;
  out: string;
}

function runSync(cmd: string, args: string[], timeout = 600_000): Ran {
  const r = spawnSync(cmd, args, { cwd: SDK, encoding: 'utf8', timeout, env: process.env });
  return { ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
}

/** Like runSync, without blocking this process's event loop, so several can run at once. */
function run(cmd: string, args: string[], timeout = 600_000): Promise<Ran> {
  return new Promise((done) => {
    const child = spawn(cmd, args, { cwd: SDK, env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeout);
    child.on('error', (err) => {
      clearTimeout(timer);
      done({ ok: false, out: `${out}${String(err)}` });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ ok: code === 0, out });
    });
  });
}

function depsKey(pythonVersion: string): string {
  const h = createHash('sha256');
  for (const part of [readFileSync(join(SDK, 'pyproject.toml'), 'utf8'), DEPS.join('\n'), pythonVersion]) h.update(part).update('\0');
  return h.digest('hex');
}

/** pip install, first without connection retries: a package index that cannot be reached (an
 * offline machine with a local index next to it) then costs one failed connection per package,
 * not pip's five retries with back-off each. If that fails for any reason, pip's defaults. */
function pipInstall(args: string[]): Ran {
  const fast = runSync(PY, ['-m', 'pip', 'install', '--no-input', '-q', '--retries', '0', ...args]);
  return fast.ok ? fast : runSync(PY, ['-m', 'pip', 'install', '--no-input', '-q', ...args]);
}

/** Makes or updates the venv; says which, for the run's log. */
function ensureVenv(): string {
  const started = performance.now();
  let version = existsSync(PY) ? runSync(PY, ['-c', 'import sys; print(sys.version)']) : { ok: false, out: '' };
  if (!version.ok) {
    rmSync(VENV, { recursive: true, force: true });
    const venv = runSync('python3', ['-m', 'venv', '.venv']);
    assert.ok(venv.ok, venv.out);
    version = runSync(PY, ['-c', 'import sys; print(sys.version)']);
    assert.ok(version.ok, version.out);
  }
  const key = depsKey(version.out.trim());
  if (existsSync(STAMP) && readFileSync(STAMP, 'utf8').trim() === key) return 'venv is current';
  rmSync(STAMP, { force: true });
  const deps = pipInstall(DEPS);
  assert.ok(deps.ok, deps.out.slice(-2000));
  const sdk = pipInstall(['--no-build-isolation', '-e', '.']);
  assert.ok(sdk.ok, sdk.out.slice(-2000));
  writeFileSync(STAMP, `${key}\n`);
  return `venv made or updated in ${((performance.now() - started) / 1000).toFixed(1)} s`;
}

test('python sdk (pytest)', { timeout: 900_000 }, async (t) => {
  t.diagnostic(ensureVenv());
  const started = performance.now();
  const dir = mkdtempSync(join(tmpdir(), 'pytest-'));
  try {
    const xml = join(dir, 'junit.xml');
    const [r, ruff, mypy] = await Promise.all([
      run(PY, ['-m', 'pytest', '-q', `--junitxml=${xml}`, '-p', 'no:cacheprovider']),
      run(join(VENV, 'bin', 'ruff'), ['check', 'src', 'tests', 'scripts', 'bench', ...EXAMPLES]),
      run(join(VENV, 'bin', 'mypy'), []),
    ]);
    t.diagnostic(`pytest, ruff and mypy took ${((performance.now() - started) / 1000).toFixed(1)} s`);
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
    for (const [cmd, c] of [['ruff', ruff], ['mypy', mypy]] as const) {
      await t.test(`${cmd} passes`, () => {
        assert.ok(c.ok, c.out.slice(-4000));
      });
    }
    assert.ok(r.ok, r.out.slice(-4000));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
