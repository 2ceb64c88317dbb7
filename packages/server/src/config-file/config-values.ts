import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { FieldProblem } from '@agentd/protocol';
import type { TSchema } from 'typebox';
import Value from 'typebox/value';
import { canonicalJson } from '../core/index.ts';
import type { ParseContext } from './config-section.ts';

export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** SHA-256 of a definition's canonical JSON (key order does not count). */
export function digestOf(spec: unknown): string {
  return createHash('sha256').update(canonicalJson(spec)).digest('hex');
}

const pathOf = (root: string, pointer: string) => [root, ...pointer.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))].join('.');

/**
 * Checks `value` against a TypeBox schema; each problem once, at its path under `root`: an
 * unknown field by its name, a choice of constants as "must be one of …", a missing field by its
 * name. Returns whether it matched.
 */
export function checkSchema(schema: TSchema, value: unknown, root: string, problems: FieldProblem[]): boolean {
  if (Value.Check(schema, value)) return true;
  const seen = new Set<string>();
  const choices = new Map<string, unknown[]>();
  const add = (path: string, message: string) => {
    const k = `${path}\u0000${message}`;
    if (seen.has(k)) return;
    seen.add(k);
    problems.push({ path, message });
  };
  const errors = [...Value.Errors(schema, value)];
  for (const e of errors) if (e.keyword === 'const') (choices.get(e.instancePath) ?? choices.set(e.instancePath, []).get(e.instancePath)!).push((e.params as { allowedValue: unknown }).allowedValue);
  for (const e of errors) {
    const path = pathOf(root, e.instancePath);
    const params = e.params as Record<string, unknown>;
    if (e.keyword === 'boolean') continue; // the `false` schema of additionalProperties: reported below
    if (e.keyword === 'additionalProperties') {
      for (const name of params.additionalProperties as string[]) add(`${path}.${name}`, 'is not a known field');
    } else if (e.keyword === 'required') {
      for (const name of (params.requiredProperties as string[] | undefined) ?? [String(params.missingProperty)]) add(`${path}.${name}`, 'is required');
    } else if (e.keyword === 'const' || (e.keyword === 'anyOf' && choices.has(e.instancePath))) {
      add(path, `must be one of ${(choices.get(e.instancePath) ?? []).map((c) => JSON.stringify(c)).join(', ')}`);
    } else {
      add(path, e.message);
    }
  }
  if (problems.length === 0) problems.push({ path: root, message: 'is invalid' });
  return false;
}

/** A path in the file, relative to the file's directory. */
export const fromFileDir = (ctx: ParseContext, path: string) => (isAbsolute(path) ? path : resolve(ctx.dir, path));

/** What an unresolved reference stands for (validate --skip-secrets): shaped like a webhook secret. */
export const REFERENCE_PLACEHOLDER = `whsec_${Buffer.alloc(32, 1).toString('base64')}`;

/**
 * A secret by reference, never inline: `env:NAME` (the server's environment) or `file:path` (a
 * file's contents, trailing newline dropped; relative to the config file). Undefined, with a
 * problem at `path`, when it is inline, the variable is unset or the file unreadable.
 */
export function resolveReference(value: unknown, path: string, ctx: ParseContext): string | undefined {
  if (typeof value !== 'string') {
    ctx.problems.push({ path, message: 'must be a reference: env:NAME or file:path' });
    return undefined;
  }
  if (ctx.resolveReferences === false && /^(env:.+|file:.+)$/.test(value)) return REFERENCE_PLACEHOLDER;
  if (value.startsWith('env:')) {
    const name = value.slice(4);
    const v = ctx.env[name];
    if (!name || v === undefined || v === '') ctx.problems.push({ path, message: `refers to the environment variable ${name || '(no name)'}, which is not set` });
    return v || undefined;
  }
  if (value.startsWith('file:')) {
    const file = fromFileDir(ctx, value.slice(5));
    try {
      return readFileSync(file, 'utf8').replace(/\r?\n$/, '');
    } catch (err) {
      ctx.problems.push({ path, message: `refers to ${file}, which cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})` });
      return undefined;
    }
  }
  ctx.problems.push({ path, message: 'is a secret and may not be written inline: use env:NAME or file:path' });
  return undefined;
}
