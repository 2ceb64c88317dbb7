# Generated from agentd/_async by scripts/unasync.py. Do not edit.
"""keys, secrets, grants and approvals."""

from __future__ import annotations

from agentd._sync._page import Page
from agentd._sync._resource import Resource, body_of
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


class KeysResource(Resource):
    def create(self, *, role: str, name: str | None = None, agents: list[str] | None = None,
                     expires_at: str | None = None) -> CreatedApiKey:
        """The raw key is in `.key`, this once."""
        return self._send(CreatedApiKey, "POST", "/v1/keys", body_of(role=role, name=name, agents=agents, expires_at=expires_at))

    def list(self, *, limit: int | None = None, cursor: str | None = None) -> Page[ApiKey]:
        return self._page(ApiKey, "/v1/keys", {"limit": limit, "cursor": cursor})

    def revoke(self, id: str) -> ApiKey:
        return self._send(ApiKey, "DELETE", f"/v1/keys/{seg(id)}")


class SecretsResource(Resource):
    def create(self, *, name: str, value: str, description: str | None = None) -> Secret:
        return self._send(Secret, "POST", "/v1/secrets", body_of(name=name, value=value, description=description))

    def list(self, *, limit: int | None = None, cursor: str | None = None) -> Page[Secret]:
        return self._page(Secret, "/v1/secrets", {"limit": limit, "cursor": cursor})

    def retrieve(self, name: str) -> SecretDetail:
        return self._get(SecretDetail, f"/v1/secrets/{seg(name)}")

    def rotate(self, name: str, *, value: str, description: str | None = None) -> Secret:
        return self._send(Secret, "POST", f"/v1/secrets/{seg(name)}/rotate", body_of(value=value, description=description))

    def delete(self, name: str) -> SecretDeleted:
        return self._send(SecretDeleted, "DELETE", f"/v1/secrets/{seg(name)}")

    def rewrap(self) -> SecretRewrapResult:
        return self._send(SecretRewrapResult, "POST", "/v1/secrets/rewrap", {})


class GrantsResource(Resource):
    def create(self, *, secret: str, agent: str, endpoint: str | None = None) -> Grant:
        return self._send(Grant, "POST", "/v1/grants", body_of(secret=secret, agent=agent, endpoint=endpoint))

    def list(self, *, agent: str | None = None, secret: str | None = None, include_revoked: bool | None = None,
             limit: int | None = None, cursor: str | None = None) -> Page[Grant]:
        query = {"agent": agent, "secret": secret, "include_revoked": include_revoked, "limit": limit, "cursor": cursor}
        return self._page(Grant, "/v1/grants", query)

    def revoke(self, id: str) -> Grant:
        return self._send(Grant, "DELETE", f"/v1/grants/{seg(id)}")


class ApprovalsResource(Resource):
    def list(self, *, status: str | None = None, agent: str | None = None, run: str | None = None, assignee: str | None = None,
             limit: int | None = None, cursor: str | None = None) -> Page[Approval]:
        query = {"status": status, "agent": agent, "run": run, "assignee": assignee, "limit": limit, "cursor": cursor}
        return self._page(Approval, "/v1/approvals", query)

    def retrieve(self, id: str) -> Approval:
        return self._get(Approval, f"/v1/approvals/{seg(id)}")

    def approve(self, id: str, *, comment: str | None = None) -> Approval:
        return self._send(Approval, "POST", f"/v1/approvals/{seg(id)}/approve", body_of(comment=comment))

    def reject(self, id: str, *, reason: str) -> Approval:
        return self._send(Approval, "POST", f"/v1/approvals/{seg(id)}/reject", {"reason": reason})

    def create_link(self, id: str, *, decision: str | None = None, expires_in_ms: int | None = None,
                          for_: str | None = None) -> ApprovalLink:
        body = body_of(decision=decision, expires_in_ms=expires_in_ms)
        if for_ is not None:
            body["for"] = for_
        return self._send(ApprovalLink, "POST", f"/v1/approvals/{seg(id)}/link", body)

    def retrieve_link(self, token: str) -> ApprovalLinkView:
        """What a link's holder sees (no API key needed: the token is the credential)."""
        return self._get(ApprovalLinkView, f"/v1/approval-links/{seg(token)}")

    def decide_with_link(self, token: str, *, decision: str | None = None, comment: str | None = None,
                               reason: str | None = None) -> Approval:
        return self._send(Approval, "POST", f"/v1/approval-links/{seg(token)}", body_of(decision=decision, comment=comment, reason=reason))
