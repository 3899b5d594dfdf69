import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { AlertTransition } from '../src/index.js';
import {
  createOpsgenieChannel,
  createPagerDutyChannel,
  createSlackChannel,
  createWebhookChannel,
} from '../src/index.js';

// A local receiver stands in for Slack, PagerDuty and Opsgenie, which cannot be reached from
// here: it records each request and answers as told (503 first, to see the retries).
interface Received {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: unknown;
}
const servers: { close(): void }[] = [];
afterEach(() => {
  for (const server of servers.splice(0)) server.close();
});

async function receiver(statuses: number[] = []) {
  const received: Received[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({
        method: request.method ?? '',
        path: request.url ?? '',
        headers: request.headers,
        body: JSON.parse(Buffer.concat(chunks).toString('utf8')),
      });
      response.writeHead(statuses.shift() ?? 202, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received };
}

const FIRING: AlertTransition = {
  rule: 'spike',
  key: 'spike:issue:42:TypeError | card declined',
  status: 'firing',
  project: '42',
  summary: 'Spike: TypeError: card declined at 900/min, 20/min over the 5 minutes before',
  details: { perMinute: 900, baseline: 20, increasePercent: 4400 },
  at: Date.UTC(2026, 11, 2, 10, 7),
};
const RESOLVED: AlertTransition = {
  ...FIRING,
  status: 'resolved',
  summary: 'Spike over',
  at: FIRING.at + 180_000,
};
const fast = { backoff: { initialMs: 10, maxMs: 20 } };

describe('channels, as each service documents its API', () => {
  it('PagerDuty Events API v2: trigger with a dedup key, then resolve with the same key', async () => {
    const pagerduty = await receiver();
    const channel = createPagerDutyChannel('R0UTINGKEY123', `${pagerduty.url}/v2/enqueue`, fast);
    await channel.send(FIRING);
    await channel.send(RESOLVED);
    expect(pagerduty.received.map((r) => [r.method, r.path, r.headers['content-type']])).toEqual([
      ['POST', '/v2/enqueue', 'application/json'],
      ['POST', '/v2/enqueue', 'application/json'],
    ]);
    expect(pagerduty.received[0]?.body).toEqual({
      routing_key: 'R0UTINGKEY123',
      event_action: 'trigger',
      dedup_key: FIRING.key,
      payload: {
        summary: FIRING.summary,
        source: 'faultline-alerts',
        severity: 'critical',
        timestamp: '2026-12-02T10:07:00.000Z',
        component: 'project 42',
        group: 'spike',
        class: 'spike',
        custom_details: FIRING.details,
      },
    });
    expect(pagerduty.received[1]?.body).toEqual({
      routing_key: 'R0UTINGKEY123',
      event_action: 'resolve',
      dedup_key: FIRING.key,
    });
  });

  it('Opsgenie Alert API: create with an alias and a GenieKey, close by alias', async () => {
    const opsgenie = await receiver();
    const channel = createOpsgenieChannel('genie-key-abcd', opsgenie.url, fast);
    await channel.send({ ...FIRING, rule: 'degradation', key: 'degradation:42:GET /checkout' });
    await channel.send({ ...RESOLVED, rule: 'degradation', key: 'degradation:42:GET /checkout' });
    const [create, close] = opsgenie.received;
    expect(create?.path).toBe('/v2/alerts');
    expect(create?.headers.authorization).toBe('GenieKey genie-key-abcd');
    expect(create?.body).toMatchObject({
      message: FIRING.summary,
      alias: 'degradation:42:GET /checkout',
      priority: 'P2',
      source: 'faultline-alerts',
      tags: ['faultline', 'degradation', 'project:42'],
      details: { perMinute: '900', baseline: '20', increasePercent: '4400' },
    });
    expect(close?.path).toBe('/v2/alerts/degradation%3A42%3AGET%20%2Fcheckout/close?identifierType=alias');
    expect(close?.headers.authorization).toBe('GenieKey genie-key-abcd');
    expect(close?.body).toEqual({ source: 'faultline-alerts', note: 'Spike over' });
  });

  it('Slack incoming webhook: a text and blocks', async () => {
    const slack = await receiver([200]);
    await createSlackChannel(`${slack.url}/services/T000/B000/XXXX`, fast).send(FIRING);
    expect(slack.received[0]?.path).toBe('/services/T000/B000/XXXX');
    expect(slack.received[0]?.body).toMatchObject({
      text: `:rotating_light: ${FIRING.summary}`,
      blocks: [
        { type: 'section', text: { type: 'mrkdwn', text: `*Issue spike*\n${FIRING.summary}` } },
        { type: 'context' },
      ],
    });
  });

  it('a generic webhook: the transition, versioned', async () => {
    const hook = await receiver([200]);
    await createWebhookChannel(`${hook.url}/alerts`, fast).send(RESOLVED);
    expect(hook.received[0]?.body).toEqual({
      version: 1,
      rule: 'spike',
      key: FIRING.key,
      status: 'resolved',
      project: '42',
      summary: 'Spike over',
      details: FIRING.details,
      at: '2026-12-02T10:10:00.000Z',
    });
  });

  it('retries on 5xx and 429, gives up on other 4xx, and never names the URL or key in its error', async () => {
    const flaky = await receiver([503, 429, 202]);
    await createPagerDutyChannel('KEY', `${flaky.url}/v2/enqueue`, fast).send(FIRING);
    expect(flaky.received).toHaveLength(3);

    const refusing = await receiver([400, 202]);
    const failure = await createWebhookChannel(`${refusing.url}/secret-token-path`, fast)
      .send(FIRING)
      .catch((error: Error) => error);
    expect(refusing.received).toHaveLength(1);
    expect((failure as Error).message).toBe('answered 400');
  });

  it('stops at its signal: no attempt after it, and the error says the service is stopping', async () => {
    const failing = await receiver([503, 503, 503, 503, 503]);
    const stopping = new AbortController();
    const sending = createWebhookChannel(`${failing.url}/hook`, {
      attempts: 5,
      // Long enough that the abort comes in the first backoff.
      backoff: { initialMs: 2000, maxMs: 2000 },
      signal: stopping.signal,
    })
      .send(FIRING)
      .catch((error: Error) => error);
    while (failing.received.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    stopping.abort();
    expect(((await sending) as Error).message).toBe('cut short: the service is stopping');
    expect(failing.received).toHaveLength(1);
  });

  it('masks keys in what a dry run prints', () => {
    const request = createOpsgenieChannel('genie-key-abcd').request(FIRING);
    expect(JSON.stringify(request)).not.toContain('genie-key-abcd');
    expect(request.headers.authorization).toBe('GenieKey ****abcd');
    expect(
      JSON.stringify(createSlackChannel('https://hooks.example/T/B/secret').request(FIRING)),
    ).not.toContain('secret');
  });
});
