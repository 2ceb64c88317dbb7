"""The names generate_models.py gives: of route answers, of nested objects worth one, of fields
that clash with BaseModel's, and of area modules."""

from __future__ import annotations

# (method, path) → the name of its 2xx answer (of the items when the answer is a page).
# Earlier entries win when two routes answer with the same shape.
NAMES: list[tuple[str, str, str]] = [
    ("get", "/v1/runs/{id}", "Run"),
    ("get", "/v1/agents/{name}", "Agent"),
    ("get", "/v1/agents/{name}/versions/{version}", "AgentVersion"),
    ("delete", "/v1/agents/{name}", "AgentDeleted"),
    ("get", "/v1/keys", "ApiKey"),
    ("post", "/v1/keys", "CreatedApiKey"),
    ("get", "/v1/runs/{id}/attempts", "RunAttempt"),
    ("get", "/v1/events", "RunEvent"),
    ("post", "/v1/worker/lease", "LeaseResponse"),
    ("post", "/v1/leases/{lease_id}/heartbeat", "HeartbeatResult"),
    ("post", "/v1/leases/{lease_id}/events", "AppendEventsResponse"),
    ("post", "/v1/worker/complete", "CompleteBatchResponse"),
    ("get", "/v1/approvals/{id}", "Approval"),
    ("post", "/v1/approvals/{id}/link", "ApprovalLink"),
    ("post", "/v1/runs/{id}/signals/{name}", "Signal"),
    ("post", "/v1/leases/{lease_id}/signals/{name}/wait", "SignalWaitResult"),
    ("post", "/v1/leases/{lease_id}/steps", "StepRecorded"),
    ("get", "/v1/leases/{lease_id}/steps", "RecordedSteps"),
    ("get", "/v1/secrets", "Secret"),
    ("get", "/v1/secrets/{name}", "SecretDetail"),
    ("delete", "/v1/secrets/{name}", "SecretDeleted"),
    ("post", "/v1/secrets/rewrap", "SecretRewrapResult"),
    ("get", "/v1/grants", "Grant"),
    ("post", "/v1/leases/{lease_id}/findings", "FindingCreateResponse"),
    ("get", "/v1/findings", "Finding"),
    ("get", "/v1/logs", "LogLine"),
    ("get", "/v1/audit", "AuditRecord"),
    ("get", "/v1/workflows/{name}", "Workflow"),
    ("get", "/v1/workflows/{name}/versions/{version}", "WorkflowVersion"),
    ("delete", "/v1/workflows/{name}", "WorkflowDeleted"),
    ("get", "/v1/schedules/{id}", "Schedule"),
    ("delete", "/v1/schedules/{id}", "ScheduleDeleted"),
    ("get", "/v1/schedules/{id}/runs", "ScheduleFire"),
    ("get", "/v1/webhooks/{id}", "Webhook"),
    ("post", "/v1/webhooks", "WebhookWithSecret"),
    ("delete", "/v1/webhooks/{id}", "WebhookDeleted"),
    ("get", "/v1/webhooks/{id}/deliveries/{delivery_id}", "WebhookDelivery"),
    ("get", "/v1/health", "Health"),
    ("get", "/v1/sessions/{id}", "Session"),
    ("get", "/v1/sessions/{id}/messages", "SessionMessage"),
    ("post", "/v1/sessions/{id}/messages", "SessionMessageAccepted"),
    ("delete", "/v1/sessions/{id}", "SessionDeleted"),
    ("get", "/v1/health/ready", "Readiness"),
    ("get", "/v1/approval-links/{token}", "ApprovalLinkView"),
    ("get", "/v1/triggers/{id}", "Trigger"),
    ("post", "/v1/triggers", "TriggerWithSecret"),
    ("delete", "/v1/triggers/{id}", "TriggerDeleted"),
    ("get", "/v1/triggers/{id}/deliveries", "TriggerDelivery"),
    ("post", "/v1/reload", "ReloadResult"),
    ("get", "/v1/models", "ModelList"),
    ("get", "/v1/usage", "UsageReport"),
    ("get", "/v1/budgets", "BudgetList"),
    ("put", "/v1/budgets", "BudgetPutResult"),
    ("get", "/v1/mcp-servers/{name}", "McpServer"),
    ("delete", "/v1/mcp-servers/{name}", "McpServerDeleted"),
]

# Nested objects worth a name of their own (default: parent + field + "Item").
RENAMES = {"LeaseResponseTasksItem": "Task", "RunError": "RunFailure", "ErrorBodyError": "ErrorDetail", "ModelListDataItem": "ModelInfo",
           "BudgetListDataItem": "Budget", "UsageReportDataItem": "UsageRow", "UsageReportTotals": "UsageTotals"}

# Names BaseModel already uses; a field so named gets a trailing underscore and an alias.
RESERVED = {"model_config", "model_fields", "schema", "json", "dict", "copy", "validate", "construct", "fields"}

# Module names of areas whose tag is not one (or would read badly as agentd.models.<tag>).
AREA_MODULES = {"mcp-servers": "mcp_servers", "models": "model_aliases"}
