"""Generated from packages/server/openapi.json by scripts/generate_models.py. Do not edit.

The models of the `mcp_servers` area (first needed by its operations; see the script's rules).
"""

from __future__ import annotations

from typing import Any, Literal

from agentd.models._base import _Model


class McpServerToolsItem(_Model):
    name: str
    description: str
    input_schema: dict[str, Any]
    "The JSON Schema of its arguments, as the server listed it."


class McpServer(_Model):
    name: str
    url: str
    auth_secret: str | None
    auth_header: str | None
    description: str | None
    status: Literal["active", "disabled"]
    "`disabled`: the server listed tools other than the approved ones (a changed name, description or schema); its tools are refused until an admin approves again."
    tools: list[McpServerToolsItem]
    "The approved tools: what models see, pinned by `tools_hash`."
    tools_hash: str
    "SHA-256 of the approved tools (names, descriptions, input schemas), hex."
    pending_tools: list[McpServerToolsItem] | None
    "What the server listed when it was disabled: what a re-approval would pin (it is listed again at approval)."
    pending_tools_hash: str | None
    disabled_reason: str | None
    disabled_at: str | None
    approved_at: str
    created_at: str
    updated_at: str


class McpServerDeleted(_Model):
    name: str
    deleted: Literal[True]


class PostMcpServersBody(_Model):
    name: str
    "Lower case letters, digits, `-` and `_`; at most 40 characters."
    url: str
    "The Streamable HTTP endpoint (http or https); checked against the egress policy now and on every connection."
    auth_secret: str | None = None
    auth_header: str | None = None
    description: str | None = None


class PostMcpServersByNameApproveBody(_Model):
    tools_hash: str | None = None
    "The `pending_tools_hash` the approver reviewed: refused with 409 MCP_TOOLS_CHANGED when the server now lists something else. Absent: whatever it lists now."

__all__ = [
    "McpServer",
    "McpServerDeleted",
    "McpServerToolsItem",
    "PostMcpServersBody",
    "PostMcpServersByNameApproveBody",
]
