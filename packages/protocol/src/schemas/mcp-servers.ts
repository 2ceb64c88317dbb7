/**
 * Wire schemas of MCP servers registered per tenant (`/v1/mcp-servers`): the tools of an LLM
 * agent that lists `- mcp_server: <name>`. The auth secret is a vault secret's name, never a value.
 */
import Type, { type Static } from 'typebox';
import { Nullable, Time } from './common.ts';
import { SECRET_NAME_PATTERN } from '../secret-name.ts';

const NullOr = <T extends Type.TSchema>(t: T) => Type.Union([Type.Null(), t]);

/** A server's name: what manifests name in `mcp_server:` and what prefixes its tools' names. */
export const MCP_SERVER_NAME_PATTERN = /^[a-z][a-z0-9_-]{0,39}$/;

export const MCP_SERVER_STATUSES = ['active', 'disabled'] as const;
export type McpServerStatus = (typeof MCP_SERVER_STATUSES)[number];

const Name = Type.String({ pattern: MCP_SERVER_NAME_PATTERN.source, description: 'Lower case letters, digits, `-` and `_`; at most 40 characters.' });
const Url = Type.String({ minLength: 1, maxLength: 2048, description: 'The Streamable HTTP endpoint (http or https); checked against the egress policy now and on every connection.' });
const SecretName = Type.String({ pattern: SECRET_NAME_PATTERN.source, maxLength: 63, description: "A vault secret's name. Its value is sent on every request to the server, never shown to a model." });
const HeaderName = Type.String({ pattern: '^[A-Za-z0-9!#$%&\'*+.^_`|~-]{1,64}$', description: 'The header the secret goes in. Default `authorization` (as `Bearer <value>`); any other header gets the value as it is.' });

export const McpServerCreate = Type.Object(
  {
    name: Name,
    url: Url,
    auth_secret: Type.Optional(NullOr(SecretName)),
    auth_header: Type.Optional(NullOr(HeaderName)),
    description: Type.Optional(NullOr(Type.String({ maxLength: 1000 }))),
  },
  { additionalProperties: false },
);
export type McpServerCreateParams = Static<typeof McpServerCreate>;

export const McpServerParams = Type.Object({ name: Type.String({ minLength: 1, maxLength: 40 }) });

export const McpServerApprove = Type.Object(
  {
    tools_hash: Type.Optional(
      Type.String({ pattern: '^[0-9a-f]{64}$', description: 'The `pending_tools_hash` the approver reviewed: refused with 409 MCP_TOOLS_CHANGED when the server now lists something else. Absent: whatever it lists now.' }),
    ),
  },
  { additionalProperties: false },
);
export type McpServerApproveParams = Static<typeof McpServerApprove>;
export const McpServerApproveBody = Type.Optional(Type.Union([McpServerApprove, Type.Null()]));

export const McpTool = Type.Object({
  name: Type.String(),
  description: Type.String(),
  input_schema: Type.Record(Type.String(), Type.Unknown(), { description: 'The JSON Schema of its arguments, as the server listed it.' }),
});
export type McpTool = Static<typeof McpTool>;

export const McpServer = Type.Object({
  name: Type.String(),
  url: Type.String(),
  auth_secret: Nullable(Type.String()),
  auth_header: Nullable(Type.String()),
  description: Nullable(Type.String()),
  status: Type.Union([Type.Literal('active'), Type.Literal('disabled')], {
    description: '`disabled`: the server listed tools other than the approved ones (a changed name, description or schema); its tools are refused until an admin approves again.',
  }),
  tools: Type.Array(McpTool, { description: 'The approved tools: what models see, pinned by `tools_hash`.' }),
  tools_hash: Type.String({ description: 'SHA-256 of the approved tools (names, descriptions, input schemas), hex.' }),
  pending_tools: Type.Union([Type.Array(McpTool), Type.Null()], { description: 'What the server listed when it was disabled: what a re-approval would pin (it is listed again at approval).' }),
  pending_tools_hash: Nullable(Type.String()),
  disabled_reason: Nullable(Type.String()),
  disabled_at: Nullable(Time),
  approved_at: Time,
  created_at: Time,
  updated_at: Time,
});
export type McpServer = Static<typeof McpServer>;

export const McpServerDeleted = Type.Object({ name: Type.String(), deleted: Type.Literal(true) });
export type McpServerDeleted = Static<typeof McpServerDeleted>;
