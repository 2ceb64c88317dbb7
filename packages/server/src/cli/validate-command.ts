import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { parseManifestText, validateManifest } from '@agentd/protocol/manifest';

/** Offline: checks a manifest file and names the field path of each problem. */
export function registerValidate(program: Command): void {
  program
    .command('validate <file>')
    .description('check an agent manifest (YAML or JSON) without a server')
    .option('--json', 'print the result as JSON')
    .action((file: string, opts: { json?: boolean }) => {
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (err) {
        process.stderr.write(`agentd validate: cannot read ${file}: ${(err as Error).message}\n`);
        process.exitCode = 2;
        return;
      }
      const parsed = parseManifestText(text);
      const result = parsed.ok ? validateManifest(parsed.value) : parsed;
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(result.ok ? { ok: true, name: result.value.name, endpoints: Object.keys(result.value.endpoints) } : { ok: false, problems: result.problems }, null, 2)}\n`);
      } else if (result.ok) {
        process.stdout.write(`${file}: ok — agent ${result.value.name}, endpoints ${Object.keys(result.value.endpoints).join(', ')}\n`);
      } else {
        for (const p of result.problems) process.stdout.write(`${file}: ${p.path || '(root)'}: ${p.message}\n`);
      }
      if (!result.ok) process.exitCode = 1;
    });
}
