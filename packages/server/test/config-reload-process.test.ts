/**
 * The config file with the real binary, on both databases: `agentd serve --config` applies the
 * file at start, SIGHUP re-applies it (the diff on stdout), an invalid file on SIGHUP changes
 * nothing (the problems on stderr, with paths), `agentd reload` prints the diff, and a missing
 * file stops the start with a non-zero exit naming the path.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { dialects, type TestDatabase } from './helpers/dialects.ts';
import { AGENTD_BIN, LineProcess, childEnv, killAllChildren, startServerProcess, waitUntil, type ServerProcess } from './helpers/server-process.ts';
import { Agentd } from '@agentd/sdk';
import { HELLO_MANIFEST } from './helpers/test-app.ts';

const run = promisify(execFile);

const fileText = (cron: string) =>
  `agents:\n  - hello.json\nschedules:\n  morning:\n    cron: "${cron}"\n    timezone: Europe/Berlin\n    target: { agent: hello, endpoint: greet }\n    input: { name: morning }\n`;

for (const d of await dialects()) {
  describe(`config file with agentd serve (${d.name})`, { skip: d.skip }, () => {
    let db: TestDatabase;
    let server: ServerProcess;
    let dir: string;
    let file: string;
    before(async () => {
      db = await d.create();
      dir = mkdtempSync(join(tmpdir(), 'agentd-cfgproc-'));
      file = join(dir, 'agentd.yaml');
      writeFileSync(join(dir, 'hello.json'), JSON.stringify(HELLO_MANIFEST));
      writeFileSync(file, fileText('0 9 * * *'));
      server = await startServerProcess({
        dataDir: d.name === 'sqlite' ? db.location : mkdtempSync(join(tmpdir(), 'agentd-cfgproc-data-')),
        databaseUrl: d.name === 'postgres' ? db.location : undefined,
        args: ['--config', file],
      });
    });
    after(async () => {
      await server?.stop();
      await killAllChildren();
      await db?.cleanup();
    });

    it('applies the file at start', async () => {
      assert.ok(server.current!.lines.some((l) => l.includes(`applied ${file}: added agents/hello, schedules/morning`)), server.current!.lines.join('\n'));
      const s = await server.api('GET', '/v1/schedules/morning');
      assert.equal(s.status, 200);
      assert.equal(s.body.cron, '0 9 * * *');
    });

    it('SIGHUP re-reads the file and prints the diff; the API sees the change', async () => {
      writeFileSync(file, fileText('30 8 * * 1-5'));
      const proc = server.current!;
      proc.child.kill('SIGHUP');
      const line = await proc.waitForLine((l) => l.includes('SIGHUP: reloaded'), { what: 'the reload line' });
      assert.match(line, /changed schedules\/morning; unchanged agents\/hello/);
      assert.equal((await server.api('GET', '/v1/schedules/morning')).body.cron, '30 8 * * 1-5');
    });

    it('SIGHUP with an invalid file changes nothing and reports each problem with its path', async () => {
      writeFileSync(file, `${fileText('61 * * * *')}colour: blue\n`);
      const proc = server.current!;
      proc.child.kill('SIGHUP');
      await waitUntil(() => proc.stderr.includes('reload of'), { what: 'the failed reload on stderr' });
      await waitUntil(() => proc.stderr.includes('schedules.morning.cron'), { what: 'the problem paths' });
      assert.match(proc.stderr, /colour: is not a section of the config file/);
      assert.ok(proc.running, 'the server keeps running');
      assert.equal((await server.api('GET', '/v1/schedules/morning')).body.cron, '30 8 * * 1-5');
    });

    it('agentd reload prints the diff', async () => {
      writeFileSync(file, 'agents:\n  - hello.json\n');
      const { stdout } = await run(process.execPath, [AGENTD_BIN, 'reload'], { env: childEnv({ AGENTD_URL: server.url, AGENTD_API_KEY: server.adminKey }) });
      assert.match(stdout, new RegExp(`reloaded ${file}`));
      assert.match(stdout, /removed\s+schedules\/morning/);
      assert.match(stdout, /unchanged\s+agents\/hello/);
      assert.equal((await server.api('GET', '/v1/schedules/morning')).status, 404);
    });

    it('client.reload() answers the diff, and the server settings that need a restart', async () => {
      writeFileSync(file, 'server:\n  log_level: debug\nagents:\n  - hello.json\n');
      const client = new Agentd({ baseURL: server.url, apiKey: server.adminKey });
      const result = await client.reload();
      assert.equal(result.file, file);
      assert.deepEqual(result.diff, { added: [], changed: [], removed: [], unchanged: ['agents/hello'] });
      assert.deepEqual(result.restart_required, ['server.log_level']);
    });
  });
}

describe('config file: a missing file at start', () => {
  it('exits non-zero naming the path', async () => {
    const missing = join(tmpdir(), `agentd-missing-${process.pid}`, 'agentd.yaml');
    const proc = new LineProcess(process.execPath, [AGENTD_BIN, 'serve', '--port', '0', '--data-dir', mkdtempSync(join(tmpdir(), 'agentd-cfgmiss-')), '--config', missing], { env: childEnv({}) });
    const exit = await proc.exited;
    assert.notEqual(exit.code, 0);
    assert.ok(proc.stderr.includes(missing), proc.stderr);
  });
});
