import { compileUserSchema, type ValidateFunction } from '@agentd/protocol/manifest';
import { withoutSchemaKeyword, type ToolSpec } from '../tools/index.ts';

/** Checks a call's arguments against its tool's schema before the call (compiled once per tool and loop). */
export class ToolArguments {
  readonly #compiled = new Map<string, ValidateFunction | null>();

  /** The problems as one line, or null when the arguments fit. A schema that cannot be compiled lets them through (the tool checks). */
  check(spec: ToolSpec, args: unknown): string | null {
    let validate = this.#compiled.get(spec.name);
    if (validate === undefined) {
      try {
        validate = compileUserSchema(withoutSchemaKeyword(spec.inputSchema));
      } catch {
        validate = null;
      }
      this.#compiled.set(spec.name, validate);
    }
    if (!validate || validate(args)) return null;
    return (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`).join('; ');
  }
}
