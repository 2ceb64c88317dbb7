import { buildApp } from './app.ts';
import { openApiDocument } from './http/index.ts';
import { systemClock } from './core/index.ts';
import { createEngine } from './engine.ts';
import { RunHooks, type Store } from './store/index.ts';

/** The OpenAPI document as served, built without a database (routes only need an engine object). */
export async function generateOpenApi(): Promise<Record<string, unknown>> {
  // No database: what a service touches while the engine is built: the write queue's event-hook
  // slot and where run hooks are registered.
  const engine = createEngine({ store: { writer: { setEventHook: () => {} }, runHooks: new RunHooks() } as unknown as Store, clock: systemClock });
  const app = await buildApp({ engine });
  try {
    return openApiDocument(app);
  } finally {
    await app.close();
  }
}

export function stableJson(doc: unknown): string {
  return `${JSON.stringify(doc, null, 2)}\n`;
}
