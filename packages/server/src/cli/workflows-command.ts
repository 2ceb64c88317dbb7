import type { Workflow } from '@agentd/sdk';
import type { Command } from 'commander';
import { clientAction } from './client-action.ts';
import { addConnectionOptions } from './client-config.ts';
import { parseJsonArgument, readTextArgument } from './cli-input.ts';
import { explainInterrupt, printFinalRun } from './event-output.ts';
import { formatFields, formatTable, out, printJson, shortTime } from './output-format.ts';

interface JsonFlag {
  json?: boolean;
}

/** `agentd workflows …`: deploy and read workflow definitions, and start them. */
export function registerWorkflowsCommand(program: Command): void {
  const workflows = addConnectionOptions(program.command('workflows').description('deploy, read and start workflows'));

  workflows
    .command('deploy <file>')
    .description('deploy a workflow definition (YAML or JSON; - reads stdin); a changed one becomes a new version')
    .option('--json', 'print the deployed workflow as JSON')
    .action(
      clientAction<JsonFlag, [string]>(async ({ client, options }, file) => {
        const workflow = await client.workflows.deploy(readTextArgument(file, 'workflow definition'));
        if (options.json) printJson(workflow);
        else out(`deployed workflow ${workflow.name} version ${workflow.version} (steps: ${workflow.steps.map((s) => s.id).join(', ')})`);
      }),
    );

  workflows
    .command('list')
    .description('list workflows at their latest version, newest first')
    .option('--json', 'print {data, next_cursor} as JSON')
    .action(
      clientAction<JsonFlag, []>(async ({ client, options }) => {
        const data: Workflow[] = [];
        for await (const w of client.workflows.list({ limit: 500 })) data.push(w);
        if (options.json) printJson({ data, next_cursor: null });
        else if (data.length === 0) out('no workflows yet: deploy one with agentd workflows deploy <file>');
        else out(formatTable(['NAME', 'VERSION', 'STEPS', 'UPDATED'], data.map((w) => [w.name, String(w.version), String(w.steps.length), shortTime(w.updated_at)])));
      }),
    );

  workflows
    .command('get <name>')
    .description('show a workflow at its latest version, step by step')
    .option('--json', 'print the workflow as JSON')
    .action(
      clientAction<JsonFlag, [string]>(async ({ client, options }, name) => {
        const workflow = await client.workflows.get(name);
        if (options.json) printJson(workflow);
        else out(formatWorkflow(workflow));
      }),
    );

  workflows
    .command('versions <name>')
    .description("list a workflow's versions, newest first")
    .option('--json', 'print {data, next_cursor} as JSON')
    .action(
      clientAction<JsonFlag, [string]>(async ({ client, options }, name) => {
        const data = [];
        for await (const v of client.workflows.versions(name, { limit: 500 })) data.push(v);
        if (options.json) printJson({ data, next_cursor: null });
        else out(formatTable(['VERSION', 'CREATED'], data.map((v) => [String(v.version), shortTime(v.created_at)])));
      }),
    );

  workflows
    .command('start <name>')
    .description("start a workflow (its latest version); prints its run's id (follow it with agentd runs get / runs tree)")
    .option('--input <json|@file>', 'the workflow input: inline JSON, @file, or @- for stdin', '{}')
    .option('--wait', 'wait until the workflow run ends, then print it')
    .option('--idempotency-key <key>', 'repeat-safe key: the same key and input return the first run instead of a new one')
    .option('--json', 'print the run as JSON')
    .action(
      clientAction<JsonFlag & { input: string; wait?: boolean; idempotencyKey?: string }, [string]>(async ({ client, options }, name) => {
        const input = parseJsonArgument(options.input, '--input');
        const run = await client.workflows.start(name, { input }, { idempotencyKey: options.idempotencyKey });
        if (options.wait) {
          const stop = explainInterrupt(() => `stopped waiting; workflow run ${run.id} goes on (agentd runs get ${run.id})`);
          try {
            return printFinalRun(await client.runs.wait(run.id), options.json ? 'json' : 'text');
          } finally {
            stop();
          }
        }
        if (options.json) printJson(run);
        else out(run.id);
      }),
    );

  workflows
    .command('delete <name>')
    .description('delete a workflow (its versions are kept)')
    .option('--json', 'print the answer as JSON')
    .action(
      clientAction<JsonFlag, [string]>(async ({ client, options }, name) => {
        const result = await client.workflows.delete(name);
        if (options.json) printJson(result);
        else out(`deleted workflow ${result.name}`);
      }),
    );
}

function formatWorkflow(w: Workflow): string {
  const head = formatFields([
    ['name', w.name],
    ['version', String(w.version)],
    ['description', w.description ?? '-'],
    ['created', shortTime(w.created_at)],
    ['updated', shortTime(w.updated_at)],
  ]);
  const width = Math.max(...w.steps.map((s) => s.id.length));
  const steps = w.steps.map((s) => {
    const what = s.type === 'agent' ? `${s.agent}/${s.endpoint}` : s.type;
    return `  ${s.id.padEnd(width)}  ${what}${s.needs.length > 0 ? `  (needs ${s.needs.join(', ')})` : ''}`;
  });
  return `${head}\nsteps:\n${steps.join('\n')}`;
}
