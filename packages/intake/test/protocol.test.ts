import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { silentLogger } from '@faultline/contract';
import { afterEach, describe, expect, it } from 'vitest';
import { createIntake, type Intake, type IntakeOptions } from '../src/index.js';

// The protocol side of the intake, with Kafka away (a closed port): every envelope it accepts
// goes to its spool, which is what these tests need. Kafka itself is in the integration tests.
const KEY = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
const UPSTREAM = `https://${KEY}@o1.ingest.example.com/42`;
const AUTH = { 'x-sentry-auth': `Sentry sentry_key=${KEY}, sentry_version=7, sentry_client=test/1.0` };
const EVENT_ID = '9ec79c33ec9942ab8353589fcb2e04dc';

const running: Intake[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const intake of running.splice(0)) await intake.stop();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function intake(options: Partial<IntakeOptions> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'intake-spool-'));
  dirs.push(dir);
  const started = createIntake({
    brokers: ['127.0.0.1:1'],
    dsns: [UPSTREAM],
    port: 0,
    host: '127.0.0.1',
    kafkaTimeoutMs: 200,
    logger: silentLogger,
    ...options,
    spool: { dir, ...options.spool },
  });
  running.push(started);
  await started.start();
  const base = `http://127.0.0.1:${started.port}`;
  const post = (path: string, body: string | Buffer, headers: Record<string, string> = AUTH) =>
    fetch(base + path, { method: 'POST', headers, body });
  return { intake: started, base, post };
}

function envelope(items: Array<[Record<string, unknown>, string]>, header: object = { event_id: EVENT_ID }) {
  return `${JSON.stringify(header)}\n${items.map(([h, p]) => `${JSON.stringify(h)}\n${p}`).join('\n')}\n`;
}
const event = (fields: object = {}) => JSON.stringify({ event_id: EVENT_ID, message: 'boom', ...fields });

describe('authentication', () => {
  it('takes the key from X-Sentry-Auth, ?sentry_key= or the envelope DSN, and refuses the rest', async () => {
    const { post } = await intake();
    const body = envelope([[{ type: 'event' }, event()]]);
    const ok = await post('/api/42/envelope/', body);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ id: EVENT_ID });
    expect((await post(`/api/42/envelope/?sentry_key=${KEY}&sentry_version=7`, body, {})).status).toBe(200);
    const withDsn = envelope([[{ type: 'event' }, event()]], { dsn: `http://${KEY}@intake:3000/42` });
    expect((await post('/api/42/envelope/', withDsn, {})).status).toBe(200);

    const none = await post('/api/42/envelope/', body, {});
    expect(none.status).toBe(401);
    expect(await none.json()).toEqual({ detail: 'missing authorization information' });
    const unknown = await post('/api/42/envelope/', body, { 'x-sentry-auth': 'Sentry sentry_key=deadbeef' });
    expect(unknown.status).toBe(403);
    const otherProject = await post('/api/43/envelope/', body);
    expect(otherProject.status).toBe(403);
    expect(await otherProject.json()).toEqual({ detail: 'the public key does not belong to this project' });
  });

  it('refuses a configuration that names no DSN, or something that is not one', () => {
    expect(() => createIntake({ brokers: ['b:9092'], dsns: [] })).toThrow(/options\.dsns/);
    expect(() => createIntake({ brokers: ['b:9092'], dsns: ['not a dsn'] })).toThrow(
      /entry 1 .* is not a DSN/,
    );
  });
});

describe('bodies', () => {
  it('decodes gzip, deflate (zlib or raw) and br', async () => {
    const { post } = await intake();
    const body = Buffer.from(envelope([[{ type: 'event' }, event()]]));
    for (const [encoding, bytes] of [
      ['gzip', gzipSync(body)],
      ['deflate', deflateSync(body)],
      ['br', brotliCompressSync(body)],
    ] as const) {
      const res = await post('/api/42/envelope/', bytes, { ...AUTH, 'content-encoding': encoding });
      expect(res.status, encoding).toBe(200);
      expect(await res.json()).toEqual({ id: EVENT_ID });
    }
  });

  it('stops a decompression bomb at the bound: 413, and the intake keeps serving', async () => {
    const { post, intake: running } = await intake({ maxEnvelopeBytes: 100_000 });
    // 50 MB of zeros gzip to about 50 KB: under the body bound, far over the envelope bound.
    const bomb = gzipSync(Buffer.alloc(50 * 1024 * 1024));
    const res = await post('/api/42/envelope/', bomb, { ...AUTH, 'content-encoding': 'gzip' });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { detail: string }).detail).toMatch(
      /decompresses to more than 100000 bytes/,
    );
    const tooBig = await post('/api/42/envelope/', Buffer.alloc(2 * 1024 * 1024, 'a'));
    expect(tooBig.status).toBe(413);
    expect((await post('/api/42/envelope/', 'x', { ...AUTH, 'content-encoding': 'zstd' })).status).toBe(415);
    expect((await post('/api/42/envelope/', envelope([[{ type: 'event' }, event()]]))).status).toBe(200);
    expect(running.figures.envelopes).toMatchObject({ too_large: 2, spool: 1 });
  });

  it('wraps a legacy store request into an envelope and answers its id', async () => {
    const { post } = await intake();
    const res = await post('/api/42/store/', event({ event_id: '9EC79C33-EC99-42AB-8353-589FCB2E04DC' }));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ id: EVENT_ID });
    expect((await post('/api/42/store/', '[1,2]')).status).toBe(400);
  });
});

describe('items, as Relay checks them', () => {
  it('leaves out a malformed or oversized item, not the envelope, and counts it', async () => {
    const { post, intake: running } = await intake({ sizeLimits: { attachment: 100 } });
    const body = envelope([
      [{ type: 'event' }, event()],
      [{ type: 'attachment', length: 200, filename: 'big.txt' }, 'a'.repeat(200)],
      [{ type: 'session' }, '{not json'],
      [{ type: 'attachment', length: 5, filename: 'ok.txt' }, 'hello'],
    ]);
    const res = await post('/api/42/envelope/', body);
    expect(res.status).toBe(200);
    expect(running.figures.items).toEqual({
      'accepted:error': 1,
      'accepted:attachment': 1,
      'too_large:attachment': 1,
      'invalid:session': 1,
    });
  });

  it('refuses an envelope header with an event id that is not one; drops an event item with one', async () => {
    const { post, intake: running } = await intake();
    const bad = await post(
      '/api/42/envelope/',
      envelope([[{ type: 'event' }, event()]], { event_id: 'nope' }),
    );
    expect(bad.status).toBe(400);
    const res = await post('/api/42/envelope/', envelope([[{ type: 'event' }, event({ event_id: 12 })]], {}));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({});
    expect(running.figures.envelopes).toMatchObject({ invalid: 1, empty: 1 });
  });
});

describe('quotas', () => {
  it('answers 429 with Retry-After and X-Sentry-Rate-Limits past the quota, per category', async () => {
    await awayFromMinuteEdge();
    const { post, intake: running } = await intake({ rateLimits: { error: 2 }, outcomeIntervalMs: 100_000 });
    const body = envelope([[{ type: 'event' }, event()]]);
    expect((await post('/api/42/envelope/', body)).status).toBe(200);
    expect((await post('/api/42/envelope/', body)).status).toBe(200);
    const limited = await post('/api/42/envelope/', body);
    expect(limited.status).toBe(429);
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(limited.headers.get('x-sentry-rate-limits')).toBe(`${retryAfter}:error:project:project_quota`);
    expect(await limited.json()).toEqual({ detail: 'event rejected due to rate limit' });
    // Another category has no quota: it passes, and the answer still tells of the error limit.
    const mixed = envelope([
      [{ type: 'event' }, event()],
      [
        { type: 'check_in' },
        JSON.stringify({ check_in_id: 'a'.repeat(32), monitor_slug: 'job', status: 'ok' }),
      ],
    ]);
    const partial = await post('/api/42/envelope/', mixed);
    expect(partial.status).toBe(200);
    expect(partial.headers.get('x-sentry-rate-limits')).toMatch(/^\d+:error:project:project_quota$/);
    // An event over its quota takes its attachment with it, as Relay does.
    const withAttachment = envelope([
      [{ type: 'event' }, event()],
      [{ type: 'attachment', length: 5, filename: 'a.txt' }, 'hello'],
    ]);
    expect((await post('/api/42/envelope/', withAttachment)).status).toBe(429);
    expect(running.figures.items).toMatchObject({
      'rate_limited:attachment': 1,
      'accepted:error': 2,
      'rate_limited:error': 3,
      'accepted:monitor': 1,
    });
  });
});

describe('browsers', () => {
  it('answers the CORS preflight for allowed origins only, and exposes the rate-limit headers', async () => {
    const { base, post } = await intake({ corsOrigins: ['https://app.example.com'] });
    const preflight = (origin: string) =>
      fetch(`${base}/api/42/envelope/`, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type',
        },
      });
    const allowed = await preflight('https://app.example.com');
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect(allowed.headers.get('access-control-allow-methods')).toContain('POST');
    expect(allowed.headers.get('access-control-allow-headers')).toContain('content-type');
    expect((await preflight('https://evil.example.net')).status).toBe(403);

    const body = envelope([[{ type: 'event' }, event()]]);
    const sent = await post(`/api/42/envelope/?sentry_key=${KEY}&sentry_version=7`, body, {
      origin: 'https://app.example.com',
      'content-type': 'text/plain;charset=UTF-8',
    });
    expect(sent.status).toBe(200);
    expect(sent.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect(sent.headers.get('access-control-expose-headers')).toContain('x-sentry-rate-limits');
    const foreign = await post(`/api/42/envelope/?sentry_key=${KEY}`, body, {
      origin: 'https://evil.example.net',
    });
    expect(foreign.status).toBe(403);
  });
});

describe('durability', () => {
  it('answers 503 with Retry-After once the spool is full, and /readyz turns 503', async () => {
    const { post, base } = await intake({ spool: { maxBytes: 64 * 1024 }, maxBreadcrumbs: 1000 });
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    const big = envelope([[{ type: 'event' }, event({ extra: { blob: 'x'.repeat(20_000) } })]]);
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) {
      statuses.push((await post('/api/42/envelope/', big)).status);
    }
    expect(statuses.slice(0, 3)).toEqual([200, 200, 200]);
    expect(statuses.at(-1)).toBe(503);
    const refused = await post('/api/42/envelope/', big);
    expect(refused.headers.get('retry-after')).toBe('60');
    expect(await refused.json()).toEqual({ detail: 'the intake cannot store envelopes now' });
    expect((await fetch(`${base}/readyz`)).status).toBe(503);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });

  it('answers 503 with Retry-After: 1 while requests hold maxInFlightBytes, before reading the body', async () => {
    const { intake: running, post } = await intake({ maxInFlightBytes: 1000 });
    const body = envelope([[{ type: 'event' }, event({ extra: { blob: 'x'.repeat(3000) } })]]);
    // A slow upload holds what it has sent so far.
    const slow = request({
      host: '127.0.0.1',
      port: running.port,
      method: 'POST',
      path: `/api/42/envelope/?sentry_key=${KEY}`,
      headers: { 'content-length': Buffer.byteLength(body) },
    });
    const slowAnswer = new Promise<number>((resolve) =>
      slow.on('response', (res) => resolve(res.statusCode ?? 0)),
    );
    slow.write(body.slice(0, 2000));
    await new Promise((resolve) => setTimeout(resolve, 200));
    const busy = await post('/api/42/envelope/', envelope([[{ type: 'event' }, event()]]));
    expect(busy.status).toBe(503);
    expect(busy.headers.get('retry-after')).toBe('1');
    expect(await busy.json()).toEqual({ detail: 'the intake is busy' });
    slow.end(body.slice(2000));
    expect(await slowAnswer).toBe(200);
    // Released: the next one is taken.
    expect((await post('/api/42/envelope/', envelope([[{ type: 'event' }, event()]]))).status).toBe(200);
  });

  it('exports its figures on /metrics', async () => {
    const { post, base } = await intake();
    await post('/api/42/envelope/', envelope([[{ type: 'event' }, event()]]));
    await post('/api/42/envelope/', 'garbage');
    const text = await (await fetch(`${base}/metrics`)).text();
    expect(text).toContain('faultline_intake_requests_total{status="200"} 1');
    expect(text).toContain('faultline_intake_requests_total{status="400"} 1');
    expect(text).toContain('faultline_intake_envelopes_total{outcome="spool"} 1');
    expect(text).toContain('faultline_intake_items_total{outcome="accepted",category="error"} 1');
    expect(text).toMatch(/faultline_intake_request_duration_seconds_count 2/);
    expect(text).toContain('faultline_intake_kafka_up 0');
  });
});

/** Quotas are minutes aligned to the clock: keep a test from straddling one's end. */
async function awayFromMinuteEdge(): Promise<void> {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < 10_000) await new Promise((resolve) => setTimeout(resolve, left + 100));
}
