/**
 * DomainError takes its code from the one registry (`ERROR_CODES` in @agentd/protocol): a code
 * that is not in it is a type error (`npm test` typechecks first), so no service can send a
 * client an undocumented code by a typo.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ERROR_CODES } from '@agentd/protocol';
import { DomainError } from '../src/core/index.ts';

describe('DomainError', () => {
  it('carries a code of the registry, its message and details', () => {
    const err = new DomainError('RUN_NOT_FOUND', 'no run "x"', { id: 'x' });
    assert.equal(ERROR_CODES[err.code].status, 404);
    assert.equal(err.message, 'no run "x"');
    assert.deepEqual(err.details, { id: 'x' });
    assert.equal(new DomainError('LEASE_LOST', 'gone').details, null);
  });

  it('refuses a code outside the registry at typecheck', () => {
    // @ts-expect-error: a misspelt code does not typecheck
    const typo = new DomainError('RUN_NOT_FUOND', 'no run');
    assert.equal(Object.hasOwn(ERROR_CODES, typo.code), false);
  });
});
