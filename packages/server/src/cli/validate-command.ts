import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { FieldProblem } from '@agentd/sdk';

/** What a valid file holds, for the one-line answer and `--json`. */
type Checked = { ok: true; kind: 'Agent' | 'Workflow'; name: string; summary: string; names: Record<string, string[]> } | { ok: false; problems: FieldProblem[] };

/**
 * An agent manifest or, for `kind: Workflow`, a workflow definition: its shape, its needs (no
 * cycle) and its expressions. Offline, so whether each step's agent exists is the server's
 * check at deploy.
 */
async function check(text: string): Promise<Checked> {
  // Loaded when a file is checked: the schemas and YAML parser would slow every other command.
  const { parseManifestText, validateManifest } = await import('@agentd/protocol/manifest');
  const { compileWorkflow, isWorkflowDocument } = await import('@agentd/protocol/workflow');
  const parsed = parseManifestText(text);
  if (!parsed.ok) return parsed;
  if (isWorkflowDocument(parsed.value)) {
    const w = compileWorkflow(parsed.value);
    if (!w.ok) return w;
    const steps = w.value.steps.map((s) => s.id);
    return { ok: true, kind: 'Workflow', name: w.value.name, summary: `workflow ${w.value.name}, steps ${steps.join(', ')}`, names: { steps } };
  }
  const m = validateManifest(parsed.value);
  if (!m.ok) return m;
  const endpoints = Object.keys(m.value.endpoints);
  return { ok: true, kind: 'Agent', name: m.value.name, summary: `agent ${m.value.name}, endpoints ${endpoints.join(', ')}`, names: { endpoints } };
}

/** Offline: checks a manifest or workflow file and names the field path of each problem. */
export function registerValidate(program: Command): void {
  program
    .command('validate <file>')
    .description('check an agent manifest or a workflow definition (YAML or JSON) without a server')
    .option('--json', 'print the result as JSON')
    .action(async (file: string, opts: { json?: boolean }) => {
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (err) {
        process.stderr.write(`agentd validate: cannot read ${file}: ${(err as Error).message}\n`);
        process.exitCode = 2;
        return;
      }
      const result = await check(text);
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(result.ok ? { ok: true, kind: result.kind, name: result.name, ...result.names } : { ok: false, problems: result.problems }, null, 2)}\n`);
      } else if (result.ok) {
        process.stdout.write(`${file}: ok — ${result.summary}\n`);
      } else {
        for (const p of result.problems) process.stdout.write(`${file}: ${p.path || '(root)'}: ${p.message}\n`);
      }
      if (!result.ok) process.exitCode = 1;
    });
}
