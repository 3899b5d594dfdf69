import { createErrorPolicy, createSeededRandom } from '@faultline/sampling';
import { createEnvelope, type ErrorEvent, type Event, serializeEnvelope } from '@sentry/core';
import { describe, expect, it } from 'vitest';
import {
  type AlertTransition,
  createAlertEvaluator,
  createEpisodeBook,
  createSpikeRule,
  type ErrorObservation,
  observe,
} from '../src/index.js';

const DSN = 'http://publickey@127.0.0.1:9000/42';
const MIN = 60_000;
const T0 = Date.UTC(2026, 11, 2, 10, 0, 0);

/** An envelope as the Kafka transport writes it, read back as the alerts service reads it. */
function observed(events: Event[]) {
  return events.flatMap(
    (event) =>
      observe(
        Buffer.from(serializeEnvelope(createEnvelope({ dsn: DSN }, [[{ type: 'event' }, event]])) as string),
      ) ?? [],
  );
}

function error(value: string, at: number, extra: Partial<ErrorEvent> = {}): ErrorEvent {
  return {
    type: undefined,
    event_id: Math.random().toString(16).slice(2).padEnd(32, '0'),
    level: 'error',
    timestamp: at / 1000,
    exception: { values: [{ type: 'TypeError', value }] },
    ...extra,
  };
}

/** `perMinute` errors of one kind in each minute from `fromMinute`, spread evenly. */
function stream(value: string, fromMinute: number, minutes: number, perMinute: number): ErrorEvent[] {
  const events: ErrorEvent[] = [];
  for (let m = fromMinute; m < fromMinute + minutes; m++) {
    for (let i = 0; i < perMinute; i++) events.push(error(value, T0 + m * MIN + (i * MIN) / perMinute));
  }
  return events;
}

/** Runs events through the real error policy at their own times; returns what it kept. */
function thinned(events: ErrorEvent[]): ErrorEvent[] {
  let now = T0;
  const policy = createErrorPolicy({
    clock: { now: () => now },
    random: createSeededRandom(7),
    logger: silent,
  });
  const kept: ErrorEvent[] = [];
  for (const event of events) {
    now = (event.timestamp as number) * 1000;
    const decided = policy(event, {});
    if (decided) kept.push(decided);
  }
  return kept;
}
const silent = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

/** Feeds observations in time order and closes minutes as a clock would, up to `untilMinute`. */
function run(events: Event[], untilMinute: number, options = {}): AlertTransition[] {
  const evaluator = createAlertEvaluator({ graceMs: 0, ...options });
  const sorted = [...events].sort((a, b) => (a.timestamp as number) - (b.timestamp as number));
  const transitions: AlertTransition[] = [];
  let next = 0;
  for (let m = 0; m <= untilMinute; m++) {
    while (next < sorted.length && (sorted[next]?.timestamp as number) * 1000 < T0 + (m + 1) * MIN) {
      transitions.push(...evaluator.observe(observed([sorted[next++] as Event])));
    }
    transitions.push(...evaluator.tick(T0 + (m + 1) * MIN));
  }
  return transitions;
}

describe('spike', () => {
  it('fires on a storm the error policy thinned to a few kept events, on true volume', () => {
    const events = [...stream('steady', 0, 12, 20), ...stream('storm', 6, 2, 1200)];
    const kept = thinned(events);
    const keptStorm = kept.filter((e) => e.exception?.values?.[0]?.value === 'storm');
    // The policy kept few of the 2,400 storm errors...
    expect(keptStorm.length).toBeLessThan(100);
    const transitions = run(kept, 12);
    const storm = transitions.filter((t) => t.rule === 'spike' && t.summary.includes('storm'));
    // ...but their dropped_since_last_kept carry the rest: the issue fires once, then resolves once.
    expect(storm.map((t) => t.status)).toEqual(['firing', 'resolved']);
    // Drops are reported with the next kept event, so some land in the following minute.
    expect(storm[0]?.details.perMinute).toBeGreaterThan(500);
    const project = transitions.filter((t) => t.key === 'spike:project:42');
    expect(project.map((t) => t.status)).toEqual(['firing', 'resolved']);
  });

  it('places reported drops after the latest kept event, even when an earlier one arrives late', () => {
    const rule = createSpikeRule({ baselineMinutes: 1, increasePercent: 0, minPerMinute: 10 });
    const kept = (minute: number, weight: number): ErrorObservation => ({
      kind: 'error',
      project: '42',
      fingerprint: 'f00d',
      title: 'TypeError: late',
      level: 'error',
      release: undefined,
      weight,
      at: T0 + minute * MIN,
    });
    // Kept at minute 5, then the one kept at minute 3 arrives (from a spool, say), then one at
    // minute 7 reports the 20 dropped since the last kept: minutes 5 and 6, 10 each.
    rule.record(kept(5, 1));
    rule.record(kept(3, 1));
    rule.record(kept(7, 21));
    const firing = [3, 4, 5, 6, 7].flatMap((m) => rule.close(Math.floor(T0 / MIN) + m));
    // Spread from minute 3 instead, minute 5 would hold 1 + 5 and nothing would fire.
    expect(firing.filter((t) => t.status === 'firing').map((t) => [t.key, t.details.perMinute])).toEqual([
      ['spike:project:42', 11],
      ['spike:issue:42:f00d', 11],
    ]);
  });

  it('stays quiet on a steady stream and on growth under the threshold', () => {
    const events = [
      ...stream('steady', 0, 10, 30),
      ...stream('growing', 0, 5, 10),
      ...stream('growing', 5, 5, 25),
    ];
    expect(run(thinned(events), 10).filter((t) => t.rule === 'spike')).toEqual([]);
  });
});

describe('regression', () => {
  const release = (name: string, values: string[], minute: number, level: ErrorEvent['level'] = 'error') =>
    values.map((value, i) => error(value, T0 + minute * MIN + i * 1000, { release: name, level }));

  it('fires once for a release with more than 5 new high-severity issues', () => {
    const events = [
      ...release('shop@1.0.0', ['a', 'b', 'c'], 0),
      // Words without digits: the fingerprint turns digits into '#'.
      ...release('shop@1.1.0', ['a', 'nA', 'nB', 'nC', 'nD', 'nE', 'nF', 'nG'], 2),
      ...release('shop@1.1.0', ['nA', 'nB'], 3),
    ];
    const fired = run(events, 5).filter((t) => t.rule === 'regression');
    expect(fired).toHaveLength(1);
    expect(fired[0]).toMatchObject({ key: 'regression:42:shop@1.1.0', status: 'firing' });
    expect(fired[0]?.details.newIssues).toHaveLength(6);
  });

  it('stays quiet for 5 new issues, for warnings, and for the first release seen', () => {
    const events = [
      ...release('shop@1.0.0', ['a', 'b', 'c', 'd', 'e', 'f', 'g'], 0),
      ...release('shop@1.1.0', ['nA', 'nB', 'nC', 'nD', 'nE'], 2),
      ...release('shop@1.2.0', ['wA', 'wB', 'wC', 'wD', 'wE', 'wF', 'wG'], 3, 'warning'),
    ];
    expect(run(events, 5).filter((t) => t.rule === 'regression')).toEqual([]);
  });
});

describe('degradation', () => {
  const evaluator = () => createAlertEvaluator({ graceMs: 0, spike: false, regression: false });
  const spans = (durations: [number, number][]) => {
    const items = durations.map(([start, end]) => ({
      trace_id: 'c'.repeat(32),
      span_id: 'd'.repeat(16),
      name: 'GET /checkout',
      is_segment: true,
      start_timestamp: start,
      end_timestamp: end,
    }));
    const header = JSON.stringify({ dsn: DSN });
    const item = JSON.stringify({ items });
    return observe(
      Buffer.from(`${header}\n${JSON.stringify({ type: 'span', item_count: items.length })}\n${item}\n`),
    );
  };
  /** Ten segment spans in minute `m`, each `ms` long. */
  const minute = (m: number, ms: number) =>
    spans(
      Array.from({ length: 10 }, (_, i) => [
        (T0 + m * MIN + i * 1000) / 1000,
        (T0 + m * MIN + i * 1000 + ms) / 1000,
      ]) as never,
    );

  function drive(durations: number[]): AlertTransition[] {
    const rules = evaluator();
    const transitions: AlertTransition[] = [];
    durations.forEach((ms, m) => {
      rules.observe(minute(m, ms) ?? []);
      transitions.push(...rules.tick(T0 + (m + 1) * MIN + 1));
    });
    return transitions;
  }

  it('fires after three consecutive minutes over 2x the baseline, and resolves on the first healthy one', () => {
    const transitions = drive([100, 110, 95, 105, 100, 100, 300, 320, 310, 100]);
    expect(transitions.map((t) => [t.status, t.at])).toEqual([
      ['firing', T0 + 9 * MIN],
      ['resolved', T0 + 10 * MIN],
    ]);
    expect(transitions[0]?.details).toMatchObject({ name: 'GET /checkout', baselineMs: 100, minutes: 3 });
  });

  it('stays quiet for two slow minutes, and for 1.5x', () => {
    expect(drive([100, 100, 100, 100, 100, 100, 300, 300, 100, 150, 150, 150, 150])).toEqual([]);
  });
});

describe('episode book', () => {
  it('sends each episode once when the rules replay it after a restart', () => {
    const events = [...stream('steady', 0, 12, 20), ...stream('storm', 6, 2, 1200)];
    const kept = thinned(events);
    const book = createEpisodeBook();
    const send = (transitions: AlertTransition[]) =>
      transitions.filter((t) => {
        if (!book.admit(t)) return false;
        book.sent(t);
        return true;
      });
    // Before the restart: up to minute 7 (the storm fired, not yet resolved).
    const first = send(run(kept, 7));
    expect(first.map((t) => `${t.key.split(':')[1]} ${t.status}`)).toEqual([
      'project firing',
      'issue firing',
    ]);
    // After it: the rules are rebuilt from the topic and replay the whole story.
    const second = send(run(kept, 12));
    expect(second.map((t) => `${t.key.split(':')[1]} ${t.status}`).sort()).toEqual([
      'issue resolved',
      'project resolved',
    ]);
  });
});
