/**
 * Waits for `promise`, or `ms` at most (a rejection passes through). The timer is cleared once
 * either settles, so it never holds the process after: a stop that bounds a step the remote may
 * never answer (a disconnect, a probe) ends when its work does.
 */
export async function withDeadline(promise: PromiseLike<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      promise,
      new Promise((resolve) => {
        timer = setTimeout(resolve, Math.max(1, ms));
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
