const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

/**
 * Listens for SIGTERM/SIGINT: the first starts a graceful stop, a second one cuts the grace short
 * (the operator pressed Ctrl-C twice). Returns the function that removes the listeners, so a
 * stopped worker leaves the process's default signal handling as it found it.
 */
export function installSignalHandlers(onFirst: () => void, onRepeat: () => void): () => void {
  let received = 0;
  const handler = () => {
    received += 1;
    if (received === 1) onFirst();
    else onRepeat();
  };
  for (const signal of SIGNALS) process.on(signal, handler);
  return () => {
    for (const signal of SIGNALS) process.off(signal, handler);
  };
}
