/** Resolves on the first SIGINT or SIGTERM: the moment a long-running command stops cleanly. */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (signal: NodeJS.Signals): void => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve(signal);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}

/**
 * SIGHUP (`systemctl reload`, `kill -HUP`): calls `fn` on each, instead of Node's default of
 * exiting. Returns the function that removes the handler.
 */
export function onReloadSignal(fn: () => void): () => void {
  const on = (): void => fn();
  process.on('SIGHUP', on);
  return () => {
    process.off('SIGHUP', on);
  };
}
