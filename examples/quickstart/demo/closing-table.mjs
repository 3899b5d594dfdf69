// The demo's closing figures. Captured comes from the requests the service answered 500; kept
// and spooled from the service's own counters; dropped by reason and delivered from what the
// sink received (the client reports and the events). Lost is what none of those accounts for.

/** `TypeError: message` for an error event, as Sentry titles its issue. */
export function issueTitle(event) {
  const exception = event.exception?.values?.at(-1);
  return exception ? `${exception.type}: ${exception.value}` : (event.message ?? '(no message)');
}

/** `POST /checkout`, from the request data the SDK attached to the event. */
function routeOf(event) {
  const { method, url } = event.request ?? {};
  if (!url) return '(no request)';
  const { pathname, search } = new URL(url, 'http://localhost');
  return `${method ?? 'GET'} ${pathname}${search}`;
}

/** Per issue: the requests that hit it, what the error policy kept of them, what it dropped. */
export function printIssues(failedByRoute, sink) {
  console.log('     captured   kept  dropped  issue');
  for (const [title, { kept, route }] of sinkFigures(sink).byIssue) {
    const captured = failedByRoute.get(route) ?? 0;
    console.log(
      `    ${String(captured).padStart(9)} ${String(kept).padStart(6)} ${String(captured - kept).padStart(8)}  ${title} (${route})`,
    );
  }
}

/** What the sink holds: error events by issue, error drops by reason, other items by type. */
export function sinkFigures(sink) {
  // Delivery is at least once: a batch Kafka took just as the broker died is sent again, and the
  // forwarder's dedupe only sees copies it has finished. Sentry stores an event id once; so does this.
  const all = sink.items('event');
  const events = [...new Map(all.map((event) => [event.event_id, event])).values()];
  const byIssue = new Map();
  for (const event of events) {
    const title = issueTitle(event);
    const seen = byIssue.get(title) ?? { kept: 0, route: routeOf(event) };
    seen.kept++;
    byIssue.set(title, seen);
  }
  const errorDrops = {};
  for (const [key, quantity] of Object.entries(sink.discarded())) {
    const [reason, category] = key.split(':');
    if (category === 'error') errorDrops[reason] = (errorDrops[reason] ?? 0) + quantity;
  }
  return {
    events: events.length,
    duplicates: all.length - events.length,
    byIssue,
    errorDrops,
    dropped: Object.values(errorDrops).reduce((a, b) => a + b, 0),
    // Spans as SDK 11 streams them (span containers), and any transactions.
    spans:
      sink.items('span').reduce((sum, container) => sum + (container.items?.length ?? 1), 0) +
      sink.items('transaction').length,
  };
}

/**
 * Prints the table and returns the problems found: figures that disagree, or anything lost.
 * `received` is undefined when the events went to a real Sentry project (SENTRY_DSN).
 */
export function printClosingTable({ captured, metrics, received, forwarded }) {
  const kept = metrics.errors?.kept ?? captured;
  const policyDropped = Object.values(metrics.errors?.dropped ?? {}).reduce((a, b) => a + b, 0);
  const spooled = metrics.kafka?.spooled;
  const rows = [
    ['captured', captured, 'requests the service answered 500, each captured once'],
    ['kept by sampling', kept, "Faultline's error policy, in the service"],
  ];
  const problems = [];
  let lost;
  if (received) {
    rows.push(['dropped, by reason', received.dropped, 'from the client reports the sink received']);
    for (const [reason, quantity] of Object.entries(received.errorDrops)) {
      rows.push([`  ${reason}`, quantity, DROP_REASONS[reason] ?? '']);
    }
  } else {
    rows.push(['dropped by sampling', policyDropped, 'counted in client reports sent to your project']);
  }
  if (spooled !== undefined)
    rows.push(['spooled', spooled, 'envelopes written to disk while Kafka was away']);
  if (forwarded)
    rows.push([
      'forwarded',
      forwarded.delivered,
      'envelopes the forwarder delivered (events, spans, reports)',
    ]);
  if (received) {
    rows.push(['delivered to the sink', received.events, `error events (and ${received.spans} spans)`]);
    if (received.duplicates > 0)
      rows.push([
        '  of them twice',
        received.duplicates,
        'at least once: sent again after the outage; Sentry stores an event id once',
      ]);
    lost = captured - received.events - received.dropped;
    // The service's own counters and what the sink received must tell the same story.
    const beforeSend = received.errorDrops.before_send ?? 0;
    if (beforeSend !== policyDropped) {
      problems.push(`the service dropped ${policyDropped} by policy, the client reports say ${beforeSend}`);
    }
    if (received.events + received.dropped - beforeSend !== kept) {
      problems.push(
        `the service kept ${kept}, the sink has ${received.events} plus ${received.dropped - beforeSend} counted later`,
      );
    }
  } else {
    rows.push(['delivered', kept, 'error events, to your project (see them in Sentry)']);
    // Only the project can tell what it stored; here, what the service accounted for.
    lost = captured - kept - policyDropped;
    if (forwarded?.lost) {
      console.log(
        `demo: note: ${forwarded.lost} envelope(s) sent to Kafka were not yet finished by the forwarder`,
      );
    }
  }
  rows.push([
    'lost',
    lost,
    lost === 0 ? 'every captured error is delivered or counted' : 'NOT ACCOUNTED FOR',
  ]);
  if (lost !== 0) problems.push(`${lost} captured error(s) neither delivered nor counted as dropped`);

  console.log('');
  for (const [label, figure, note] of rows) {
    console.log(`  ${label.padEnd(28)}${String(figure).padStart(7)}   ${note}`);
  }
  console.log('');
  const dropped = received ? received.dropped : policyDropped;
  const delivered = received ? received.events : kept;
  console.log(
    `demo: captured ${captured}, kept ${kept}, dropped ${dropped}, spooled ${spooled ?? 0}, ` +
      `delivered ${delivered}, lost ${lost}`,
  );
  return problems;
}

const DROP_REASONS = {
  before_send: 'the error policy: over the per-fingerprint limit, sampled out',
  event_processor: "the SDK's own processors (dedupe of identical consecutive errors)",
  queue_overflow: "the SDK's pending-event bound",
  send_error: 'too large, or the spool full',
  ratelimit_backoff: 'held back by a 429',
};
