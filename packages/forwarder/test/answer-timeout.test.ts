import { describe, expect, it } from 'vitest';
import { createAnswerTimeout } from '../src/answer-timeout.js';

describe('createAnswerTimeout', () => {
  it('waits the ceiling until it learns, then follows the round trip and its spread, within bounds', () => {
    const timeout = createAnswerTimeout({ minMs: 250, maxMs: 30_000 });
    expect(timeout.timeoutFor('http://ingest')).toBe(30_000);
    for (let i = 0; i < 50; i++) timeout.observe('http://ingest', 50 + (i % 2) * 4);
    // A steady 50 ms ingest: four times (srtt + 4 rttvar) is under the floor.
    expect(timeout.timeoutFor('http://ingest')).toBe(250);
    for (let i = 0; i < 50; i++) timeout.observe('http://slow', i % 2 === 0 ? 200 : 800);
    // A spread-out 200-800 ms ingest gets seconds, not the floor.
    const slow = timeout.timeoutFor('http://slow');
    expect(slow).toBeGreaterThan(4000);
    expect(slow).toBeLessThan(30_000);
    for (let i = 0; i < 50; i++) timeout.observe('http://very-slow', 20_000);
    expect(timeout.timeoutFor('http://very-slow')).toBe(30_000);
  });
});
