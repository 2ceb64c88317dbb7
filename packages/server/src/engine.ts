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
import { CallService, type CallLimits } from './calls/index.ts';
import { Sweeper } from './timers/index.ts';
import { TenantService } from './keys/index.ts';
import { GrantService } from './secrets/index.ts';
import type { Keyring } from './secrets/index.ts';
import { SecretDelivery } from './secrets/index.ts';
import { SecretService } from './secrets/index.ts';

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
}): Engine {
  const { store, clock } = opts;
  const agents = new AgentService(store);
  const leases = new LeaseService({ store, agents, clock, random: opts.random });
  const approvals = new ApprovalService(store, clock);
  // No keyring (the OpenAPI generator): secret routes answer 500 instead of inventing a key.
  const secrets = new SecretService(store, opts.keyring ?? null);
  const audit = new AuditService(store, clock);
  const runs = new RunService(store, agents, leases, clock);
  return {
    store,
    clock,
    tenants: new TenantService(store, clock),
    keys: new KeyService(store, clock),
    agents,
    runs,
    calls: new CallService({ store, runs, leases, limits: opts.calls }),
    leases,
    events: new EventService(store),
    findings: new FindingService(store),
    logs: new LogService(store),
    sweeper: new Sweeper({ store, leases, approvals, clock, ...opts.sweep }),
    approvals,
    approvalLinks: new ApprovalLinks(opts.linkKey ?? opts.keyring?.derive('approval links v1') ?? randomBytes(32)),
    audit,
    secrets,
    grants: new GrantService(store, agents),
    secretDelivery: new SecretDelivery({ store, secrets, leases, audit, clock }),
  };
}
