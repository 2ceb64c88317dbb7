import type { ConfigDiff, ReloadResult } from '@agentd/sdk';
import type { Command } from 'commander';
import { clientAction } from './client-action.ts';
import { addConnectionOptions } from './client-config.ts';
import { out, printJson } from './output-format.ts';

const KINDS: (keyof ConfigDiff)[] = ['added', 'changed', 'removed', 'unchanged'];

function printReload(result: ReloadResult): void {
  out(`reloaded ${result.file}`);
  for (const k of KINDS) out(`  ${k.padEnd(9)} ${result.diff[k].length > 0 ? result.diff[k].join(', ') : '-'}`);
  if (result.restart_required.length > 0) out(`  restart to apply: ${result.restart_required.join(', ')}`);
}

/** `agentd reload`: asks the server to read its config file again (POST /v1/reload) and prints the diff. */
export function registerReloadCommand(program: Command): void {
  addConnectionOptions(
    program
      .command('reload')
      .description('make the server re-read its config file (agentd serve --config) and apply it; prints what was added, changed, removed')
      .option('--json', 'print the answer as JSON'),
  ).action(
    clientAction<{ json?: boolean }, []>(async ({ client, options }) => {
      const result = await client.reload();
      if (options.json) printJson(result);
      else printReload(result);
    }),
  );
}
