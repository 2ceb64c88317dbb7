/**
 * Wire schemas of workflows (TypeBox): the route schemas, the OpenAPI document and the TypeScript
 * types all come from these. The definition format itself is checked by workflow-definition.ts,
 * not by a schema: its problems need paths and messages a schema validator cannot give.
 */
import Type, { type Static } from 'typebox';
import { Nullable, Time, Json } from './common.ts';


/** A step as a workflow's answer lists it: what it is and what it waits for. */
export const WorkflowStepSummary = Type.Object({
  id: Type.String(),
  type: Type.Union([Type.Literal('agent'), Type.Literal('approval'), Type.Literal('wait')]),
  needs: Type.Array(Type.String()),
  /** For agent steps; null otherwise. */
  agent: Nullable(Type.String()),
  endpoint: Nullable(Type.String()),
});

export const Workflow = Type.Object(
  {
    name: Type.String(),
    description: Nullable(Type.String()),
    /** The latest version. */
    version: Type.Integer(),
    steps: Type.Array(WorkflowStepSummary),
    /** The definition document of that version, as deployed. */
    definition: Json,
    created_at: Time,
    updated_at: Time,
  },
  { description: 'A workflow at its latest version.' },
);

export const WorkflowVersion = Type.Object({ workflow: Type.String(), version: Type.Integer(), definition: Json, created_at: Time });

export const WorkflowDeleted = Type.Object({ name: Type.String(), deleted: Type.Boolean() });

/** A workflow definition (kind: Workflow), JSON or YAML text; checked by workflow-definition.ts. */
export const WorkflowDeployBody = Type.Unknown({ description: 'A workflow definition (kind: Workflow); see the README for the format.' });

export const WorkflowNameParams = Type.Object({ name: Type.String({ maxLength: 63 }) });
export const WorkflowVersionParams = Type.Object({ name: Type.String({ maxLength: 63 }), version: Type.Integer({ minimum: 1 }) });

export type WorkflowStepSummary = Static<typeof WorkflowStepSummary>;
export type Workflow = Static<typeof Workflow>;
export type WorkflowVersion = Static<typeof WorkflowVersion>;
export type WorkflowDeleted = Static<typeof WorkflowDeleted>;

/** `POST /v1/workflows/{name}/runs`: starts the workflow's latest version. */
export const WorkflowRunCreate = Type.Object(
  {
    input: Type.Optional(Type.Unknown({ description: "The workflow's input, checked against its spec.input schema." })),
    metadata: Type.Optional(Json),
    deadline: Type.Optional(Time),
  },
  { additionalProperties: false },
);
export type WorkflowRunCreate = Static<typeof WorkflowRunCreate>;

/** `POST /v1/runs/{id}/retry`: a failed workflow run again, from its failed steps. */
export const WorkflowRetry = Type.Optional(
  Type.Union([
    Type.Object(
      { deadline: Type.Optional(Type.Union([Time, Type.Null()], { description: "The new run's deadline; none when not given (the failed run's may have passed)." })) },
      { additionalProperties: false },
    ),
    Type.Null(),
  ]),
);
export type WorkflowRetry = Static<typeof WorkflowRetry>;
