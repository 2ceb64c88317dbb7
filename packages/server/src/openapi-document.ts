import { buildApp } from './app.ts';
import { openApiDocument } from './http/index.ts';
import { systemClock } from './core/index.ts';
import { createEngine } from './engine.ts';
import { RunHooks, type Store } from './store/index.ts';

/** The OpenAPI document as served, built without a database (routes only need an engine object). */
export async function generateOpenApi(): Promise<Record<string, unknown>> {
  // The one part of a store a service touches while it is built: where it registers its run hooks.
  const engine = createEngine({ store: { runHooks: new RunHooks() } as Partial<Store> as Store, clock: systemClock });
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
