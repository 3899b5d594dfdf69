import { createEnvelope, type Envelope, type Event } from '@sentry/core';
import { describe, expect, it } from 'vitest';
import { createScrubber, MAX_SCANNED_STRING } from '../src/index.js';

// Strings written to make a regex backtrack, and values built to be too big or too deep: the
// scrubber must still filter what it covers, and let nothing it did not scan through. (How long
// these take is measured in scrub.bench.ts, not here: these machines are shared and noisy.)
function scrubEvent(event: Event, rules?: Parameters<typeof createScrubber>[0]): Event {
  const envelope = createEnvelope({ event_id: 'a'.repeat(32) }, [[{ type: 'event' }, event]]) as Envelope;
  const [, items] = createScrubber(rules).scrubEnvelope(envelope);
  return items[0]?.[1] as Event;
}
const KEY = '-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----';

describe('the scrubber on adversarial strings', () => {
  it('still filters a private key that follows thousands of unclosed BEGIN lines', () => {
    const noise = '-----BEGIN RSA PRIVATE KEY-----\n'.repeat(3_000);
    const { message } = scrubEvent({ message: `${noise}${KEY}` });
    expect(message).not.toContain('MIIEowIBAAKCAQEA');
    expect(message).toContain('-----BEGIN RSA PRIVATE KEY-----[Filtered]-----END RSA PRIVATE KEY-----');
  });

  it('filters e-mail addresses after a long run of dotted words, and stops at 64-character local parts', () => {
    const { message } = scrubEvent(
      { message: `${'a.'.repeat(20_000)} mail ada@example.org` },
      { rules: ['email'] },
    );
    expect(message).toMatch(/mail \[email\]$/);
  });

  it('filters a string longer than it scans whole, and says so in _meta', () => {
    const long = `password=hunter2 ${'x'.repeat(MAX_SCANNED_STRING)}`;
    const event = scrubEvent({ message: 'ok', extra: { blob: long } });
    expect(event.extra?.blob).toBe('[Filtered]');
    expect(JSON.stringify((event as { _meta?: unknown })._meta)).toContain('@scrub:too_long');
  });

  it('filters what is nested deeper than it walks, rather than sending it unscanned', () => {
    let deep: Record<string, unknown> = { password: 'hunter2' };
    for (let i = 0; i < 100; i++) deep = { next: deep };
    const event = scrubEvent({ message: 'ok', extra: { deep } });
    expect(JSON.stringify(event)).not.toContain('hunter2');
    expect(JSON.stringify((event as { _meta?: unknown })._meta)).toContain('@scrub:too_deep');
  });
});
