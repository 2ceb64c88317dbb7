import { EmptyBody, ReloadResult } from '@agentd/protocol/schemas';
import { DomainError } from '../core/index.ts';
import type { AppDeps, RouteApp } from '../http/index.ts';
import { errors, tenantOf } from '../http/index.ts';
import { DEFAULT_TENANT } from '../store/index.ts';

export function reloadRoutes(app: RouteApp, { configFile }: AppDeps): void {
  app.post(
    '/v1/reload',
    {
      config: { permission: 'config:reload' },
      schema: {
        tags: ['config'],
        summary: 'Read the config file again and apply it (what SIGHUP and `agentd reload` do)',
        description:
          'Answers the diff: each resource and model alias of the file as `section/name` under added, changed, removed or unchanged, and the `server:` settings that need a restart. A file that cannot be read or is invalid is `422 CONFIG_INVALID` (details: each problem with its path) and changes nothing. `409 CONFIG_NOT_LOADED` when the server was started without `--config`. Models are replaced on the node that answers; resources are in the database, for every node. Admins of the default tenant only (the file manages that tenant).',
        body: EmptyBody,
        response: { 200: ReloadResult, ...errors(401, 403, 409, 422) },
      },
    },
    async (request) => {
      if (tenantOf(request) !== DEFAULT_TENANT) throw new DomainError('FORBIDDEN', 'the config file manages the default tenant: only its admins may reload it');
      if (!configFile) throw new DomainError('CONFIG_NOT_LOADED', 'this server was started without --config: there is no config file to reload');
      return configFile.reload();
    },
  );
}
