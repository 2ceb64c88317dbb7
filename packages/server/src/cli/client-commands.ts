import type { Command } from 'commander';
import { registerAgentsCommand } from './agents-command.ts';
import { registerApprovalsCommand } from './approvals-command.ts';
import { registerKeysCommand } from './keys-command.ts';
import { registerSecretsCommand } from './secrets-command.ts';
import { registerGrantsCommand } from './grants-command.ts';
import { registerRunCommand } from './run-command.ts';
import { registerRunsCommand } from './runs-command.ts';
import { registerAuditCommand } from './audit-command.ts';
import { registerFindingsCommand } from './findings-command.ts';
import { registerLogsCommand } from './logs-command.ts';
import { registerWorkflowsCommand } from './workflows-command.ts';
import { registerSchedulesCommand } from './schedules-command.ts';
import { registerSessionsCommand } from './sessions-command.ts';
import { registerChatCommand } from './chat-command.ts';
import { registerWebhooksCommand } from './webhooks-command.ts';
import { registerTriggersCommand } from './triggers-command.ts';
import { registerReloadCommand } from './reload-command.ts';
import { registerUsageCommands } from './usage-command.ts';
import { registerMcpServersCommand } from './mcp-servers-command.ts';

/**
 * Commands that talk to a server through the SDK (agents, run, runs, keys), never to the
 * database: they work the same against a laptop server and a remote cluster.
 */
export function registerClientCommands(program: Command): void {
  registerAgentsCommand(program);
  registerRunCommand(program);
  registerRunsCommand(program);
  registerKeysCommand(program);
  registerSecretsCommand(program);
  registerGrantsCommand(program);
  registerApprovalsCommand(program);
  registerFindingsCommand(program);
  registerLogsCommand(program);
  registerAuditCommand(program);
  registerWorkflowsCommand(program);
  registerSchedulesCommand(program);
  registerWebhooksCommand(program);
  registerSessionsCommand(program);
  registerChatCommand(program);
  registerTriggersCommand(program);
  registerReloadCommand(program);
  registerUsageCommands(program);
  registerMcpServersCommand(program);
}
