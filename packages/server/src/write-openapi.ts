/** `npm run openapi`: regenerates packages/server/openapi.json (committed; a test fails on drift). */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { generateOpenApi, stableJson } from './openapi-document.ts';

const target = fileURLToPath(new URL('../openapi.json', import.meta.url));
writeFileSync(target, stableJson(await generateOpenApi()));
process.stdout.write(`wrote ${target}\n`);
