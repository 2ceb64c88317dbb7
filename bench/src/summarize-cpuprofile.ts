/**
 * Prints where a V8 `.cpuprofile` (from `node --cpu-prof`) spent its time: the top self-time
 * functions with file:line, then the same grouped by file and by package.
 *
 *   node bench/src/summarize-cpuprofile.ts <file.cpuprofile | dir> [--top 25] [--root /path/to/repo]
 *
 * A directory means its newest .cpuprofile. Lines are 1-based (V8 stores 0-based).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

interface Row {
  name: string;
  where: string;
  selfMs: number;
}

function parseArgs(argv: string[]): { file: string; top: number; root: string } {
  let file: string | undefined;
  let top = 25;
  let root = join(fileURLToPath(import.meta.url), '..', '..', '..');
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--top') top = Number(argv[++i]);
    else if (argv[i] === '--root') root = argv[++i];
    else file = argv[i];
  }
  if (!file || !Number.isInteger(top) || top < 1) {
    process.stderr.write('usage: node bench/src/summarize-cpuprofile.ts <file.cpuprofile | dir> [--top 25] [--root <repo>]\n');
    process.exit(2);
  }
  if (statSync(file).isDirectory()) {
    const newest = readdirSync(file)
      .filter((f) => f.endsWith('.cpuprofile'))
      .map((f) => join(file!, f))
      .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
    if (!newest) throw new Error(`no .cpuprofile in ${file}`);
    file = newest;
  }
  return { file, top, root };
}

/** Repository-relative for our files, `pkg:<name>/…` for dependencies, as is for Node internals. */
function shortUrl(url: string, root: string): string {
  if (!url) return '';
  const path = url.startsWith('file://') ? fileURLToPath(url) : url;
  const nm = path.lastIndexOf('/node_modules/');
  if (nm >= 0) return `pkg:${path.slice(nm + '/node_modules/'.length)}`;
  if (path.startsWith('/')) return relative(root, path);
  return path;
}

/** The package (or area) a frame belongs to, for the coarse view. */
function area(url: string, root: string): string {
  const s = shortUrl(url, root);
  if (!s) return '(native/vm)';
  if (s.startsWith('pkg:')) {
    const parts = s.slice(4).split('/');
    return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  if (s.startsWith('node:')) return 'node internals';
  const m = /^packages\/([^/]+)\/src\/([^/]+)/.exec(s);
  if (m) return `@agentd/${m[1]} ${m[2].endsWith('.ts') ? '' : `${m[2]}/`}`.trim();
  return s.split('/')[0];
}

function pct(partMs: number, totalMs: number): string {
  return `${((100 * partMs) / totalMs).toFixed(1)}%`.padStart(6);
}

function main(): void {
  const { file, top, root } = parseArgs(process.argv.slice(2));
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i];
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const totalMs = (profile.endTime - profile.startTime) / 1000;

  const fns = new Map<string, Row>();
  const files = new Map<string, number>();
  const areas = new Map<string, number>();
  let idleMs = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (!node) continue;
    const { functionName, url, lineNumber, columnNumber } = node.callFrame;
    const selfMs = us / 1000;
    const name = functionName || '(anonymous)';
    if (name === '(idle)') idleMs += selfMs;
    const shortened = shortUrl(url, root);
    const where = shortened ? `${shortened}:${lineNumber + 1}:${columnNumber + 1}` : '';
    const key = `${name}\u0000${where}`;
    const row = fns.get(key) ?? { name, where, selfMs: 0 };
    row.selfMs += selfMs;
    fns.set(key, row);
    const fileKey = shortened || `(${name})`;
    files.set(fileKey, (files.get(fileKey) ?? 0) + selfMs);
    const a = name.startsWith('(') && !url ? name : area(url, root);
    areas.set(a, (areas.get(a) ?? 0) + selfMs);
  }
  const busyMs = totalMs - idleMs;

  const out: string[] = [];
  out.push(`${file}`);
  out.push(`wall ${(totalMs / 1000).toFixed(2)} s, idle ${(idleMs / 1000).toFixed(2)} s, busy ${(busyMs / 1000).toFixed(2)} s (${((100 * busyMs) / totalMs).toFixed(0)}% of one core); percentages are of busy time`);
  out.push('');
  out.push(`top ${top} functions by self time`);
  out.push(`${'self ms'.padStart(9)} ${'%'.padStart(6)}  function  (file:line:col)`);
  const rows = [...fns.values()].filter((r) => r.name !== '(idle)').sort((a, b) => b.selfMs - a.selfMs).slice(0, top);
  for (const r of rows) out.push(`${r.selfMs.toFixed(1).padStart(9)} ${pct(r.selfMs, busyMs)}  ${r.name}${r.where ? `  (${r.where})` : ''}`);
  out.push('');
  out.push('self time by area');
  for (const [a, t] of [...areas].filter(([a]) => a !== '(idle)').sort((x, y) => y[1] - x[1]).slice(0, 20)) out.push(`${t.toFixed(1).padStart(9)} ${pct(t, busyMs)}  ${a}`);
  out.push('');
  out.push('self time by file (top 20)');
  for (const [f, t] of [...files].filter(([f]) => f !== '((idle))').sort((x, y) => y[1] - x[1]).slice(0, 20)) out.push(`${t.toFixed(1).padStart(9)} ${pct(t, busyMs)}  ${f}`);
  process.stdout.write(`${out.join('\n')}\n`);
}

main();
