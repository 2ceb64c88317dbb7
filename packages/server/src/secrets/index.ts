/** The public face of secrets/: other folders import from here only. */
export { grantRoutes } from './grant-routes.ts';
export { GrantService } from './grant-service.ts';
export { loadKeyring, warnAboutUnreadableSecrets } from './master-key-file.ts';
export { parseMasterKey } from './master-key.ts';
export type { Keyring } from './master-key.ts';
export { SecretDelivery } from './secret-delivery.ts';
export { secretRoutes } from './secret-routes.ts';
export type { ResponseAddress, SealedSecret, TriggerSecretAddress, WebhookSecretAddress } from './secret-crypto.ts';
export { createScrubber, noScrubbing } from './secret-scrubber.ts';
export { SecretService } from './secret-service.ts';
