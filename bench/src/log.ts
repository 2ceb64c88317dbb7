/** Progress goes to stderr, so stdout carries nothing but the JSON result lines. */
export function log(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}
