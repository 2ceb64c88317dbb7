# Generated from agentd/_async by scripts/unasync.py. Do not edit.
"""triggers: inbound webhook triggers. Each has a public `url` (`/v1/hooks/{id}`) that other
systems POST to (signed as Standard Webhooks, or with the secret as a bearer token); each verified
delivery starts a run of the target. The hook itself is called by senders, not by this client."""

from __future__ import annotations

from typing import Any

from agentd._sync._page import Page
from agentd._sync._resource import Resource, body_of
from agentd._options import seg
from agentd.models import Trigger, TriggerDeleted, TriggerDelivery, TriggerWithSecret


class TriggersResource(Resource):
    """The secret is in the answers of `create` and `rotate_secret` only."""

    def create(self, *, target: dict[str, Any], name: str | None = None, description: str | None = None, auth: str | None = None,
                     secret: str | None = None, mapping: dict[str, Any] | None = None, rate_limit: dict[str, int] | None = None,
                     idempotency_key: str | None = None) -> TriggerWithSecret:
        """`target` is `{"agent", "endpoint"}` or `{"workflow"}` (one that does not exist is a
        NotFoundError); `auth` is `signature` (default) or `bearer`; `mapping` is `{"pointer": "/data"}`
        or `{"template": ...}`. A mapping that does not compile is an UnprocessableEntityError (TRIGGER_INVALID)."""
        body = body_of(target=target, name=name, description=description, auth=auth, secret=secret, mapping=mapping, rate_limit=rate_limit)
        return self._send(TriggerWithSecret, "POST", "/v1/triggers", body, idempotency_key=idempotency_key)

    def retrieve(self, id: str) -> Trigger:
        return self._get(Trigger, f"/v1/triggers/{seg(id)}")

    def update(self, id: str, *, name: str | None = None, description: str | None = None, target: dict[str, Any] | None = None,
                     mapping: dict[str, Any] | None = None, rate_limit: dict[str, int] | None = None) -> Trigger:
        """Fields given replace the old ones."""
        body = body_of(name=name, description=description, target=target, mapping=mapping, rate_limit=rate_limit)
        return self._send(Trigger, "PATCH", f"/v1/triggers/{seg(id)}", body)

    def delete(self, id: str) -> TriggerDeleted:
        """Deletes the trigger, its secrets, receipts and delivery log."""
        return self._send(TriggerDeleted, "DELETE", f"/v1/triggers/{seg(id)}")

    def rotate_secret(self, id: str, *, overlap_seconds: int | None = None, secret: str | None = None) -> TriggerWithSecret:
        """A new secret (or `secret`, the sender's own); the old one keeps verifying for `overlap_seconds` (default 24 h)."""
        body = body_of(overlap_seconds=overlap_seconds, secret=secret)
        return self._send(TriggerWithSecret, "POST", f"/v1/triggers/{seg(id)}/rotate-secret", body)

    def deliveries(self, id: str, *, outcome: str | None = None, limit: int | None = None,
                   cursor: str | None = None) -> Page[TriggerDelivery]:
        """Verified deliveries, newest first; `outcome` is started, duplicate or rejected."""
        return self._page(TriggerDelivery, f"/v1/triggers/{seg(id)}/deliveries", {"outcome": outcome, "limit": limit, "cursor": cursor})

    # Last: in the class body below it, `list` would name this method, not the builtin.
    def list(self, *, limit: int | None = None, cursor: str | None = None) -> Page[Trigger]:
        return self._page(Trigger, "/v1/triggers", {"limit": limit, "cursor": cursor})
