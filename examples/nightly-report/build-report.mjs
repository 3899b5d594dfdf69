import * as Sentry from '@sentry/node';

/** The job itself: it honours the AbortSignal that fires at its max runtime. */
export async function buildReport({ signal, attempt }) {
  Sentry.addBreadcrumb({ category: 'report', message: `collecting orders (attempt ${attempt})` });
  await new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, 200);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(signal.reason);
    });
  });
  if (process.env.REPORT_FAIL) throw new Error('the warehouse export is empty');
  return { rows: 1234 };
}
