import { hostileMessages } from '@faultline/testkit';
import { describe, expect, it } from 'vitest';
import {
  createAlertEvaluator,
  createRegressionRule,
  createSlackChannel,
  createSpikeRule,
  type ErrorObservation,
  MAX_DROPPED_PER_EVENT,
  observe,
} from '../src/index.js';

// What anyone who can write to the topic can put in an envelope, read as the alerts read it.
const DSN = 'http://publickey@127.0.0.1:9/42';
const MIN = 60_000;
const NOW = Date.UTC(2026, 11, 5, 12, 0, 0);

function envelope(payload: string, header: Record<string, unknown> = { dsn: DSN }): Buffer {
  return Buffer.from(`${JSON.stringify(header)}\n{"type":"event"}\n${payload}\n`);
}
function error(at: number, fields: Partial<ErrorObservation> = {}): ErrorObservation {
  return {
    kind: 'error',
    project: '42',
    fingerprint: 'f',
    title: 'TypeError: x',
    level: 'error',
    release: undefined,
    weight: 1,
    at,
    ...fields,
  };
}

describe('observe() on hostile envelopes', () => {
  it('makes each crafted message of the corpus unreadable or harmless, never throwing', () => {
    for (const message of hostileMessages(DSN)) {
      const observed = observe(message.value);
      if (message.alerts === 'unreadable')
        expect([message.name, observed]).toEqual([message.name, undefined]);
      else expect([message.name, Array.isArray(observed)]).toEqual([message.name, true]);
    }
  });

  it('keeps a timestamp finite in seconds but not in milliseconds out (found by the property test)', () => {
    // 1.8e305 s is a finite number; times 1000 it is Infinity, which no minute can hold.
    const observed = observe(envelope('{"exception":[],"timestamp":1.7976931348623157e+305}'));
    expect(observed).toHaveLength(1);
    expect(Number.isFinite(observed?.[0]?.at)).toBe(true);
  });

  it('reads payloads of the wrong shape as nothing, or as an error with safe defaults', () => {
    for (const payload of ['null', '[]', '42', '"text"', 'true'])
      expect(observe(envelope(payload))).toEqual([]);
    const odd = observe(
      envelope(
        JSON.stringify({
          exception: { values: {} },
          message: { not: 'a string' },
          level: 7,
          release: ['r'],
          contexts: { sampling: { dropped_since_last_kept: '12' } },
        }),
      ),
    );
    expect(odd).toHaveLength(1);
    expect(odd?.[0]).toMatchObject({ title: '(no message)', level: 'error', release: undefined, weight: 1 });
  });

  it('caps what one event stands for, and cleans and cuts its text', () => {
    const [observed] =
      observe(
        envelope(
          JSON.stringify({
            timestamp: NOW / 1000,
            exception: { values: [{ type: 'Error', value: `<!channel>\u0000\u202e ${'x'.repeat(500)}` }] },
            contexts: { sampling: { dropped_since_last_kept: 1e12 } },
          }),
        ),
      ) ?? [];
    expect(observed).toMatchObject({ weight: 1 + MAX_DROPPED_PER_EVENT });
    const title = (observed as ErrorObservation).title;
    expect(title.length).toBeLessThanOrEqual(200);
    expect([...title].some((c) => c.charCodeAt(0) < 0x20 || c === '\u202e')).toBe(false);
  });
});

describe('the rules on times anyone can write', () => {
  it('counts events outside [now − max age, now + 5 min] as late or future and leaves them out', () => {
    const evaluator = createAlertEvaluator({ graceMs: 0 });
    evaluator.observe([error(0), error(1e15), error(NOW - 70 * MIN), error(NOW + 6 * MIN), error(NOW)], NOW);
    expect(evaluator.stats).toEqual({ late: 2, future: 2 });
  });

  it('is not silenced by a far-future first observation: the minutes after it are still evaluated', () => {
    const evaluator = createAlertEvaluator({ graceMs: 0, regression: false, degradation: false });
    let now = NOW;
    const transitions = [];
    evaluator.observe([error(1e15)], now);
    for (let m = 0; m < 8; m++) {
      const count = m === 7 ? 200 : 10;
      evaluator.observe(
        Array.from({ length: count }, (_, i) => error(NOW + m * MIN + i)),
        now,
      );
      now = NOW + (m + 1) * MIN;
      transitions.push(...evaluator.tick(now));
    }
    expect(transitions.filter((t) => t.status === 'firing').map((t) => t.key)).toContain('spike:project:42');
  });

  it('spreads reported drops over at most two hours, whatever the gap since the last kept event', () => {
    const rule = createSpikeRule({ perIssue: false });
    rule.record(error(0));
    // Without the bound this walks ~29 million minutes; with it, 121.
    rule.record(error(NOW, { weight: 1 + MAX_DROPPED_PER_EVENT }));
    expect(rule.size).toBe(1);
    const transitions = rule.close(Math.floor(NOW / MIN));
    expect(Array.isArray(transitions)).toBe(true);
  });

  it('bounds the regression rule by projects, releases and fingerprints, all projects together', () => {
    const rule = createRegressionRule({ maxProjects: 3, maxReleases: 5, maxFingerprints: 10 });
    for (let p = 0; p < 50; p++) {
      for (let r = 0; r < 5; r++)
        rule.record(error(NOW, { project: String(p), release: `r${r}`, fingerprint: `${p}.${r}` }));
    }
    // The first project seen has long been forgotten: its next release is a baseline again, not new.
    expect(rule.record(error(NOW, { project: '0', release: 'r9', fingerprint: 'new' }))).toEqual([]);
  });
});

describe('channels on text from events', () => {
  it("escapes Slack's mrkdwn: no <!channel>, no mention, no link from an exception message", () => {
    const slack = createSlackChannel('https://hooks.example/T/B/x');
    const request = slack.request({
      rule: 'spike',
      key: 'spike:issue:42:abc',
      status: 'firing',
      project: '42',
      summary: 'Spike: TypeError: <!channel> <@U123> <https://evil.example|click> & more',
      details: {},
      at: NOW,
    });
    const text = JSON.stringify(request.body);
    expect(text).not.toMatch(/<!channel>|<@U123>|<https:/);
    expect(text).toContain('&lt;!channel&gt;');
    expect(text).toContain('&amp; more');
  });
});
