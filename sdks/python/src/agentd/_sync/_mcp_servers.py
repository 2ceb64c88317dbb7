# Generated from agentd/_async by scripts/unasync.py. Do not edit.
"""mcp_servers: MCP servers whose tools the tenant's LLM agents may use (`- mcp_server: <name>`)."""

from __future__ import annotations

from agentd._sync._page import Page
from agentd._sync._resource import Resource, body_of
from agentd._options import seg
from agentd.models import McpServer, McpServerDeleted


class McpServersResource(Resource):
    """Registering lists the server's tools and pins them by a hash; a server whose tools later
    change is `disabled` until an admin approves them again."""

    def create(self, *, name: str, url: str, auth_secret: str | None = None, auth_header: str | None = None,
                     description: str | None = None, idempotency_key: str | None = None) -> McpServer:
        """Registers a server and approves the tools it lists now (admin keys only). `auth_secret`
        names a vault secret sent as `authorization: Bearer <value>` (or as `auth_header` says)."""
        body = body_of(name=name, url=url, auth_secret=auth_secret, auth_header=auth_header, description=description)
        return self._send(McpServer, "POST", "/v1/mcp-servers", body, idempotency_key=idempotency_key)

    def retrieve(self, name: str) -> McpServer:
        return self._get(McpServer, f"/v1/mcp-servers/{seg(name)}")

    def delete(self, name: str) -> McpServerDeleted:
        return self._send(McpServerDeleted, "DELETE", f"/v1/mcp-servers/{seg(name)}")

    def approve(self, name: str, *, tools_hash: str | None = None) -> McpServer:
        """Approves the tools the server lists now, making a disabled server active. With
        `tools_hash` (the `pending_tools_hash` reviewed), a list that changed since is a
        ConflictError (MCP_TOOLS_CHANGED)."""
        return self._send(McpServer, "POST", f"/v1/mcp-servers/{seg(name)}/approve", body_of(tools_hash=tools_hash))

    # Last: in the class body below it, `list` would name this method, not the builtin.
    def list(self, *, limit: int | None = None, cursor: str | None = None) -> Page[McpServer]:
        return self._page(McpServer, "/v1/mcp-servers", {"limit": limit, "cursor": cursor})
