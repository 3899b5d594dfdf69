import { backoffDelay } from '@faultline/contract';

export interface PostJsonOptions {
  headers?: Record<string, string>;
  /** Attempts in all, for 5xx, 429 and network errors. @default 5 */
  attempts?: number;
  backoff?: { initialMs: number; maxMs: number };
  timeoutMs?: number;
}

/**
 * POSTs a JSON body, retrying what may succeed later (5xx, 429, a network error or timeout) with
 * jittered backoff. Rejects with the status only: a webhook URL or key is a secret, so no error
 * message carries the URL or the headers.
 */
export async function postJson(url: string, body: unknown, options: PostJsonOptions = {}): Promise<number> {
  const attempts = options.attempts ?? 5;
  const backoff = options.backoff ?? { initialMs: 500, maxMs: 10_000 };
  let last = 'no attempt';
  for (let attempt = 0; attempt < attempts; attempt++) {
    if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, backoffDelay(attempt - 1, backoff)));
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...options.headers },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
      });
      await response.arrayBuffer();
      if (response.ok) return response.status;
      last = `answered ${response.status}`;
      if (response.status !== 429 && response.status < 500) break;
    } catch (error) {
      last = (error as Error).name === 'TimeoutError' ? 'timed out' : 'unreachable';
    }
  }
  throw new Error(last);
}
