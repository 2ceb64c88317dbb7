import { SCHEDULE_MISSED_POLICIES, SCHEDULE_OVERLAP_POLICIES, type Schedule, type ScheduleCreateParams, type ScheduleMissedPolicy, type ScheduleOverlapPolicy, type ScheduleTarget, type ScheduleUpdateParams } from '@agentd/sdk';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { integerOption } from './cli-errors.ts';
import { clientAction } from './client-action.ts';
import { addConnectionOptions } from './client-config.ts';
import { parseJsonArgument } from './cli-input.ts';
import { formatFields, formatTable, out, printJson, shortTime } from './output-format.ts';

interface DefinitionFlags {
  cron?: string;
  timezone?: string;
  target?: { agent: string; endpoint: string };
  input?: string;
  overlap?: ScheduleOverlapPolicy;
  missed?: ScheduleMissedPolicy;
  json?: boolean;
}

const EXAMPLES = `
Examples:
  $ agentd schedules create daily-report --cron '0 9 * * 1-5' --timezone Europe/Berlin \\
      --target reporter/daily --input '{"team":"search"}'
  $ agentd schedules create every-minute --cron '* * * * *' --target hello/greet --input '{"name":"cron"}' --overlap allow
  $ agentd schedules get daily-report          the definition and its next five fire times
  $ agentd schedules run daily-report          one run now
  $ agentd schedules runs daily-report         its slots: started, skipped, buffered, failed

Cron: 5 fields (minute hour day month weekday), 6 with seconds first, 7 with a year last, or
@daily/@hourly/…; read in --timezone (default UTC). See the README (Schedules) for how a time
that a daylight-saving change skips or repeats fires.`;

const targetText = (t: ScheduleTarget): string => ('workflow' in t ? `workflow:${t.workflow}` : `${t.agent}/${t.endpoint}`);

/** `agent/endpoint` or `workflow:<name>` → the schedule's target. */
export function parseScheduleTarget(value: string): ScheduleTarget {
  const v = value.trim();
  if (v.startsWith('workflow:') && v.length > 'workflow:'.length) return { workflow: v.slice('workflow:'.length) };
  const m = /^([^/\s]+)\/([^/\s]+)$/.exec(v);
  if (!m) throw new InvalidArgumentError('--target takes <agent>/<endpoint>, like hello/greet, or workflow:<name>.');
  return { agent: m[1], endpoint: m[2] };
}

const withDefinitionOptions = (command: Command, required: boolean): Command =>
  command
    .addOption(new Option('--cron <expr>', 'cron expression (5-7 fields, or @daily…)').makeOptionMandatory(required))
    .option('--timezone <tz>', 'IANA time zone the cron is read in (default UTC)')
    .addOption(new Option('--target <agent/endpoint|workflow:name>', 'the agent endpoint or workflow each slot runs').argParser(parseScheduleTarget).makeOptionMandatory(required))
    .option('--input <json|@file>', 'the input of every run: inline JSON, @file, or @- for stdin')
    .addOption(new Option('--overlap <policy>', 'when a slot comes while the last run is live (default skip)').choices(SCHEDULE_OVERLAP_POLICIES))
    .addOption(new Option('--missed <policy>', 'slots missed while no node fired (default skip)').choices(SCHEDULE_MISSED_POLICIES))
    .option('--json', 'print the schedule as JSON');

function definition(flags: DefinitionFlags): Omit<ScheduleUpdateParams, 'paused'> {
  return {
    ...(flags.cron !== undefined ? { cron: flags.cron } : {}),
    ...(flags.timezone !== undefined ? { timezone: flags.timezone } : {}),
    ...(flags.target !== undefined ? { target: flags.target } : {}),
    ...(flags.input !== undefined ? { input: parseJsonArgument(flags.input, '--input') } : {}),
    ...(flags.overlap !== undefined ? { overlap_policy: flags.overlap } : {}),
    ...(flags.missed !== undefined ? { missed_policy: flags.missed } : {}),
  };
}

/** `agentd schedules …`: cron schedules that start runs. */
export function registerSchedulesCommand(program: Command): void {
  const schedules = addConnectionOptions(program.command('schedules').description('cron schedules that start runs of an agent endpoint'));

  withDefinitionOptions(schedules.command('create <id>').description('create a schedule under an id of your choice (the same again changes nothing)'), true)
    .option('--paused', 'create it paused')
    .addHelpText('after', EXAMPLES)
    .action(
      clientAction<DefinitionFlags & { paused?: boolean }, [string]>(async ({ client, options }, id) => {
        const params = { id, ...definition(options), ...(options.paused ? { paused: true } : {}) } as ScheduleCreateParams;
        const schedule = await client.schedules.create(params);
        if (options.json) printJson(schedule);
        else out(`schedule ${schedule.id}: ${schedule.cron} (${schedule.timezone}) → ${targetText(schedule.target)}; next ${shortTime(schedule.next_fire_times[0])} UTC`);
      }),
    );

  withDefinitionOptions(schedules.command('update <id>').description('change a schedule (a new cron or time zone starts from now)'), false).action(
    clientAction<DefinitionFlags, [string]>(async ({ client, options }, id) => {
      const schedule = await client.schedules.update(id, definition(options));
      if (options.json) printJson(schedule);
      else out(formatSchedule(schedule));
    }),
  );

  schedules
    .command('list')
    .description('list schedules, newest first')
    .option('--json', 'print {data, next_cursor} as JSON')
    .action(
      clientAction<{ json?: boolean }, []>(async ({ client, options }) => {
        const data: Schedule[] = [];
        for await (const s of client.schedules.list({ limit: 500 })) data.push(s);
        if (options.json) return printJson({ data, next_cursor: null });
        if (data.length === 0) return out('no schedules yet: make one with agentd schedules create <id> --cron … --target agent/endpoint');
        out(
          formatTable(
            ['ID', 'CRON', 'TIMEZONE', 'TARGET', 'STATE', 'NEXT (UTC)'],
            data.map((s) => [s.id, s.cron, s.timezone, targetText(s.target), s.paused ? 'paused' : 'active', shortTime(s.next_fire_times[0])]),
          ),
        );
      }),
    );

  schedules
    .command('get <id>')
    .description('show a schedule and its next five fire times')
    .option('--json', 'print the schedule as JSON')
    .action(
      clientAction<{ json?: boolean }, [string]>(async ({ client, options }, id) => {
        const schedule = await client.schedules.retrieve(id);
        if (options.json) printJson(schedule);
        else out(formatSchedule(schedule));
      }),
    );

  for (const action of ['pause', 'resume'] as const) {
    schedules
      .command(`${action} <id>`)
      .description(action === 'pause' ? 'stop firing until resumed' : 'fire again from the next slot after now (paused slots are not caught up)')
      .option('--json', 'print the schedule as JSON')
      .action(
        clientAction<{ json?: boolean }, [string]>(async ({ client, options }, id) => {
          const schedule = action === 'pause' ? await client.schedules.pause(id) : await client.schedules.resume(id);
          if (options.json) printJson(schedule);
          else out(`${action}d schedule ${schedule.id}${schedule.paused ? '' : `; next ${shortTime(schedule.next_fire_times[0])} UTC`}`);
        }),
      );
  }

  schedules
    .command('run <id>')
    .description("start one run now with the schedule's target and input (paused or not)")
    .option('--json', 'print the run as JSON')
    .action(
      clientAction<{ json?: boolean }, [string]>(async ({ client, options }, id) => {
        const run = await client.schedules.runNow(id);
        if (options.json) printJson(run);
        else out(run.id);
      }),
    );

  schedules
    .command('runs <id>')
    .description("the schedule's slots, newest first: what each did and its run")
    .addOption(new Option('--limit <n>', 'at most n slots, 1-500').argParser(integerOption('--limit', 1, 500)).default(50))
    .option('--json', 'print {data, next_cursor} as JSON')
    .action(
      clientAction<{ limit: number; json?: boolean }, [string]>(async ({ client, options }, id) => {
        const page = await client.schedules.runs(id, { limit: options.limit });
        if (options.json) return printJson(page);
        if (page.data.length === 0) return out(`schedule ${id} has not fired yet`);
        out(formatTable(['SLOT (UTC)', 'TRIGGER', 'OUTCOME', 'RUN', 'STATUS', 'DETAIL'], page.data.map((f) => [shortTime(f.slot), f.trigger, f.outcome, f.run_id ?? '-', f.run_status ?? '-', f.detail ?? ''])));
      }),
    );

  schedules
    .command('delete <id>')
    .description('delete a schedule (the runs it made stay)')
    .option('--json', 'print the answer as JSON')
    .action(
      clientAction<{ json?: boolean }, [string]>(async ({ client, options }, id) => {
        const result = await client.schedules.delete(id);
        if (options.json) printJson(result);
        else out(`deleted schedule ${result.id}`);
      }),
    );
}

function formatSchedule(s: Schedule): string {
  const head = formatFields([
    ['id', s.id],
    ['cron', `${s.cron} (${s.timezone})`],
    ['target', targetText(s.target)],
    ['input', JSON.stringify(s.input)],
    ['overlap', s.overlap_policy],
    ['missed', s.missed_policy],
    ['state', s.paused ? `paused since ${shortTime(s.paused_at)} UTC` : 'active'],
    ['buffered', s.buffered_slot ? `${shortTime(s.buffered_slot)} UTC` : '-'],
    ['last run', s.last_run_id ?? '-'],
  ]);
  const next = s.next_fire_times.length > 0 ? s.next_fire_times.map((t) => `  ${shortTime(t)} UTC`).join('\n') : '  - (paused)';
  return `${head}\nnext fire times:\n${next}`;
}
