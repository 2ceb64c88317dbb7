import { canonicalJson } from '../core/index.ts';

/**
 * Whether two JSON texts hold the same value, whatever the order of their objects' keys: a
 * worker retried after a crash rebuilds its call's input, and may build the keys in another order.
 */
export function sameJson(a: string, b: string): boolean {
  return a === b || canonicalJson(JSON.parse(a)) === canonicalJson(JSON.parse(b));
}
