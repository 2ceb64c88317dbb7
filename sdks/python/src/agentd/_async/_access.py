"""keys, secrets, grants and approvals."""

from __future__ import annotations

from agentd._async._page import AsyncPage
from agentd._async._resource import AsyncResource, body_of
from agentd._options import seg
from agentd.models import (
    ApiKey,
    Approval,
    ApprovalLink,
    ApprovalLinkView,
    CreatedApiKey,
    Grant,
    Secret,
    SecretDeleted,
    SecretDetail,
    SecretRewrapResult,
)


class AsyncKeysResource(AsyncResource):
    async def create(self, *, role: str, name: str | None = None, agents: list[str] | None = None,
                     expires_at: str | None = None) -> CreatedApiKey:
        """The raw key is in `.key`, this once."""
        return await self._send(CreatedApiKey, "POST", "/v1/keys", body_of(role=role, name=name, agents=agents, expires_at=expires_at))

    def list(self, *, limit: int | None = None, cursor: str | None = None) -> AsyncPage[ApiKey]:
        return self._page(ApiKey, "/v1/keys", {"limit": limit, "cursor": cursor})

    async def revoke(self, id: str) -> ApiKey:
        return await self._send(ApiKey, "DELETE", f"/v1/keys/{seg(id)}")


class AsyncSecretsResource(AsyncResource):
    async def create(self, *, name: str, value: str, description: str | None = None) -> Secret:
        return await self._send(Secret, "POST", "/v1/secrets", body_of(name=name, value=value, description=description))

    def list(self, *, limit: int | None = None, cursor: str | None = None) -> AsyncPage[Secret]:
        return self._page(Secret, "/v1/secrets", {"limit": limit, "cursor": cursor})

    async def retrieve(self, name: str) -> SecretDetail:
        return await self._get(SecretDetail, f"/v1/secrets/{seg(name)}")

    async def rotate(self, name: str, *, value: str, description: str | None = None) -> Secret:
        return await self._send(Secret, "POST", f"/v1/secrets/{seg(name)}/rotate", body_of(value=value, description=description))

    async def delete(self, name: str) -> SecretDeleted:
        return await self._send(SecretDeleted, "DELETE", f"/v1/secrets/{seg(name)}")

    async def rewrap(self) -> SecretRewrapResult:
        return await self._send(SecretRewrapResult, "POST", "/v1/secrets/rewrap", {})


class AsyncGrantsResource(AsyncResource):
    async def create(self, *, secret: str, agent: str, endpoint: str | None = None) -> Grant:
        return await self._send(Grant, "POST", "/v1/grants", body_of(secret=secret, agent=agent, endpoint=endpoint))

    def list(self, *, agent: str | None = None, secret: str | None = None, include_revoked: bool | None = None,
             limit: int | None = None, cursor: str | None = None) -> AsyncPage[Grant]:
        query = {"agent": agent, "secret": secret, "include_revoked": include_revoked, "limit": limit, "cursor": cursor}
        return self._page(Grant, "/v1/grants", query)

    async def revoke(self, id: str) -> Grant:
        return await self._send(Grant, "DELETE", f"/v1/grants/{seg(id)}")


class AsyncApprovalsResource(AsyncResource):
    def list(self, *, status: str | None = None, agent: str | None = None, run: str | None = None, assignee: str | None = None,
             limit: int | None = None, cursor: str | None = None) -> AsyncPage[Approval]:
        query = {"status": status, "agent": agent, "run": run, "assignee": assignee, "limit": limit, "cursor": cursor}
        return self._page(Approval, "/v1/approvals", query)

    async def retrieve(self, id: str) -> Approval:
        return await self._get(Approval, f"/v1/approvals/{seg(id)}")

    async def approve(self, id: str, *, comment: str | None = None) -> Approval:
        return await self._send(Approval, "POST", f"/v1/approvals/{seg(id)}/approve", body_of(comment=comment))

    async def reject(self, id: str, *, reason: str) -> Approval:
        return await self._send(Approval, "POST", f"/v1/approvals/{seg(id)}/reject", {"reason": reason})

    async def create_link(self, id: str, *, decision: str | None = None, expires_in_ms: int | None = None,
                          for_: str | None = None) -> ApprovalLink:
        body = body_of(decision=decision, expires_in_ms=expires_in_ms)
        if for_ is not None:
            body["for"] = for_
        return await self._send(ApprovalLink, "POST", f"/v1/approvals/{seg(id)}/link", body)

    async def retrieve_link(self, token: str) -> ApprovalLinkView:
        """What a link's holder sees (no API key needed: the token is the credential)."""
        return await self._get(ApprovalLinkView, f"/v1/approval-links/{seg(token)}")

    async def decide_with_link(self, token: str, *, decision: str | None = None, comment: str | None = None,
                               reason: str | None = None) -> Approval:
        return await self._send(Approval, "POST", f"/v1/approval-links/{seg(token)}", body_of(decision=decision, comment=comment, reason=reason))
