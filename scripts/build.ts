/**
 * `npm run build`: compiles the published packages to JavaScript and declarations in their dist/
 * (tsc -p packages/<name>/tsconfig.build.json), in dependency order, each dist/ emptied first so
 * a renamed source leaves no stale file to be packed. With package names (`node scripts/build.ts
 * sdk`) it builds those and what they depend on: each package's `prepack` does that, so `npm
 * pack` never packs an old build.
 *
 * The repository itself never runs dist/: its scripts resolve @agentd/* to the TypeScript sources
 * (the "@agentd/source" export condition), so there is nothing to rebuild after an edit.
 */
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
/** Each package and the packages it imports, in build order. */
const PACKAGES: Record<string, string[]> = { protocol: [], sdk: ['protocol'], server: ['protocol', 'sdk'] };

const asked = process.argv.slice(2);
for (const name of asked) {
  if (!(name in PACKAGES)) {
    process.stderr.write(`build: no package "${name}" (one of ${Object.keys(PACKAGES).join(', ')})\n`);
    process.exit(2);
  }
}
const wanted = new Set(asked.length > 0 ? asked.flatMap((n) => [...PACKAGES[n], n]) : Object.keys(PACKAGES));
// The compiler of the repository's devDependencies, found from the root whatever the cwd.
const tsc = resolve(dirname(createRequire(resolve(ROOT, 'package.json')).resolve('typescript/package.json')), 'bin/tsc');

for (const name of Object.keys(PACKAGES).filter((n) => wanted.has(n))) {
  const dir = resolve(ROOT, 'packages', name);
  rmSync(resolve(dir, 'dist'), { recursive: true, force: true });
  try {
    // One thread: the packages are small, and tsc's parallel checkers took twice the CPU (and
    // longer) on a busy two-core machine, where npm test runs this next to other suites.
    execFileSync(process.execPath, [tsc, '-p', resolve(dir, 'tsconfig.build.json'), '--singleThreaded'], { stdio: 'inherit' });
  } catch {
    process.stderr.write(`build: tsc failed for packages/${name}\n`);
    process.exit(1);
  }
  process.stdout.write(`build: packages/${name}/dist\n`);
}
