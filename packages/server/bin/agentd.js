#!/usr/bin/env node
// The `agentd` command. Installed from npm it runs the compiled dist/; inside the agentd
// repository it runs the TypeScript sources with Node's type stripping, so nothing needs a build
// after an edit. Node strips types only outside node_modules, which is also what tells the two
// apart: an installed package lives under node_modules (its src/ ships too, for source maps).
// A namespace import: on a Node without registerHooks the version check below still runs.
import * as nodeModule from 'node:module';
import { sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  process.stderr.write(`agentd needs Node.js >= 22.18 (this is ${process.version}). Install Node 24 LTS.\n`);
  process.exit(1);
}

const installed = fileURLToPath(import.meta.url).split(sep).includes('node_modules');
if (installed) {
  await import('../dist/cli/main.js');
} else {
  // What the repository's scripts pass as --conditions=@agentd/source: @agentd/protocol and
  // @agentd/sdk resolve to their sources as well (see their package.json "exports").
  const SOURCE = '@agentd/source';
  nodeModule.registerHooks({
    resolve(specifier, context, nextResolve) {
      const conditions = context.conditions.includes(SOURCE) ? context.conditions : [...context.conditions, SOURCE];
      return nextResolve(specifier, { ...context, conditions });
    },
  });
  await import('../src/cli/main.ts');
}
