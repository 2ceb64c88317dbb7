import type { ReloadResult } from '@agentd/protocol';
import type { ClientOptions } from './core/client-options.ts';
import type { RequestOptions } from './core/request-options.ts';
import { HttpClient } from './core/http-client.ts';
import { AgentsResource } from './resources/agents-resource.ts';
import { ApprovalsResource } from './resources/approvals-resource.ts';
import { EventsResource } from './resources/events-resource.ts';
import { KeysResource } from './resources/keys-resource.ts';
import { LeasesResource } from './resources/leases-resource.ts';
import { RunsResource } from './resources/runs-resource.ts';
import { WorkerResource } from './resources/worker-resource.ts';
import { SecretsResource } from './resources/secrets-resource.ts';
import { GrantsResource } from './resources/grants-resource.ts';
import { AuditResource } from './resources/audit-resource.ts';
import { FindingsResource } from './resources/findings-resource.ts';
import { LogsResource } from './resources/logs-resource.ts';
import { WorkflowsResource } from './resources/workflows-resource.ts';
import { SchedulesResource } from './resources/schedules-resource.ts';
import { SessionsResource } from './resources/sessions-resource.ts';
import { WebhooksResource } from './resources/webhooks-resource.ts';
import { TriggersResource } from './resources/triggers-resource.ts';
import { BudgetsResource, ModelsResource, UsageResource } from './resources/usage-resource.ts';
import { McpServersResource } from './resources/mcp-servers-resource.ts';

/**
 * The agentd API client. Works in any runtime with `fetch` (Node ≥ 22, Deno, Bun, browsers).
 *
 * @example
 * import { Agentd } from '@agentd/sdk';
 * const client = new Agentd({ apiKey: process.env.AGENTD_API_KEY });
 * const run = await client.runs.createAndWait({ agent: 'greeter', endpoint: 'greet', input: { name: 'Ada' } });
 */
export class Agentd extends HttpClient {
  readonly agents: AgentsResource;
  readonly runs: RunsResource;
  readonly keys: KeysResource;
  readonly events: EventsResource;
  readonly worker: WorkerResource;
  readonly leases: LeasesResource;
  readonly approvals: ApprovalsResource;
  readonly secrets: SecretsResource;
  readonly grants: GrantsResource;
  readonly findings: FindingsResource;
  readonly logs: LogsResource;
  readonly audit: AuditResource;
  readonly workflows: WorkflowsResource;
  readonly schedules: SchedulesResource;
  readonly webhooks: WebhooksResource;
  readonly sessions: SessionsResource;
  readonly triggers: TriggersResource;
  readonly usage: UsageResource;
  readonly models: ModelsResource;
  readonly budgets: BudgetsResource;
  readonly mcpServers: McpServersResource;

  constructor(options: ClientOptions = {}) {
    super(options);
    this.agents = new AgentsResource(this);
    this.runs = new RunsResource(this);
    this.keys = new KeysResource(this);
    this.events = new EventsResource(this);
    this.worker = new WorkerResource(this);
    this.leases = new LeasesResource(this);
    this.approvals = new ApprovalsResource(this);
    this.secrets = new SecretsResource(this);
    this.grants = new GrantsResource(this);
    this.findings = new FindingsResource(this);
    this.logs = new LogsResource(this);
    this.audit = new AuditResource(this);
    this.workflows = new WorkflowsResource(this);
    this.schedules = new SchedulesResource(this);
    this.webhooks = new WebhooksResource(this);
    this.sessions = new SessionsResource(this, this.runs);
    this.triggers = new TriggersResource(this);
    this.usage = new UsageResource(this);
    this.models = new ModelsResource(this);
    this.budgets = new BudgetsResource(this);
    this.mcpServers = new McpServersResource(this);
  }

  /**
   * `POST /v1/reload`: the server reads its config file (`agentd serve --config`) again and
   * applies it, answering the diff (`added`, `changed`, `removed`, `unchanged`: `section/name`)
   * and the `server:` settings that need a restart. An invalid file is a 422 `CONFIG_INVALID`
   * (nothing changed; `details` name each problem's path); a server without a file answers 409
   * `CONFIG_NOT_LOADED`. Admin keys of the default tenant only.
   * @example const { diff } = await client.reload(); console.log(diff.added, diff.changed, diff.removed);
   */
  reload(options?: RequestOptions): Promise<ReloadResult> {
    return this.request<ReloadResult>({ method: 'POST', path: '/v1/reload', body: {} }, options);
  }
}

/** The same class under a descriptive name. */
export const AgentdClient = Agentd;
export type AgentdClient = Agentd;
