import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** What a signed decision link carries. */
export interface LinkClaims {
  /** tenant */
  t: string;
  /** approval id */
  a: string;
  /** the decision the link makes, or null to let the holder choose */
  d: 'approve' | 'reject' | null;
  /** expiry, epoch ms */
  exp: number;
  /** single-use id */
  jti: string;
  /** who the link was made for (shown as the decider) */
  for: string | null;
}

/**
 * Signed, expiring, single-use decision links: `base64url(claims).base64url(HMAC-SHA256)`. The
 * HMAC key is derived from the server's master secret, so every node verifies the same links.
 * Single use is enforced by recording `jti` in the decision's transaction.
 */
export class ApprovalLinks {
  readonly #key: Buffer;

  constructor(key: Buffer) {
    this.#key = key;
  }

  sign(claims: Omit<LinkClaims, 'jti'>): { token: string; claims: LinkClaims } {
    const full: LinkClaims = { ...claims, jti: randomBytes(16).toString('base64url') };
    const body = Buffer.from(JSON.stringify(full)).toString('base64url');
    return { token: `${body}.${this.#mac(body)}`, claims: full };
  }

  /** The claims of a genuine, unexpired token, or null. Compares MACs in constant time. */
  verify(token: string, now: number): LinkClaims | null {
    const dot = token.indexOf('.');
    if (dot <= 0 || token.length > 2000) return null;
    const body = token.slice(0, dot);
    const mac = Buffer.from(token.slice(dot + 1), 'base64url');
    const expected = Buffer.from(this.#mac(body), 'base64url');
    if (mac.length !== expected.length || !timingSafeEqual(mac, expected)) return null;
    let claims: LinkClaims;
    try {
      claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as LinkClaims;
    } catch {
      return null; // a MAC over garbage can only be ours if we signed garbage: treat as invalid
    }
    if (typeof claims.exp !== 'number' || claims.exp <= now) return null;
    return claims;
  }

  #mac(body: string): string {
    return createHmac('sha256', this.#key).update(body).digest('base64url');
  }
}
