/**
 * One reading per batch of packets. aedes parses all the packets of one socket read in one
 * synchronous run: they arrived together, so they may share one reading of the clocks (and of the
 * clock watch's flags), taken for the first and dropped at the next microtask checkpoint. Reading
 * them again for every message was a few per cent of its CPU at 50,000 messages/s (issue 18).
 */
export function perBatch<T>(read: () => T): () => T {
  let value: T | undefined;
  let fresh = false;
  const forget = (): void => {
    fresh = false;
    value = undefined;
  };
  return () => {
    if (!fresh) {
      value = read();
      fresh = true;
      queueMicrotask(forget);
    }
    return value as T;
  };
}
