/**
 * The config file's reload (`POST /v1/reload`, `agentd reload`, SIGHUP): what it changed. Entries
 * are `section/name` (`agents/hello`, `schedules/daily-report`, `models/fast`).
 */
import Type, { type Static } from 'typebox';

const Entries = Type.Array(Type.String());

export const ConfigDiff = Type.Object(
  {
    added: Entries,
    changed: Entries,
    removed: Entries,
    unchanged: Entries,
  },
  { description: 'Resources and model aliases of the file, by what the reload did to each: `section/name`.' },
);
export type ConfigDiff = Static<typeof ConfigDiff>;

export const ReloadResult = Type.Object({
  file: Type.String({ description: 'The config file that was read (its absolute path on the server).' }),
  diff: ConfigDiff,
  restart_required: Type.Array(Type.String(), {
    description: '`server:` settings of the file that differ from the ones this process started with (`server.port`): they take effect at the next start.',
  }),
});
export type ReloadResult = Static<typeof ReloadResult>;
