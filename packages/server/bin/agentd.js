#!/usr/bin/env node
// agentd runs its TypeScript sources directly with Node's type stripping (Node >= 22.18).
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  process.stderr.write(`agentd needs Node.js >= 22.18 (this is ${process.version}). Install Node 24 LTS.\n`);
  process.exit(1);
}
await import('../src/cli/main.ts');
