import type { Store } from './store/index.ts';
import { AgentService } from './agents/index.ts';
import { ApprovalService } from './approvals/index.ts';
import { ApprovalLinks } from './approvals/index.ts';
import { randomBytes } from 'node:crypto';
import { AuditService } from './audit/index.ts';
import type { Clock } from './core/index.ts';
import { EventService } from './events/index.ts';
import { FindingService } from './findings/index.ts';
import { LogService } from './findings/index.ts';
import { KeyService } from './keys/index.ts';
import { LeaseService } from './leases/index.ts';
import { RunService } from './runs/index.ts';
import { CallService, DEFAULT_CALL_LIMITS, type CallLimits } from './calls/index.ts';
import { Sweeper } from './timers/index.ts';
import { CronCache, ScheduleFiring, ScheduleService, ScheduleTicker } from './schedules/index.ts';
import { TenantService } from './keys/index.ts';
import { GrantService } from './secrets/index.ts';
import type { Keyring } from './secrets/index.ts';
import { SecretDelivery } from './secrets/index.ts';
import { SecretService } from './secrets/index.ts';
import { WorkflowDriver, WorkflowRetrier, WorkflowService, WorkflowStarter } from './workflows/index.ts';
import { SignalService } from './signals/index.ts';
import { StepService } from './steps/index.ts';
import { EgressClient, EgressPolicy, type Resolver } from './egress/index.ts';
import { LlmRunner, type LlmRunnerOptions, type UsagePort } from './llm/index.ts';
import type { ToolFactory } from './tools/index.ts';
import { SessionService } from './sessions/index.ts';
import { ModelAliases } from './models/index.ts';
import { UsageLoopPort, UsageService, type ModelRateLimiterOptions } from './usage/index.ts';
import type { ModelAliasConfig } from '@agentd/protocol/schemas';
import { ManagedResources } from './config-file/index.ts';
import { DEFAULT_RETRY_SCHEDULE_MS, WebhookDeliveryLoop, WebhookEnqueuer, WebhookService } from './webhooks/index.ts';
import { TriggerReceiver, TriggerService } from './triggers/index.ts';
import { McpServerService, OutboundTools } from './mcp/index.ts';
import type { ToolCaps } from './tools/index.ts';

/** Everything the API needs, built from one store and one clock. No module-level state. */
export interface Engine {
  store: Store;
  clock: Clock;
  tenants: TenantService;
  keys: KeyService;
  agents: AgentService;
  runs: RunService;
  calls: CallService;
  leases: LeaseService;
  events: EventService;
  findings: FindingService;
  logs: LogService;
  sweeper: Sweeper;
  audit: AuditService;
  approvals: ApprovalService;
  secrets: SecretService;
  grants: GrantService;
  secretDelivery: SecretDelivery;
  approvalLinks: ApprovalLinks;
  workflows: WorkflowService;
  /** Starts workflow runs; the driver they share moves them in the transactions of their steps. */
  workflowRuns: WorkflowStarter;
  /** `POST /v1/runs/{id}/retry`: a failed workflow run again, from its failed steps. */
  workflowRetries: WorkflowRetrier;
  schedules: ScheduleService;
  /** Starts the runs of due schedules on the timer leader; server.ts starts it. */
  scheduleTicker: ScheduleTicker;
  signals: SignalService;
  steps: StepService;
  /** Outbound HTTP under the egress policy (webhooks; later the HTTP tool and MCP client). */
  egress: EgressClient;
  webhooks: WebhookService;
  /** Sends queued webhook deliveries; started by the server (`start()`), stopped with it. */
  webhookDelivery: WebhookDeliveryLoop;
  /** Sessions: conversations whose messages are runs (registers its run hooks on the store). */
  sessions: SessionService;
  /** Inbound webhook triggers: definitions, secrets, delivery logs (and the declarative seam, putByName). */
  triggers: TriggerService;
  /** Verifies and starts the deliveries of `/v1/hooks/{id}`. */
  triggerReceiver: TriggerReceiver;
  /**
   * The model aliases (the config file's `models:`, held by reference so a reload is seen), for
   * prices, the shared rate limits and `GET /v1/models`.
   */
  modelAliases: ModelAliases;
  /**
   * The raw `models:` record `modelAliases` reads (alias → provider, base_url, model,
   * api_key_secret…). One object for the engine's life: a config reload replaces its entries in
   * place (config-file/config-reloader.ts), so read it when a model call is made, not once.
   */
  models: Record<string, ModelAliasConfig>;
  /** Usage and cost of model calls, budgets, the aliases' shared rate limits (see usage/index.ts). */
  usage: UsageService;
  /** MCP servers registered per tenant, their pinned tools (mcp/). */
  mcpServers: McpServerService;
  /**
   * The tools of LLM agents that reach outside (http_fetch, MCP servers), under the egress policy
   * and the tool caps: `create({tenantId, agent, entry})` makes the runners of a manifest entry.
   */
  tools: OutboundTools;
  /** Resources the config file manages (config_resources): reload diffs them, the API refuses writes to them. */
  configResources: ManagedResources;
  /** Leases and runs `runtime: llm` agents' runs on this node; started by the server (`start()`), stopped with it. */
  llm: LlmRunner;
}

/** The LLM runtime's seams and settings (see llm/). */
export interface LlmEngineOptions extends LlmRunnerOptions {
  /** Budgets and usage recording; default the usage module's UsageLoopPort (run, agent and tenant budgets, rpm/tpm). */
  usage?: UsagePort;
  /** The runners of http_fetch and mcp_server tool entries; default the engine's OutboundTools. */
  tools?: ToolFactory;
  /** At most one run.output.delta event per run per this many ms. Default 50. */
  deltaIntervalMs?: number;
}

/** Outbound webhooks: the egress policy, retries and timeouts (see webhooks/, egress/). */
export interface WebhookEngineOptions {
  /** Default: refuse every special-purpose address (loopback, private, link-local, metadata…). */
  egress?: EgressPolicy;
  /** Tests resolve made-up names without DNS. Default: the system resolver. */
  resolve?: Resolver;
  /** Waits between attempts, ms. Default DEFAULT_RETRY_SCHEDULE_MS (about a day). */
  retrySchedule?: readonly number[];
  /** One attempt's timeout, ms. Default 10 s. */
  timeoutMs?: number;
  /** How often the loop looks for due deliveries, ms. Default 1 s. */
  pollIntervalMs?: number;
  /** Attempts in flight per node. Default 16. */
  concurrency?: number;
}

/**
 * `linkKey` signs approval decision links; every node must share it (the server derives it from
 * the master key). Without one, links are signed with a key that lives as long as this process.
 */
export function createEngine(opts: {
  store: Store;
  clock: Clock;
  random?: () => number;
  linkKey?: Buffer;
  keyring?: Keyring;
  /** Caps on run trees (see CallLimits); default depth 8, 100 children per run. */
  calls?: Partial<CallLimits>;
  /** How the timers cut their passes (see SweeperOptions). */
  sweep?: { batchSize?: number; passLimit?: number; purgeBatchSize?: number; purgePassLimit?: number };
  /** How the schedule ticker cuts its passes and when a slot counts as missed (see ScheduleTickerOptions). */
  schedules?: { passLimit?: number; lateToleranceMs?: number };
  webhooks?: WebhookEngineOptions;
  /** Sessions: the idle time after which a session ends itself when it names none (default 24 h). */
  sessions?: { idleTtlMs?: number };
  /** Model aliases by name (ServeConfig.models: the config file's `models:` section, already validated; kept by reference, see Engine.models). Default: none. */
  models?: Record<string, ModelAliasConfig>;
  /** How long a model call waits for its alias's shared per-minute limits (default 60 s); tests inject `sleep`. */
  modelRateLimits?: Pick<ModelRateLimiterOptions, 'maxWaitMs' | 'sleep'>;
  /** Default caps of a tool call (bytes of a reply, time); default 1 MiB and 30 s. */
  tools?: { caps?: Partial<ToolCaps> };
  /** The LLM runner's settings and seams (tests replace the usage port or the tool factory). */
  llm?: LlmEngineOptions;
}): Engine {
  const { store, clock } = opts;
  const models = opts.models ?? {};
  const modelAliases = new ModelAliases(models);
  const agents = new AgentService(store);
  const leases = new LeaseService({ store, agents, clock, random: opts.random });
  const approvals = new ApprovalService(store, clock);
  // No keyring (the OpenAPI generator): secret routes answer 500 instead of inventing a key.
  // A grant or secret changed: this node's cached scrubbers of the tenant are forgotten (see SecretDelivery.forget).
  const forgetScrubbers = (tenantId: string) => secretDelivery.forget(tenantId);
  const secrets = new SecretService(store, opts.keyring ?? null, { onChange: forgetScrubbers });
  const audit = new AuditService(store, clock);
  const secretDelivery = new SecretDelivery({ store, secrets, leases, audit, clock });
  const runs = new RunService(store, agents, leases, clock);
  const crons = new CronCache();
  const hooks = opts.webhooks ?? {};
  const retrySchedule = hooks.retrySchedule ?? DEFAULT_RETRY_SCHEDULE_MS;
  const egress = new EgressClient({ policy: hooks.egress ?? new EgressPolicy(), resolve: hooks.resolve, userAgent: 'agentd-webhooks' });
  const webhookDelivery = new WebhookDeliveryLoop({ store, secrets, audit, clock, egress, retrySchedule, timeoutMs: hooks.timeoutMs, pollIntervalMs: hooks.pollIntervalMs, concurrency: hooks.concurrency, random: opts.random });
  const sessions = new SessionService({ store, agents, runs, leases, clock, idleTtlMs: opts.sessions?.idleTtlMs });
  // LLM agents' tools (http_fetch, MCP servers) go out under the same policy as webhooks.
  const toolEgress = new EgressClient({ policy: egress.policy, resolve: hooks.resolve, userAgent: 'agentd-tools' });
  const mcpServers = new McpServerService({ store, secrets, audit, egress: toolEgress, caps: opts.tools?.caps });
  const tools = new OutboundTools({ egress: toolEgress, mcp: mcpServers, caps: opts.tools?.caps });
  const workflows = new WorkflowService(store, agents);
  // Registers its run hooks on the store: steps advance in their children's and gates' transactions.
  const signals = new SignalService(store);
  // A for_each step runs at most as many items as a run may make children.
  const driver = new WorkflowDriver({ store, workflows, agents, leases, signals, maxItems: opts.calls?.maxChildren ?? DEFAULT_CALL_LIMITS.maxChildren });
  const enqueuer = new WebhookEnqueuer({ store, maxAttempts: () => retrySchedule.length + 1, onQueued: () => webhookDelivery.queued() });
  // Deliveries are queued in the transaction of their events (one hook per store: a second engine replaces it).
  store.writer.setEventHook('webhooks', enqueuer.hook);
  const calls = new CallService({ store, runs, leases, limits: opts.calls });
  const usage = new UsageService({ store, clock, aliases: modelAliases, rateLimits: opts.modelRateLimits });
  const llmOpts = opts.llm ?? {};
  const llm = new LlmRunner({
    store,
    agents,
    leases,
    clock,
    ...llmOpts,
    loop: { store, agents, calls, approvals, secrets, models: modelAliases, usage: llmOpts.usage ?? new UsageLoopPort({ store, usage }), tools: llmOpts.tools ?? tools, deltaIntervalMs: llmOpts.deltaIntervalMs ?? 50 },
  });
  const workflowRuns = new WorkflowStarter({ store, workflows, driver, clock });
  const firing = new ScheduleFiring(store, runs, workflowRuns);
  const scheduleTicker = new ScheduleTicker({ store, firing, crons, clock, ...opts.schedules });
  return {
    store,
    clock,
    tenants: new TenantService(store, clock),
    keys: new KeyService(store, clock),
    agents,
    runs,
    calls,
    leases,
    events: new EventService(store),
    findings: new FindingService(store),
    logs: new LogService(store),
    sweeper: new Sweeper({ store, leases, approvals, workflows: driver, sessions, clock, ...opts.sweep }),
    approvals,
    approvalLinks: new ApprovalLinks(opts.linkKey ?? opts.keyring?.derive('approval links v1') ?? randomBytes(32)),
    audit,
    secrets,
    grants: new GrantService(store, agents, { onChange: forgetScrubbers }),
    secretDelivery,
    workflows,
    workflowRuns,
    workflowRetries: new WorkflowRetrier({ store, driver, clock }),
    schedules: new ScheduleService({ store, agents, workflows, firing, crons, clock, onChange: () => scheduleTicker.nudge() }),
    scheduleTicker,
    signals,
    steps: new StepService(store),
    egress,
    webhooks: new WebhookService({ store, secrets, egress, enqueuer, onRedeliver: () => webhookDelivery.wake() }),
    webhookDelivery,
    sessions,
    triggers: new TriggerService({ store, secrets, agents, workflows }),
    triggerReceiver: new TriggerReceiver({ store, secrets, runs, workflowRuns, clock }),
    modelAliases,
    models,
    usage,
    mcpServers,
    tools,
    configResources: new ManagedResources(store),
    llm,
  };
}
