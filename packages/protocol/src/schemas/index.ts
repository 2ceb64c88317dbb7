/**
 * `@agentd/protocol/schemas`: wire schemas as TypeBox schemas, each with the TypeScript type of
 * the same name derived from it. The server registers its routes with them.
 */
export * from './schedules.ts';
