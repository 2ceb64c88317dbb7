import type { Agent, AgentVersion } from '@agentd/sdk';
import type { Command } from 'commander';
import { clientAction } from './client-action.ts';
import { addConnectionOptions } from './client-config.ts';
import { readTextArgument } from './cli-input.ts';
import { formatDuration, formatFields, formatTable, out, printJson, shortTime } from './output-format.ts';

interface JsonFlag {
  json?: boolean;
}

/** `agentd agents …`: deploy manifests and manage agents. */
export function registerAgentsCommand(program: Command): void {
  const agents = addConnectionOptions(program.command('agents').description('deploy and manage agents'));

  agents
    .command('deploy <file>')
    .description('deploy a manifest (YAML or JSON; - reads stdin) as a new version of its agent')
    .option('--json', 'print the deployed agent as JSON')
    .action(
      clientAction<JsonFlag, [string]>(async ({ client, options }, file) => {
        const agent = await client.agents.deploy(readTextArgument(file, 'manifest'));
        if (options.json) printJson(agent);
        else out(`deployed ${agent.name} version ${agent.version} (endpoints: ${Object.keys(agent.endpoints).join(', ')})`);
      }),
    );

  agents
    .command('list')
    .description('list agents at their latest version')
    .option('--json', 'print {data, next_cursor} as JSON')
    .action(
      clientAction<JsonFlag, []>(async ({ client, options }) => {
        const data = await collect(client.agents.list({ limit: 500 }));
        if (options.json) printJson({ data, next_cursor: null });
        else if (data.length === 0) out('no agents yet: deploy one with agentd agents deploy <file>');
        else out(formatTable(['NAME', 'VERSION', 'ENDPOINTS', 'UPDATED'], data.map((a) => [a.name, String(a.version), endpointList(a), shortTime(a.updated_at)])));
      }),
    );

  agents
    .command('get <name>')
    .description('show an agent at its latest version')
    .option('--json', 'print the agent as JSON')
    .action(
      clientAction<JsonFlag, [string]>(async ({ client, options }, name) => {
        const agent = await client.agents.retrieve(name);
        if (options.json) printJson(agent);
        else out(formatAgent(agent));
      }),
    );

  agents
    .command('versions <name>')
    .description("list an agent's versions, newest first")
    .option('--json', 'print {data, next_cursor} as JSON')
    .action(
      clientAction<JsonFlag, [string]>(async ({ client, options }, name) => {
        const data = await collect(client.agents.versions(name, { limit: 500 }));
        if (options.json) printJson({ data, next_cursor: null });
        else out(formatTable(['VERSION', 'ENDPOINTS', 'CREATED'], data.map((v) => [String(v.version), versionEndpoints(v), shortTime(v.created_at)])));
      }),
    );

  agents
    .command('delete <name>')
    .description('delete an agent (runs already made keep working)')
    .option('--json', 'print the answer as JSON')
    .action(
      clientAction<JsonFlag, [string]>(async ({ client, options }, name) => {
        const result = await client.agents.delete(name);
        if (options.json) printJson(result);
        else out(`deleted agent ${result.name}`);
      }),
    );

  for (const action of ['disable', 'enable'] as const) {
    agents
      .command(`${action} <name> <endpoint>`)
      .description(action === 'disable' ? 'refuse new runs of an endpoint (409 ENDPOINT_DISABLED); workers stop leasing it' : 'accept runs of a disabled endpoint again')
      .option('--json', 'print the agent as JSON')
      .action(
        clientAction<JsonFlag, [string, string]>(async ({ client, options }, name, endpoint) => {
          const agent = action === 'disable' ? await client.agents.disableEndpoint(name, endpoint) : await client.agents.enableEndpoint(name, endpoint);
          if (options.json) printJson(agent);
          else out(`${action}d ${agent.name}/${endpoint}`);
        }),
      );
  }
}

/** Every item of every page: agents and versions are few, so lists show them all. */
async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}

function endpointList(agent: Agent): string {
  return Object.entries(agent.endpoints)
    .map(([name, e]) => (e.enabled ? name : `${name} (disabled)`))
    .join(', ');
}

function versionEndpoints(version: AgentVersion): string {
  return Object.keys(version.manifest?.spec?.endpoints ?? {}).join(', ');
}

function formatAgent(agent: Agent): string {
  const head = formatFields([
    ['name', agent.name],
    ['version', String(agent.version)],
    ['description', agent.description ?? '-'],
    ['runtime', agent.runtime],
    ['created', shortTime(agent.created_at)],
    ['updated', shortTime(agent.updated_at)],
  ]);
  const endpoints = Object.entries(agent.endpoints).map(([name, e]) => {
    const line = `  ${name}  ${e.enabled ? 'enabled' : 'disabled'}, timeout ${formatDuration(e.timeout_ms)}, up to ${e.retry.max_attempts} attempts`;
    return e.description ? `${line}\n    ${e.description}` : line;
  });
  return `${head}\nendpoints:\n${endpoints.join('\n')}`;
}
