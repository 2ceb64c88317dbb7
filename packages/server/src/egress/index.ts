/** The public face of egress/: other folders import from here only. */
export { EgressClient } from './egress-client.ts';
export type { EgressClientOptions, EgressRequest, EgressResponse, EgressStream, EgressStreamRequest, ResolvedAddress, Resolver } from './egress-client.ts';
export { egressFetch, ReplyTooLargeError } from './egress-fetch.ts';
export type { EgressFetchOptions } from './egress-fetch.ts';
export { EgressPolicy, EgressRefusedError } from './egress-policy.ts';
