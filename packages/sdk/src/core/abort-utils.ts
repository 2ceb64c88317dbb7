/**
 * Waits `ms`, or rejects with the signal's reason as soon as it aborts. The timer is cleared on
 * abort so a cancelled wait leaves nothing behind that keeps the process alive.
 *
 * @example
 * await sleep(500, controller.signal);
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, Math.max(0, ms));
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Like `sleep`, but resolves (never rejects) when the signal aborts: for loops that check it after.
 * @example
 * while (!signal.aborted) { await poll(); await sleepUntilAborted(1000, signal); }
 */
export function sleepUntilAborted(ms: number, signal?: AbortSignal): Promise<void> {
  return sleep(ms, signal).catch(() => undefined);
}

/**
 * Signals combined with `AbortSignal.any`, ignoring the missing ones.
 * @example
 * const signal = anySignal([options.signal, timeoutController.signal]);
 */
export function anySignal(signals: Array<AbortSignal | undefined>): AbortSignal | undefined {
  const present = signals.filter((s): s is AbortSignal => s !== undefined);
  if (present.length <= 1) return present[0];
  return AbortSignal.any(present);
}
