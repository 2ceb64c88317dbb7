"""Generated from packages/server/openapi.json by scripts/generate_models.py. Do not edit.

The models of the `triggers` area (first needed by its operations; see the script's rules).
"""

from __future__ import annotations

from typing import Any, Literal

from agentd.models._base import _Model
from agentd.models.runs import Run
from agentd.models.schedules import ScheduleTarget, ScheduleTarget1
from agentd.models.webhooks import WebhookDeleted


class TriggerMapping(_Model):
    pointer: str
    "A JSON pointer (RFC 6901) into the body: `/data/order`; `\"\"` is the whole body."


class TriggerMapping1(_Model):
    template: Any
    "A JSON value whose strings may hold workflow expressions (JSONata): `\"{% body.order.id %}\"` is the value, `\"order {% body.order.id %}\"` interpolates. Expressions read `body` (the parsed JSON) and `headers` (lower-cased; never authorization or webhook-signature)."


class TriggerRateLimit(_Model):
    "Per trigger, shared by every node. Default 600 per 60 s. Verified deliveries beyond it are answered 429 with Retry-After."

    count: int
    "Deliveries allowed per period (also the largest burst)."
    period_seconds: int


class Trigger(_Model):
    id: str
    name: str | None
    description: str | None
    url: str
    "Where senders POST deliveries: `/v1/hooks/{id}` on this server (the scheme and host of the request that asked)."
    target: ScheduleTarget | ScheduleTarget1
    "What a delivery starts: a run of an agent endpoint (`{agent, endpoint}`) or of a workflow (`{workflow}`)."
    auth: Literal["signature", "bearer"]
    mapping: TriggerMapping | TriggerMapping1 | None
    rate_limit: TriggerRateLimit
    "Per trigger, shared by every node. Default 600 per 60 s. Verified deliveries beyond it are answered 429 with Retry-After."
    secret_version: int
    "Bumped by each rotation. The secret itself is never shown again."
    created_at: str
    updated_at: str


class TriggerWithSecret(_Model):
    id: str
    name: str | None
    description: str | None
    url: str
    "Where senders POST deliveries: `/v1/hooks/{id}` on this server (the scheme and host of the request that asked)."
    target: ScheduleTarget | ScheduleTarget1
    "What a delivery starts: a run of an agent endpoint (`{agent, endpoint}`) or of a workflow (`{workflow}`)."
    auth: Literal["signature", "bearer"]
    mapping: TriggerMapping | TriggerMapping1 | None
    rate_limit: TriggerRateLimit
    "Per trigger, shared by every node. Default 600 per 60 s. Verified deliveries beyond it are answered 429 with Retry-After."
    secret_version: int
    "Bumped by each rotation. The secret itself is never shown again."
    created_at: str
    updated_at: str
    secret: str
    "The secret (signature mode: `whsec_` + base64; bearer mode: the token), shown once: in this answer only."


class TriggerDeliveryError(_Model):
    code: str
    message: str


class TriggerDelivery(_Model):
    id: str
    trigger_id: str
    message_id: str | None
    outcome: Literal["started", "duplicate", "rejected"]
    "`started` a run; `duplicate`: a message id seen before (the original run, nothing started); `rejected`: the payload did not map or failed the target's input schema."
    status_code: int
    run_id: str | None
    error: TriggerDeliveryError | None
    received_at: str


class PostTriggersBody(_Model):
    name: str | None = None
    description: str | None = None
    target: ScheduleTarget | ScheduleTarget1
    "What a delivery starts: a run of an agent endpoint (`{agent, endpoint}`) or of a workflow (`{workflow}`)."
    auth: Literal["signature", "bearer"] | None = None
    "`signature` (default): Standard Webhooks signatures. `bearer`: `Authorization: Bearer <secret>`, for senders that cannot sign."
    secret: str | None = None
    "The sender's secret, when it issues one: `signature` mode takes `whsec_` + base64 of 24 to 64 bytes (as Standard Webhooks senders give it); `bearer` mode any 24 to 200 printable characters. Absent: agentd makes one."
    mapping: TriggerMapping | TriggerMapping1 | None = None
    rate_limit: TriggerRateLimit | None = None
    "Per trigger, shared by every node. Default 600 per 60 s. Verified deliveries beyond it are answered 429 with Retry-After."


class PatchTriggersByIdBody(_Model):
    "Fields given replace the old ones. The auth mode and secret change only by rotation."

    name: str | None = None
    description: str | None = None
    target: ScheduleTarget | ScheduleTarget1 | None = None
    "What a delivery starts: a run of an agent endpoint (`{agent, endpoint}`) or of a workflow (`{workflow}`)."
    mapping: TriggerMapping | TriggerMapping1 | None = None
    rate_limit: TriggerRateLimit | None = None
    "Per trigger, shared by every node. Default 600 per 60 s. Verified deliveries beyond it are answered 429 with Retry-After."


class PostTriggersByIdRotateSecretBody(_Model):
    overlap_seconds: int | None = None
    "How long the old secret still verifies beside the new one. Default 86400 (24 h); 0 retires it at once."
    secret: str | None = None
    "The sender's secret, when it issues one: `signature` mode takes `whsec_` + base64 of 24 to 64 bytes (as Standard Webhooks senders give it); `bearer` mode any 24 to 200 printable characters. Absent: agentd makes one."


class PostHooksByIdResponse(_Model):
    delivery_id: str
    trigger_id: str
    run_id: str
    duplicate: bool
    "true: this message id was seen before; the run is the original one and nothing started."
    run: Run


TriggerDeleted = WebhookDeleted

__all__ = [
    "PatchTriggersByIdBody",
    "PostHooksByIdResponse",
    "PostTriggersBody",
    "PostTriggersByIdRotateSecretBody",
    "Trigger",
    "TriggerDeleted",
    "TriggerDelivery",
    "TriggerDeliveryError",
    "TriggerMapping",
    "TriggerMapping1",
    "TriggerRateLimit",
    "TriggerWithSecret",
]
