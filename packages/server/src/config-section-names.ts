/**
 * The sections of a config file, by name, in the order they are applied: what `agentd config`'s
 * help lists. A module of its own so the CLI's other commands need not load the sections'
 * parsers (config.ts checks at load that config-file's CONFIG_SECTIONS have these names).
 */
export const CONFIG_SECTION_NAMES: readonly string[] = ['server', 'models', 'keys', 'secrets', 'agents', 'grants', 'workflows', 'triggers', 'schedules', 'webhooks'];
