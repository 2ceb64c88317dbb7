/**
 * The packages a user installs, used the way a user would: `npm run build`, `npm pack` of every
 * public package, the tarballs installed into an empty folder outside the repository (only
 * their own dependencies, nothing hoisted from the monorepo), `npx agentd serve` started from
 * there, examples/hello deployed and run with the installed CLI, a plain-JavaScript worker on the
 * installed `@agentd/sdk/worker` making the run succeed; and the installed SDK's client entry
 * (`.`) imports nothing from `node:`, so it loads in browsers, Deno and Bun.
 *
 * The install needs the npm registry for the packages' dependencies (the repository's npm cache
 * is used first). Without network the test is skipped with a notice, except under CI=true.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { REPO_ROOT } from './helpers/server-process.ts';

const PUBLIC_PACKAGES = ['packages/protocol', 'packages/sdk', 'packages/server'];
const NETWORK_ERROR = /\b(ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH|ENOTCACHED)\b/;

const HELLO_WORKER = `// examples/hello/worker.ts in plain JavaScript, on the installed SDK.
import { Agentd } from '@agentd/sdk';
import { Worker } from '@agentd/sdk/worker';

const worker = new Worker({
  client: new Agentd(),
  agent: 'hello',
  endpoints: {
    greet: async ({ name }, ctx) => {
      await ctx.log(\`greeting \${name}\`);
      return { greeting: \`Hello, \${name}!\` };
    },
  },
});
console.log('worker ready');
await worker.run();
`;

/** This process's environment without what belongs to the repository's own run. */
function userEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    // NODE_OPTIONS carries --conditions=@agentd/source (scripts/test.ts): an installed package
    // must run as a user's would. npm's per-script variables describe the repository's package.
    if (k === 'NODE_OPTIONS' || k.startsWith('AGENTD_') || k.startsWith('NODE_TEST')) continue;
    if (k.startsWith('npm_') && (!k.startsWith('npm_config_') || k === 'npm_config_local_prefix')) continue;
    env[k] = v;
  }
  return { ...env, ...extra };
}

interface Done {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

const children = new Set<ChildProcess>();

/** Runs a command in its own process group (npx starts a shell and node under it). */
function start(command: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv }) {
  const child = spawn(command, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  children.add(child);
  const out = { stdout: '', stderr: '' };
  child.stdout!.setEncoding('utf8').on('data', (s: string) => (out.stdout += s));
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (out.stderr += s));
  const done = new Promise<Done>((resolveDone) => {
    child.once('close', (code, signal) => {
      children.delete(child);
      resolveDone({ code, signal, ...out });
    });
  });
  return { child, out, done };
}

/** Runs a command to its end; kills its process group after `timeoutMs`. */
async function run(command: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number }): Promise<Done> {
  const p = start(command, args, opts);
  const timer = setTimeout(() => killGroup(p.child, 'SIGKILL'), opts.timeoutMs);
  try {
    const r = await p.done;
    if (r.signal === 'SIGKILL') r.stderr += `\n(killed after ${opts.timeoutMs} ms)`;
    return r;
  } finally {
    clearTimeout(timer);
  }
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    // the group is gone
  }
}

/** SIGTERM each group still running, SIGKILL what is left after 5 s. */
async function stopAll(): Promise<void> {
  await Promise.all(
    [...children].map(
      (child) =>
        new Promise<void>((done) => {
          const timer = setTimeout(() => killGroup(child, 'SIGKILL'), 5_000);
          child.once('close', () => {
            clearTimeout(timer);
            done();
          });
          killGroup(child, 'SIGTERM');
        }),
    ),
  );
}

function output(r: Done): string {
  return `exit ${r.code ?? r.signal}\nstdout:\n${r.stdout.slice(-3000)}\nstderr:\n${r.stderr.slice(-3000)}`;
}

// -- the client entry's import graph, as a browser or bundler resolves it ----------------------

const CONDITIONS = ['browser', 'import', 'default'];

/** The target of a package.json "exports" value for a runtime that is not Node: the first of
 * "browser", "import", "default" (neither "node" nor the repository's "@agentd/source"). */
function exportTarget(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    for (const [condition, target] of Object.entries(value)) {
      if (CONDITIONS.includes(condition)) return exportTarget(target);
    }
  }
  return undefined;
}

/** The file a bare specifier names, found from `fromDir` up as Node and bundlers look for it. */
function packageEntry(fromDir: string, specifier: string): string {
  const parts = specifier.split('/');
  const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
  const subpath = '.' + specifier.slice(name.length);
  let dir = '';
  for (let d = fromDir; !dir; d = dirname(d)) {
    if (existsSync(join(d, 'node_modules', name, 'package.json'))) dir = join(d, 'node_modules', name);
    else assert.notEqual(dirname(d), d, `'${specifier}' is not installed (looked from ${fromDir})`);
  }
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const exports = typeof pkg.exports === 'object' && !Object.keys(pkg.exports).some((k) => k.startsWith('.')) ? { '.': pkg.exports } : pkg.exports;
  if (exports === undefined || typeof exports === 'string') {
    assert.equal(subpath, '.', `${name} has no "exports" for ${subpath}`);
    return resolve(dir, exports ?? pkg.module ?? pkg.main ?? 'index.js');
  }
  let target = exportTarget(exports[subpath]);
  for (const [key, value] of Object.entries(exports)) {
    const star = key.indexOf('*');
    if (target || star < 0 || !subpath.startsWith(key.slice(0, star)) || !subpath.endsWith(key.slice(star + 1))) continue;
    target = exportTarget(value)?.replaceAll('*', subpath.slice(star, subpath.length - (key.length - star - 1)));
  }
  assert.ok(target, `${name}'s package.json exports nothing for "${subpath}" outside Node`);
  return resolve(dir, target);
}

const IMPORT = /(?:^|[^.\w$])(?:import|export)\s*(?:type\s+)?(?:[\w$*{}\s,]+?\s*from\s*)?['"]([^'"\n]+)['"]|\bimport\s*\(\s*['"]([^'"\n]+)['"]\s*\)/g;

/** Every file the entry loads (through relative imports and packages alike), and each import of
 * node: or of a Node builtin by its bare name. */
function importGraph(modules: string, entry: string) {
  const builtins = new Set(builtinModules);
  const files = new Set<string>();
  const packages = new Set<string>();
  const nodeImports: string[] = [];
  const todo = [entry];
  while (todo.length > 0) {
    const file = todo.pop()!;
    if (files.has(file)) continue;
    assert.ok(existsSync(file), `${relative(modules, file)} is imported but not in the package`);
    files.add(file);
    const code = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
    for (const m of code.matchAll(IMPORT)) {
      const spec = m[1] ?? m[2];
      if (spec.startsWith('node:') || builtins.has(spec.split('/')[0])) nodeImports.push(`${relative(modules, file)} imports '${spec}'`);
      else if (spec.startsWith('.')) todo.push(resolve(dirname(file), spec));
      else {
        packages.add(spec);
        todo.push(packageEntry(dirname(file), spec));
      }
    }
  }
  return { files, packages, nodeImports };
}

describe('the packages as a user installs them', { timeout: 240_000 }, () => {
  let tmp = '';
  let app = '';
  let skipped = '';
  const phases: string[] = [];
  const timed = async <T>(name: string, step: () => Promise<T>): Promise<T> => {
    const began = performance.now();
    try {
      return await step();
    } finally {
      phases.push(`${name} ${((performance.now() - began) / 1000).toFixed(1)} s`);
    }
  };

  before(async () => {
    tmp = realpathSync(mkdtempSync(join(tmpdir(), 'agentd-packaging-')));
    assert.ok(relative(REPO_ROOT, tmp).startsWith('..'), `${tmp} is inside the repository`);
    const tarballs = join(tmp, 'tarballs');
    app = join(tmp, 'app');
    mkdirSync(tarballs);
    mkdirSync(app);

    const build = await timed('build', () => run('npm', ['run', 'build'], { cwd: REPO_ROOT, env: userEnv(), timeoutMs: 180_000 }));
    assert.equal(build.code, 0, `npm run build failed\n${output(build)}`);

    // The build ran just now; --ignore-scripts skips each package's prepack (the same build again).
    const workspaces = PUBLIC_PACKAGES.flatMap((p) => ['-w', p]);
    const pack = await timed('pack', () => run('npm', ['pack', ...workspaces, '--ignore-scripts', '--json', '--pack-destination', tarballs], { cwd: REPO_ROOT, env: userEnv(), timeoutMs: 60_000 }));
    assert.equal(pack.code, 0, `npm pack failed\n${output(pack)}`);
    const packed = (JSON.parse(pack.stdout) as { name: string; filename: string }[]).map((p) => join(tarballs, p.filename));
    assert.equal(packed.length, PUBLIC_PACKAGES.length, pack.stdout);

    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'agentd-user-app', private: true, type: 'module' }));
    const install = await timed('install', () => run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', ...packed], { cwd: app, env: userEnv(), timeoutMs: 180_000 }));
    if (install.code !== 0 && NETWORK_ERROR.test(install.stdout + install.stderr) && process.env.CI !== 'true') {
      skipped = `the npm registry is not reachable, so the tarballs' dependencies cannot be installed:\n${install.stderr.slice(-500)}`;
      process.stderr.write(`packaging.test: skipped: ${skipped}\n`);
      return;
    }
    assert.equal(install.code, 0, `npm install of the tarballs failed\n${output(install)}`);
  });

  after(async () => {
    await stopAll();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('serves with npx agentd serve, deploys and runs examples/hello with the installed CLI, and a plain-JS worker on @agentd/sdk/worker completes the run', async (t) => {
    if (skipped) return t.skip(skipped);
    const dataDir = join(tmp, 'data');
    const began = performance.now();
    const server = start('npx', ['--no-install', 'agentd', 'serve', '--host', '127.0.0.1', '--port', '0', '--data-dir', dataDir, '--log-level', 'warn'], { cwd: app, env: userEnv() });
    let url = '';
    for (let i = 0; i < 600 && !url; i++) {
      url = /agentd listening on (http:\/\/\S+) /.exec(server.out.stdout)?.[1] ?? '';
      if (!url && server.child.exitCode === null && server.child.signalCode === null) await new Promise((r) => setTimeout(r, 100));
      else if (!url) break;
    }
    assert.ok(url, `the installed server did not start\n${JSON.stringify(server.out)}`);
    const key = readFileSync(join(dataDir, 'admin.key'), 'utf8').trim();
    const env = userEnv({ AGENTD_URL: url, AGENTD_API_KEY: key });

    const deploy = await run('npx', ['--no-install', 'agentd', 'agents', 'deploy', join(REPO_ROOT, 'examples/hello/agent.yaml')], { cwd: app, env, timeoutMs: 60_000 });
    assert.equal(deploy.code, 0, `agentd agents deploy\n${output(deploy)}`);

    writeFileSync(join(app, 'worker.js'), HELLO_WORKER);
    const worker = start(process.execPath, ['worker.js'], { cwd: app, env });
    const runResult = await run('npx', ['--no-install', 'agentd', 'run', 'hello/greet', '--input', '{"name":"Pack"}', '--wait', '--json'], { cwd: app, env, timeoutMs: 60_000 });
    assert.equal(runResult.code, 0, `agentd run --wait\n${output(runResult)}\nworker:\n${JSON.stringify(worker.out)}`);
    const finished = JSON.parse(runResult.stdout);
    assert.equal(finished.status, 'succeeded');
    assert.deepEqual(finished.output, { greeting: 'Hello, Pack!' });

    phases.push(`serve, deploy, run ${((performance.now() - began) / 1000).toFixed(1)} s`);
    t.diagnostic(phases.join(', '));

    killGroup(worker.child, 'SIGTERM');
    const workerDone = await worker.done;
    assert.equal(workerDone.code, 0, `the worker did not stop cleanly on SIGTERM\n${output(workerDone)}`);
    // npx passes the signal on to the server and then ends by it itself: the server's own
    // words tell how it went.
    killGroup(server.child, 'SIGTERM');
    const serverDone = await server.done;
    assert.match(serverDone.stdout, /agentd: SIGTERM, shutting down/, output(serverDone));
    assert.doesNotMatch(serverDone.stderr, /shutdown failed/, output(serverDone));
    // Nothing of the server missing from dist/: without its file the SQLite checkpoint thread
    // fails and the server says so (and works on, slower), which nothing else would notice.
    assert.doesNotMatch(serverDone.stderr, /Warning/, output(serverDone));
  });

  it("the installed SDK's client entry imports nothing from node: (directly or through @agentd/protocol)", (t) => {
    if (skipped) return t.skip(skipped);
    const modules = join(app, 'node_modules');
    const graph = importGraph(modules, packageEntry(app, '@agentd/sdk'));
    t.diagnostic(`${graph.files.size} files followed; packages: ${[...graph.packages].join(', ')}`);
    assert.ok(graph.files.size > 10, `only ${graph.files.size} files followed: ${[...graph.files].join(', ')}`);
    assert.ok(graph.packages.has('@agentd/protocol'), 'the graph follows @agentd/protocol');
    assert.ok(![...graph.files].some((f) => f.endsWith('.ts')), 'the client entry loads compiled files only');
    assert.deepEqual(graph.nodeImports, []);
    // The worker entry is the one that may use Node: the same walk finds it does, so it can see node: imports.
    assert.notDeepEqual(importGraph(modules, packageEntry(app, '@agentd/sdk/worker')).nodeImports, []);
  });

  it('each installed package declares what it imports: its own files run without the monorepo around them', async (t) => {
    if (skipped) return t.skip(skipped);
    // Importing every entry from the app folder resolves each package's dependencies from the
    // install alone (node_modules of the app; nothing hoisted from the repository).
    const script = `await import('@agentd/protocol'); await import('@agentd/protocol/manifest');
await import('@agentd/sdk'); await import('@agentd/sdk/worker'); await import('@agentd/server');
console.log('ok');`;
    const r = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: app, env: userEnv(), timeoutMs: 60_000 });
    assert.equal(r.code, 0, output(r));
    assert.equal(r.stdout.trim(), 'ok');
  });
});
