export type { ApplyContext, ConfigSection, DesiredResource, ParseContext, ResourceSection, SettingsSection } from './config-section.ts';
export { CONFIG_SECTIONS } from './config-sections.ts';
export { formatProblems, loadConfigFile, parseConfigText, type ConfigLoad, type LoadedConfig } from './config-load.ts';
export { ConfigReloader } from './config-reloader.ts';
export { ManagedResources } from './managed-resources.ts';
export { declareManagedConflicts, isManagedRoute, managedGuard } from './managed-guard.ts';
export { reloadRoutes } from './reload-routes.ts';
export { SERVER_SETTING_NAMES, type ServerSettings } from './server-section.ts';
