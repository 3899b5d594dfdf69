import type { Envelope } from '@sentry/core';
import * as Sentry from '@sentry/node';
import { bench, describe } from 'vitest';
import { createScrubber } from '../src/index.js';

// What scrubbing adds, beside what the SDK itself spends, measured in the same run:
// 1. a typical error event (a request with headers, cookies and a body, 30 breadcrumbs,
//    contexts): the SDK capturing it until its transport has it, against scrubbing its envelope;
// 2. a batch of 50 spans with attributes: the SDK starting and ending them, against scrubbing
//    the span envelope it sends.
const scrubber = createScrubber();
let lastEnvelope: Envelope | undefined;
let delivered: (() => void) | undefined;
const keepLast = (options: Parameters<typeof Sentry.makeNodeTransport>[0]) =>
  Sentry.createTransport(options, () => {
    delivered?.();
    return Promise.resolve({ statusCode: 200 });
  });

Sentry.init({
  dsn: 'http://public@127.0.0.1:9/1',
  transport: keepLast,
  tracesSampleRate: 1,
});
Sentry.getClient()?.on('beforeEnvelope', (envelope) => {
  lastEnvelope = envelope;
});
const scope = Sentry.getIsolationScope();
for (let i = 0; i < 30; i++) {
  scope.addBreadcrumb({
    category: i % 3 === 0 ? 'http' : 'console',
    message: `step ${i} of the checkout`,
    data: i % 3 === 0 ? { url: `https://api.example/v1/items/${i}?page=2`, status_code: 200 } : { n: i },
  });
}
scope.setContext('order', { id: 'o-123', total: 99.5, items: 3, currency: 'EUR' });
scope.setUser({ id: 'u-7', email: 'ada@example.com' });
scope.addEventProcessor((event) => ({
  ...event,
  request: {
    method: 'POST',
    url: 'https://shop.example/checkout?session=abc',
    headers: { Authorization: 'Bearer abc.def.ghi', Cookie: 'sessionid=xyz', Accept: 'application/json' },
    data: { username: 'ada', password: 'hunter2', items: [1, 2, 3] },
  },
}));

let count = 0;
async function captureOne(): Promise<void> {
  const sent = new Promise<void>((resolve) => {
    delivered = resolve;
  });
  Sentry.captureException(new Error(`payment failed ${count++}`));
  await sent;
}
await captureOne();
const errorEnvelope = lastEnvelope as Envelope;

function fiftySpans(): void {
  Sentry.startSpan({ name: 'GET /orders', op: 'http.server' }, () => {
    for (let i = 0; i < 49; i++) {
      Sentry.startSpan(
        {
          name: `SELECT orders ${i}`,
          op: 'db',
          attributes: { 'db.system': 'postgresql', 'db.statement': 'SELECT * FROM orders WHERE id = $1' },
        },
        () => undefined,
      );
    }
  });
}
fiftySpans();
await Sentry.flush(2000);
const spanEnvelope = lastEnvelope as Envelope;
// The figures mean something only if these are what they claim to be.
if (errorEnvelope[1][0]?.[0].type !== 'event') throw new Error('the error envelope holds no event');
if (spanEnvelope[1][0]?.[0].type !== 'span') throw new Error('the span envelope holds no spans');

describe('a typical error event', () => {
  bench('baseline: the SDK captures it until the transport has it', captureOne, { time: 3000 });
  bench(
    'scrubbing its envelope',
    () => {
      scrubber.scrubEnvelope(errorEnvelope);
    },
    { time: 3000 },
  );
});

describe('a batch of 50 spans', () => {
  bench('baseline: the SDK starts and ends them', fiftySpans, { time: 3000 });
  bench(
    'scrubbing the span envelope',
    () => {
      scrubber.scrubEnvelope(spanEnvelope);
    },
    { time: 3000 },
  );
});

// Strings written to make the rules backtrack, each 116 KB (the size the PEM rule took 172 ms
// on when its body was `[\s\S]+?`), beside a plain string of the same size: every rule is
// linear, so each should cost a small multiple of the plain one, not hundreds of times it.
const SIZE = 116_000;
const hostile = {
  'plain text': 'lorem ipsum dolor sit amet '.repeat(SIZE / 27),
  'unclosed PEM BEGIN lines': '-----BEGIN RSA PRIVATE KEY-----\n'.repeat(SIZE / 32),
  'dotted words before an @ (email on)': `${'a.'.repeat(SIZE / 2)}@`,
  'unclosed JSON secrets': '"password":"x\\"'.repeat(SIZE / 15),
  'Bearer words': 'Bearer '.repeat(SIZE / 7),
};
const everyRule = createScrubber({
  rules: ['keys', 'creditcard', 'bearer', 'urlauth', 'pemkey', 'email', 'ip'],
});
describe('adversarial strings of 116 KB, every rule on', () => {
  for (const [name, text] of Object.entries(hostile)) {
    const envelope = [{}, [[{ type: 'event' }, { message: text }]]] as unknown as Envelope;
    bench(name === 'plain text' ? `baseline: ${name}` : name, () => {
      everyRule.scrubEnvelope(envelope);
    });
  }
});
