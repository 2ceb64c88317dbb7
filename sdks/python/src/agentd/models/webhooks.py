"""Generated from packages/server/openapi.json by scripts/generate_models.py. Do not edit.

The models of the `webhooks` area (first needed by its operations; see the script's rules).
"""

from __future__ import annotations

from typing import Literal

from agentd.models._base import _Model


class Webhook(_Model):
    id: str
    url: str
    events: list[str]
    agents: list[str] | None
    description: str | None
    status: Literal["active", "failing"]
    "`failing`: a delivery was given up after its last retry; the next successful delivery makes it `active` again."
    failing_since: str | None
    secret_version: int
    "Bumped by each rotation. The secret itself is never shown again."
    created_at: str
    updated_at: str


class WebhookWithSecret(_Model):
    id: str
    url: str
    events: list[str]
    agents: list[str] | None
    description: str | None
    status: Literal["active", "failing"]
    "`failing`: a delivery was given up after its last retry; the next successful delivery makes it `active` again."
    failing_since: str | None
    secret_version: int
    "Bumped by each rotation. The secret itself is never shown again."
    created_at: str
    updated_at: str
    secret: str
    "The signing secret (`whsec_` + base64), shown once: in this answer only."


class WebhookDeleted(_Model):
    id: str
    deleted: Literal[True]


class WebhookDelivery(_Model):
    id: str
    "Also the `webhook-id` header, the same on every attempt: receivers deduplicate on it."
    webhook_id: str
    event_id: str
    event_type: str
    run_id: str
    seq: int
    status: Literal["pending", "succeeded", "failed"]
    "`failed`: given up after the last retry (or a manual redelivery that failed)."
    attempts: int
    next_attempt_at: str | None
    last_attempt_at: str | None
    last_status_code: int | None
    last_error: str | None
    created_at: str
    delivered_at: str | None


class PostWebhooksBody(_Model):
    url: str
    "http or https; checked against the egress policy now and on every connection."
    events: list[str]
    "Event types (`run.succeeded`), prefix patterns (`run.*`) or `*`."
    agents: list[str] | None = None
    description: str | None = None


class PatchWebhooksByIdBody(_Model):
    "Fields given replace the old ones; events already queued keep going to the subscription."

    url: str | None = None
    "http or https; checked against the egress policy now and on every connection."
    events: list[str] | None = None
    "Event types (`run.succeeded`), prefix patterns (`run.*`) or `*`."
    agents: list[str] | None = None
    description: str | None = None


class PostWebhooksByIdRotateSecretBody(_Model):
    overlap_seconds: int | None = None
    "How long deliveries carry a signature by the old secret beside the new one. Default 86400 (24 h); 0 drops it at once."

__all__ = [
    "PatchWebhooksByIdBody",
    "PostWebhooksBody",
    "PostWebhooksByIdRotateSecretBody",
    "Webhook",
    "WebhookDeleted",
    "WebhookDelivery",
    "WebhookWithSecret",
]
