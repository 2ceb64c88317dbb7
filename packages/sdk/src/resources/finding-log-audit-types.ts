/** Parameter shapes of `client.findings`, `client.logs` and `client.audit`. */
import type { Finding, FindingSeverity } from '@agentd/protocol';

/** A finding as a run posts it. */
export interface FindingCreateParams {
  severity: FindingSeverity;
  /** 1–2000 characters. */
  summary: string;
  /** What found it: a tool, a check, a model (≤ 200). */
  source?: string;
  /** Where: a path, optionally with `:line` (≤ 1000). */
  file?: string;
  /** Any JSON. */
  details?: unknown;
}

export interface FindingCreateResponse {
  data: Finding[];
}

/** Follow-style lists go oldest first from `since`; each page's `next_cursor` is the next `since`. */
export interface FollowParams {
  /** Only items after this cursor (a `next_cursor` from before). Default: from the first. */
  since?: string;
  /** Page size; findings 1–500, logs 1–1000 (server default 100). */
  limit?: number;
}

export interface FindingListParams extends FollowParams {
  /** One severity or several. */
  severity?: FindingSeverity | FindingSeverity[];
  agent?: string;
  run?: string;
}

export interface RunFindingListParams extends FollowParams {
  severity?: FindingSeverity | FindingSeverity[];
}

export interface LogListParams extends FollowParams {
  /** One level or several (`['warn', 'error']`). */
  level?: string | string[];
  agent?: string;
  run?: string;
}

export interface RunLogListParams extends FollowParams {
  level?: string | string[];
}

export interface FollowOptions {
  /** Stops following; iteration then ends quietly. */
  signal?: AbortSignal;
  /** Wait between polls once caught up, ms. Default 1000. */
  intervalMs?: number;
}

export interface AuditListParams {
  /** An API key id. */
  actor?: string;
  /** Exact: `POST /v1/runs/{id}/cancel`. */
  action?: string;
  target_type?: string;
  target_id?: string;
  outcome?: 'ok' | 'denied' | 'error';
  /** ISO time: at or after. */
  since?: string;
  /** ISO time: before. */
  until?: string;
  limit?: number;
  cursor?: string;
}

export type { Finding };
