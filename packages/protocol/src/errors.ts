/**
 * The one registry of API error codes. Codes are stable and never reused; a test fails when one
 * is missing from the README or the OpenAPI document.
 */
export const ERROR_CODES = {
  VALIDATION_ERROR: { status: 400, description: 'The request does not match the route schema.' },
  INVALID_JSON: { status: 400, description: 'The request body is not valid JSON.' },
  BAD_REQUEST: { status: 400, description: 'The HTTP request itself is malformed (request line, header, URL encoding).' },
  UNAUTHORIZED: { status: 401, description: 'Missing, malformed, unknown or revoked API key.' },
  FORBIDDEN: { status: 403, description: "The key's role (or a worker key's agents) does not allow this operation." },
  NOT_FOUND: { status: 404, description: 'No such route.' },
  AGENT_NOT_FOUND: { status: 404, description: 'No such agent (or version) in this tenant.' },
  ENDPOINT_NOT_FOUND: { status: 404, description: 'The agent has no such endpoint.' },
  RUN_NOT_FOUND: { status: 404, description: 'No such run in this tenant.' },
  KEY_NOT_FOUND: { status: 404, description: 'No such API key in this tenant.' },
  LEASE_NOT_FOUND: { status: 404, description: 'No such lease in this tenant.' },
  APPROVAL_NOT_FOUND: { status: 404, description: 'No such approval in this tenant.' },
  SECRET_NOT_FOUND: { status: 404, description: 'No such secret in this tenant.' },
  GRANT_NOT_FOUND: { status: 404, description: 'No such grant in this tenant.' },
  WORKFLOW_NOT_FOUND: { status: 404, description: 'No such workflow (or version) in this tenant.' },
  SCHEDULE_NOT_FOUND: { status: 404, description: 'No such schedule in this tenant.' },
  WEBHOOK_NOT_FOUND: { status: 404, description: 'No such webhook subscription in this tenant.' },
  TRIGGER_NOT_FOUND: { status: 404, description: 'No such inbound webhook trigger in this tenant.' },
  WEBHOOK_DELIVERY_NOT_FOUND: { status: 404, description: 'The webhook subscription has no such delivery.' },
  SECRET_NOT_GRANTED: { status: 403, description: "The run's agent has no grant for this secret." },
  HOOK_UNVERIFIED: { status: 401, description: "A delivery to /v1/hooks/{id} whose Standard Webhooks signature (webhook-id, webhook-timestamp within 5 minutes, webhook-signature) or bearer token does not verify; an unknown trigger answers the same." },
  APPROVAL_LINK_INVALID: { status: 401, description: 'The decision link is malformed, forged, expired or already used.' },
  APPROVAL_ALREADY_DECIDED: { status: 409, description: 'The approval was already decided (or voted on by this approver); details hold the recorded decision.' },
  APPROVAL_EXPIRED: { status: 409, description: 'The approval expired before this decision; details hold the recorded outcome.' },
  TRIGGER_NAME_TAKEN: { status: 409, description: 'Another trigger of this tenant has this name.' },
  SECRET_EXISTS: { status: 409, description: 'A secret with this name exists; rotate it to add a version.' },
  LEASE_LOST: { status: 409, description: 'The lease expired or was replaced; the call changed nothing.' },
  RUN_ALREADY_TERMINAL: { status: 409, description: 'The run already ended; terminal states never change.' },
  RUN_NOT_RETRYABLE: { status: 409, description: 'Only a workflow run that ended failed, cancelled or timed out can be retried; details hold its kind and status.' },
  GENERATION_CONFLICT: { status: 409, description: "The run's generation is not the one the change was based on (another change came first); details hold the current generation." },
  ENDPOINT_DISABLED: { status: 409, description: 'The endpoint is disabled; no new runs are accepted.' },
  SCHEDULE_CONFLICT: { status: 409, description: 'A schedule with this id exists with another definition (or it changed while the request used it).' },
  SCHEDULE_SLOT_TAKEN: { status: 409, description: "The schedule's slot already has its run (another node made it, or another run now in the same millisecond)." },
  IDEMPOTENCY_IN_FLIGHT: { status: 409, description: 'A request with this Idempotency-Key is still being processed.' },
  WEBHOOK_DELIVERY_PENDING: { status: 409, description: 'The delivery is still pending (queued, retrying or being sent); only a finished one can be redelivered.' },
  REQUEST_TIMEOUT: { status: 408, description: 'The request headers or body did not arrive within the server\'s timeout; the connection is closed.' },
  PAYLOAD_TOO_LARGE: { status: 413, description: 'The request body is larger than the configured limit.' },
  URI_TOO_LONG: { status: 414, description: 'A path parameter is longer than the server accepts.' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, description: 'The Content-Type is not accepted by this route.' },
  KEY_INVALID: { status: 422, description: "The key's role, agents and expiry do not fit together; details name each field." },
  IDEMPOTENCY_KEY_REUSED: { status: 422, description: 'The Idempotency-Key was used with a different request.' },
  SCHEDULE_INVALID: { status: 422, description: 'The schedule cannot be used as given (its cron or time zone); details name each field.' },
  MANIFEST_INVALID: { status: 422, description: 'The agent manifest is invalid; details list each field path.' },
  WORKFLOW_INVALID: { status: 422, description: 'The workflow definition is invalid (shape, needs, cycles, expressions, unknown agents or endpoints); details list each field path.' },
  RUN_UPDATE_INVALID: { status: 422, description: "The change does not fit the run as it stands (max_attempts below the attempts it needs, a deadline in the past); details name each field." },
  EGRESS_REFUSED: { status: 422, description: 'The URL is refused by the egress policy (loopback, private, link-local, metadata or another special-purpose address, or a scheme other than http/https); AGENTD_EGRESS_ALLOW may allow addresses.' },
  TRIGGER_INVALID: { status: 422, description: 'The trigger cannot be used as given (its target, mapping or secret); details name each field.' },
  TRIGGER_PAYLOAD_INVALID: { status: 422, description: "A verified delivery's body is not JSON, or its trigger's mapping fails on it (a JSON pointer to nothing, an expression error); the delivery is recorded as rejected." },
  INPUT_INVALID: { status: 422, description: "The run input does not match the endpoint's input schema." },
  OUTPUT_INVALID: { status: 422, description: "The output does not match the endpoint's output schema." },
  CALL_KEY_CONFLICT: { status: 409, description: 'This call key already names a child run of the parent with another agent, endpoint or input.' },
  CALL_DEPTH_EXCEEDED: { status: 422, description: 'The child run would be deeper in its tree than the configured maximum call depth.' },
  CHILD_LIMIT_EXCEEDED: { status: 422, description: 'The parent run already made the configured maximum number of child runs.' },
  HEADERS_TOO_LARGE: { status: 431, description: 'The request headers are larger than the server accepts.' },
  RATE_LIMITED: { status: 429, description: 'Too many requests; retry after the Retry-After header.' },
  SECRET_UNREADABLE: { status: 500, description: 'A stored secret failed authenticated decryption (tampered, moved or wrong master key); never an empty value.' },
  INTERNAL: { status: 500, description: 'An unexpected server error; the request id identifies it in the logs.' },
  UNAVAILABLE: { status: 503, description: 'The server is starting, stopping or cannot reach its database.' },
} as const satisfies Record<string, { status: number; description: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;
export const ERROR_CODE_LIST = Object.keys(ERROR_CODES) as ErrorCode[];

/** A problem at one place in a document: `path` is a JSON pointer-like dotted path. */
export interface FieldProblem {
  path: string;
  message: string;
}
