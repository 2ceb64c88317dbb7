import type { Store } from '../store/store.ts';
import { AgentService } from './agent-service.ts';
import { ApprovalService } from './approval-service.ts';
import { ApprovalLinks } from './approval-links.ts';
import { randomBytes } from 'node:crypto';
import { AuditService } from './audit-service.ts';
import type { Clock } from './clock.ts';
import { EventService } from './event-service.ts';
import { FindingService } from './finding-service.ts';
import { LogService } from './log-service.ts';
import { KeyService } from './key-service.ts';
import { LeaseService } from './lease-service.ts';
import { RunService } from './run-service.ts';
import { Sweeper } from './sweeper.ts';
import { TenantService } from './tenant-service.ts';
import { GrantService } from './grant-service.ts';
import type { Keyring } from './master-key.ts';
import { SecretDelivery } from './secret-delivery.ts';
import { SecretService } from './secret-service.ts';

/** Everything the API needs, built from one store and one clock. No module-level state. */
export interface Engine {
  store: Store;
  clock: Clock;
  tenants: TenantService;
  keys: KeyService;
  agents: AgentService;
  runs: RunService;
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
export function createEngine(opts: { store: Store; clock: Clock; random?: () => number; linkKey?: Buffer; keyring?: Keyring }): Engine {
  const { store, clock } = opts;
  const agents = new AgentService(store);
  const leases = new LeaseService(store, agents, clock, opts.random);
  const approvals = new ApprovalService(store, clock);
  // No keyring (the OpenAPI generator): secret routes answer 500 instead of inventing a key.
  const secrets = new SecretService(store, opts.keyring ?? null);
  const audit = new AuditService(store, clock);
  return {
    store,
    clock,
    tenants: new TenantService(store, clock),
    keys: new KeyService(store, clock),
    agents,
    runs: new RunService(store, agents, leases, clock),
    leases,
    events: new EventService(store),
    findings: new FindingService(store),
    logs: new LogService(store),
    sweeper: new Sweeper(store, leases, approvals, clock),
    approvals,
    approvalLinks: new ApprovalLinks(opts.linkKey ?? opts.keyring?.derive('approval links v1') ?? randomBytes(32)),
    audit,
    secrets,
    grants: new GrantService(store, agents),
    secretDelivery: new SecretDelivery({ store, secrets, leases, audit, clock }),
  };
}
