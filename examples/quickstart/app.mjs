import * as Sentry from '@sentry/node';

// A traced operation: a root span with a child, as a request handler would have.
await Sentry.startSpan({ name: 'checkout', op: 'function', attributes: { 'cart.items': 3 } }, async () => {
  await Sentry.startSpan({ name: 'charge card', op: 'payment' }, () => new Promise((r) => setTimeout(r, 25)));

  try {
    JSON.parse('{ "total": 42,'); // a real bug: malformed input
  } catch (error) {
    Sentry.captureException(error);
  }
});

Sentry.captureMessage('quickstart finished', 'info');
console.log('quickstart: captured an error, a message and a traced operation');
// No explicit flush: Faultline flushes before the process exits.
