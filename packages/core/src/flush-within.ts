/**
 * Runs `flush` but resolves within `timeoutMs` whatever it does: `false` when it did not finish,
 * failed, or threw. Sentry's own flush can take up to twice its timeout (it waits for the client,
 * then the transport), and shutdown must keep its bound.
 */
export async function flushWithin(
  flush: (timeoutMs: number) => PromiseLike<boolean>,
  timeoutMs: number,
): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
    timer.unref();
  });
  try {
    return await Promise.race([
      Promise.resolve()
        .then(() => flush(timeoutMs))
        .then(Boolean, () => false),
      deadline,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
