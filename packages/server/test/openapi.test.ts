import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ERROR_CODES } from '@agentd/protocol';
import { generateOpenApi, stableJson } from '../src/openapi-document.ts';
import { createSqliteDatabase } from './helpers/dialects.ts';
import { startTestApp } from './helpers/test-app.ts';

const committed = readFileSync(new URL('../openapi.json', import.meta.url), 'utf8');
const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');

describe('OpenAPI document', () => {
  it('matches the committed packages/server/openapi.json (run `npm run openapi` after changing routes)', async () => {
    assert.equal(stableJson(await generateOpenApi()), committed);
  });

  it('is OpenAPI 3.1, documents every registered route with its auth, and is what /openapi.json serves', async () => {
    const db = await createSqliteDatabase();
    const t = await startTestApp(db);
    try {
      const served = (await t.call('GET', '/openapi.json')).json();
      assert.equal(served.openapi, '3.1.0');
      assert.deepEqual(served, JSON.parse(committed));
      const documented = new Set<string>();
      for (const [path, ops] of Object.entries(served.paths as Record<string, Record<string, { security?: unknown[] }>>)) {
        for (const [method, op] of Object.entries(ops)) {
          documented.add(`${method.toUpperCase()} ${path}`);
          const security = op.security ?? served.security;
          // Public on purpose: liveness/readiness, decision links (the signed token is the credential)
          // and trigger deliveries (the Standard Webhooks signature is).
          if (path.startsWith('/v1/health') || path.startsWith('/v1/approval-links/') || path.startsWith('/v1/hooks/')) assert.deepEqual(op.security, [], `${path} is public`);
          else assert.deepEqual(security, [{ bearer: [] }], `${method} ${path} declares bearer auth`);
        }
      }
      const registered = t.app.registeredRoutes.filter((r) => r !== 'GET /openapi.json');
      assert.ok(registered.length >= 28, `routes seen: ${registered.length}`);
      for (const r of registered) assert.ok(documented.has(r), `${r} is documented in OpenAPI`);
      assert.equal(documented.size, registered.length);
    } finally {
      await t.close();
      await db.cleanup();
    }
  });

  it('lists every error code, and the README documents each', () => {
    const doc = JSON.parse(committed);
    assert.deepEqual(doc.components.schemas.ErrorCode.enum, Object.keys(ERROR_CODES));
    for (const code of Object.keys(ERROR_CODES)) assert.ok(readme.includes(`\`${code}\``), `README documents ${code}`);
  });
});

