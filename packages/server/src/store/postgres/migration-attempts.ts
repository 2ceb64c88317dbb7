/**
 * One write per attempt (see runs/run-attempts.ts): the open attempt lives on the run row
 * (`attempt_started_at` beside `attempts`, `lease_id`, `worker_id`, set by the lease) and its
 * run_attempts row is inserted only when it ends. Attempts open at the upgrade (outcome
 * `running`, their run still holding the lease) move onto their runs and their rows go, so an
 * upgraded database behaves as a new one; a `running` row whose run no longer holds its lease
 * (none is written that way) is left as it was, and listed as before.
 *
 * runs_leased (lease_expires_at, running runs) duplicated the key of runs_lease_held (running and
 * waiting); its one user was the attempt-timeout sweep, which filters on attempt_deadline_at and
 * only used it to enumerate the running runs (EXPLAIN: a bitmap scan of the whole partial index,
 * the deadline a heap filter). runs_attempt_due gives that sweep its own key, one index for one.
 *
 * fillfactor 90 leaves a tenth of each heap page of runs free, so the updates that change no
 * indexed column (events appended: `last_seq`, `updated_at`; a child made: `child_count`; a live
 * control of `max_attempts` or `retry`) can be HOT: the new row version on the same page, no
 * index entry (a heartbeat is not: runs_lease_held has its `lease_expires_at`). It applies to
 * pages written from now on; existing pages are repacked only by a rewrite (VACUUM FULL, CLUSTER).
 */
export const POSTGRES_ATTEMPTS = `
ALTER TABLE runs ADD COLUMN attempt_started_at BIGINT;
DROP INDEX runs_leased;
CREATE INDEX runs_attempt_due ON runs (attempt_deadline_at) WHERE status = 'running';
ALTER TABLE runs SET (fillfactor = 90);
UPDATE runs AS r SET attempt_started_at = a.started_at
FROM run_attempts AS a
WHERE a.lease_id = r.lease_id AND a.run_id = r.id AND a.tenant_id = r.tenant_id AND a.outcome = 'running' AND r.status IN ('running', 'waiting');
DELETE FROM run_attempts AS a
USING runs AS r
WHERE a.lease_id = r.lease_id AND a.run_id = r.id AND a.tenant_id = r.tenant_id AND a.outcome = 'running' AND r.status IN ('running', 'waiting');
`;
