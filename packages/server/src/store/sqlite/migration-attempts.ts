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
 * only used it to enumerate the running runs. runs_attempt_due gives that sweep its own key.
 */
export const SQLITE_ATTEMPTS = `
ALTER TABLE runs ADD COLUMN attempt_started_at INTEGER;
DROP INDEX runs_leased;
CREATE INDEX runs_attempt_due ON runs (attempt_deadline_at) WHERE status = 'running';
UPDATE runs SET attempt_started_at = (
  SELECT a.started_at FROM run_attempts a
  WHERE a.lease_id = runs.lease_id AND a.run_id = runs.id AND a.tenant_id = runs.tenant_id AND a.outcome = 'running'
)
WHERE lease_id IS NOT NULL AND status IN ('running', 'waiting');
DELETE FROM run_attempts
WHERE outcome = 'running' AND EXISTS (
  SELECT 1 FROM runs r
  WHERE r.lease_id = run_attempts.lease_id AND r.id = run_attempts.run_id AND r.tenant_id = run_attempts.tenant_id AND r.status IN ('running', 'waiting')
);
`;
