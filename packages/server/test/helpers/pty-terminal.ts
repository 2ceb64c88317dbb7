/**
 * A pseudo-terminal for CLI tests (util-linux `script`): what a command printed so far, and
 * typing into it, as a person at a terminal would.
 */
import { spawn, spawnSync } from 'node:child_process';

export const HAS_SCRIPT = spawnSync('script', ['--version']).status === 0;

/** The terminal: what the chat printed so far, and typing into it. */
export class Terminal {
  output = '';
  readonly #child: ReturnType<typeof spawn>;
  readonly exited: Promise<number | null>;

  constructor(bin: string, args: string[], env: NodeJS.ProcessEnv) {
    const command = [process.execPath, bin, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
    // -q quiet, -f flush each write, -e the command's exit code; the typescript goes nowhere.
    this.#child = spawn('script', ['-qfec', command, '/dev/null'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    this.#child.stdout!.setEncoding('utf8').on('data', (d: string) => (this.output += d));
    this.#child.stderr!.setEncoding('utf8').on('data', (d: string) => (this.output += d));
    this.exited = new Promise((r) => this.#child.on('exit', (code) => r(code)));
  }

  type(text: string): void {
    this.#child.stdin!.write(text);
  }

  /** Resolves once the output (from `from` on) matches; fails with the whole screen after 30 s. */
  async waitFor(pattern: RegExp, from = 0): Promise<number> {
    for (let i = 0; i < 600; i++) {
      const m = pattern.exec(this.output.slice(from));
      if (m) return from + m.index + m[0].length;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`the chat never printed ${pattern}; the screen:\n${this.output}`);
  }

  kill(): void {
    this.#child.kill('SIGKILL');
  }
}
