import type { ConfigSection } from './config-section.ts';
import { agentsSection } from './agents-section.ts';
import { grantsSection } from './grants-section.ts';
import { keysSection } from './keys-section.ts';
import { secretsSection } from './secrets-section.ts';
import { modelsSection } from './models-section.ts';
import { schedulesSection } from './schedules-section.ts';
import { serverSection } from './server-section.ts';
import { triggersSection } from './triggers-section.ts';
import { webhooksSection } from './webhooks-section.ts';
import { workflowsSection } from './workflows-section.ts';

/**
 * The sections a config file may hold, one module each. Resource sections are applied in this
 * order (and removed in reverse), so a section may refer to the ones above it: grants to
 * secrets and agents, workflows, triggers and schedules to agents.
 *
 * A new section plugs in here: a `ResourceSection` (parse offline, check against the server,
 * apply, remove; its rows in `config_resources` make its resources managed) or a
 * `SettingsSection` (parsed into the server's settings, like `models:`), plus its route entries
 * in managed-guard.ts so the API refuses writes to what the file manages.
 * `triggers:` comes after `workflows` (a trigger targets an agent endpoint or a workflow) and
 * after `secrets` (its secret may be a vault secret of the file).
 */
export const CONFIG_SECTIONS: readonly ConfigSection[] = [serverSection, modelsSection, keysSection, secretsSection, agentsSection, grantsSection, workflowsSection, triggersSection, schedulesSection, webhooksSection];
