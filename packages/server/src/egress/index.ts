/** The public face of egress/: other folders import from here only. */
export { EgressClient } from './egress-client.ts';
export type { EgressClientOptions, EgressRequest, EgressResponse, ResolvedAddress, Resolver } from './egress-client.ts';
export { EgressPolicy, EgressRefusedError } from './egress-policy.ts';
