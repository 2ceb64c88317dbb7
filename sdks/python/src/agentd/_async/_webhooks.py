"""webhooks: subscribe URLs to the tenant's events, signed as Standard Webhooks; the delivery log."""

from __future__ import annotations

from agentd._async._page import AsyncPage
from agentd._async._resource import AsyncResource, body_of
from agentd._options import seg
from agentd.models import Webhook, WebhookDeleted, WebhookDelivery, WebhookWithSecret


class AsyncWebhooksResource(AsyncResource):
    """agentd POSTs each matching event at least once, in `seq` order per run, retrying for about a
    day. The signing secret is in the answers of `create` and `rotate_secret` only."""

    async def create(self, *, url: str, events: list[str], agents: list[str] | None = None, description: str | None = None,
                     idempotency_key: str | None = None) -> WebhookWithSecret:
        """A URL the server's egress policy refuses is an UnprocessableEntityError with code EGRESS_REFUSED."""
        body = body_of(url=url, events=events, agents=agents, description=description)
        return await self._send(WebhookWithSecret, "POST", "/v1/webhooks", body, idempotency_key=idempotency_key)

    async def retrieve(self, id: str) -> Webhook:
        return await self._get(Webhook, f"/v1/webhooks/{seg(id)}")

    async def update(self, id: str, *, url: str | None = None, events: list[str] | None = None, agents: list[str] | None = None,
                     description: str | None = None) -> Webhook:
        """Fields given replace the old ones."""
        body = body_of(url=url, events=events, agents=agents, description=description)
        return await self._send(Webhook, "PATCH", f"/v1/webhooks/{seg(id)}", body)

    async def delete(self, id: str) -> WebhookDeleted:
        """Deletes the subscription, its secrets and its delivery log."""
        return await self._send(WebhookDeleted, "DELETE", f"/v1/webhooks/{seg(id)}")

    async def rotate_secret(self, id: str, *, overlap_seconds: int | None = None) -> WebhookWithSecret:
        """A new signing secret; the old one keeps signing beside it for `overlap_seconds` (default 24 h)."""
        return await self._send(WebhookWithSecret, "POST", f"/v1/webhooks/{seg(id)}/rotate-secret", body_of(overlap_seconds=overlap_seconds))

    def deliveries(self, id: str, *, status: str | None = None, limit: int | None = None, cursor: str | None = None) -> AsyncPage[WebhookDelivery]:
        """The delivery log, newest first; `status` is pending, succeeded or failed."""
        return self._page(WebhookDelivery, f"/v1/webhooks/{seg(id)}/deliveries", {"status": status, "limit": limit, "cursor": cursor})

    async def retrieve_delivery(self, id: str, delivery_id: str) -> WebhookDelivery:
        return await self._get(WebhookDelivery, f"/v1/webhooks/{seg(id)}/deliveries/{seg(delivery_id)}")

    async def redeliver(self, id: str, delivery_id: str) -> WebhookDelivery:
        """Sends a finished delivery once more, now, with the same `webhook-id`; a pending one is a
        ConflictError (WEBHOOK_DELIVERY_PENDING)."""
        return await self._send(WebhookDelivery, "POST", f"/v1/webhooks/{seg(id)}/deliveries/{seg(delivery_id)}/redeliver", {})

    # Last: in the class body below it, `list` would name this method, not the builtin.
    def list(self, *, limit: int | None = None, cursor: str | None = None) -> AsyncPage[Webhook]:
        return self._page(Webhook, "/v1/webhooks", {"limit": limit, "cursor": cursor})
