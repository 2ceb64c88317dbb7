import { AGENT_NAME_PATTERN } from '@agentd/protocol/manifest';
import { ALL_AGENTS, type FieldProblem, type Role } from '@agentd/protocol';
import { DomainError } from '../core/index.ts';

/** What a key may do beyond its role: the agents a worker key serves. */
export interface KeyScope {
  role: Role;
  /** A worker key's agents (`["*"]` for all); `null` for every other role. */
  agents: readonly string[] | null;
}

/** An agent list is short: a key that serves more agents than this should be a `["*"]` key. */
const MAX_AGENTS = 100;

/**
 * Checks a key request and returns the agent list to store. A worker key must name its agents
 * (`["*"]` stated explicitly, alone); no other role names any. Every problem is reported at once
 * as `422 KEY_INVALID` with a field path, like the schema's own errors.
 */
export function checkKeyRequest(input: { role: Role; agents?: readonly string[] | null; expiresAt?: number | null; now: number }): string[] | null {
  const problems: FieldProblem[] = [];
  let agents: string[] | null = null;
  if (input.role !== 'worker') {
    if (input.agents !== undefined && input.agents !== null) {
      problems.push({ path: 'body.agents', message: `only worker keys name agents; a ${input.role} key has no agent list` });
    }
  } else if (input.agents === undefined || input.agents === null) {
    problems.push({ path: 'body.agents', message: 'is required for a worker key: the agents it may serve, or ["*"] for every agent' });
  } else if (input.agents.length === 0) {
    problems.push({ path: 'body.agents', message: 'must name at least one agent, or be ["*"] for every agent' });
  } else if (input.agents.length > MAX_AGENTS) {
    problems.push({ path: 'body.agents', message: `must name at most ${MAX_AGENTS} agents; use ["*"] for every agent` });
  } else {
    input.agents.forEach((a, i) => {
      if (a === ALL_AGENTS) {
        if (input.agents!.length > 1) problems.push({ path: `body.agents.${i}`, message: '"*" stands alone: it already means every agent' });
      } else if (!AGENT_NAME_PATTERN.test(a)) {
        problems.push({ path: `body.agents.${i}`, message: 'must be an agent name (lower-case letters, digits, "-"; starts with a letter) or "*"' });
      }
    });
    agents = [...new Set(input.agents)];
  }
  if (input.expiresAt !== undefined && input.expiresAt !== null && input.expiresAt <= input.now) {
    problems.push({ path: 'body.expires_at', message: 'is not in the future' });
  }
  if (problems.length > 0) throw new DomainError('KEY_INVALID', problems.map((p) => `${p.path} ${p.message}`).join('; '), problems);
  return agents;
}

/**
 * Whether a key may use the worker protocol for `agent`: an admin key for every agent, a worker
 * key for the agents it names (or all, with `["*"]`), no other role for any.
 */
export function mayServe(scope: KeyScope, agent: string): boolean {
  if (scope.role === 'admin') return true;
  if (scope.role !== 'worker' || !scope.agents) return false;
  return scope.agents.includes(ALL_AGENTS) || scope.agents.includes(agent);
}

/** A key whose every lease-scoped call needs no check: it serves every agent. */
export function servesEveryAgent(scope: KeyScope): boolean {
  return scope.role === 'admin' || (scope.role === 'worker' && !!scope.agents?.includes(ALL_AGENTS));
}

/**
 * Whether a lease taken with this key receives `agent`'s granted secrets: only a worker key that
 * names the agent itself. Never a `["*"]` key (one stolen key would read every agent's secrets)
 * and never an admin key (it runs the quickstart, not production workers).
 */
export function receivesSecrets(scope: KeyScope, agent: string): boolean {
  return scope.role === 'worker' && !!scope.agents && scope.agents.includes(agent);
}

/** Why a lease taken with this key carries no secrets, for the task's `secrets_withheld`. */
export function secretsWithheld(scope: KeyScope, agent: string): { reason: 'admin_key' | 'all_agents_key'; message: string } | null {
  if (receivesSecrets(scope, agent)) return null;
  const fix = `use a worker key that names it: agentd keys create --role worker --agents ${agent}`;
  if (scope.role === 'admin') return { reason: 'admin_key', message: `secrets are never delivered to a lease taken with an admin key; ${fix}` };
  return { reason: 'all_agents_key', message: `secrets are never delivered to a lease taken with a worker key for ["*"]; ${fix}` };
}
