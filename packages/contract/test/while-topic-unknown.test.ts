import { describe, expect, it } from 'vitest';
import { whileTopicUnknown } from '../src/index.js';

const brokerSays = (type: string) => Object.assign(new Error(`broker: ${type}`), { type });

describe('whileTopicUnknown', () => {
  it('tries again while a broker does not know the topic yet, then returns what succeeded', async () => {
    let calls = 0;
    const result = await whileTopicUnknown(async () => {
      calls += 1;
      if (calls < 3) throw brokerSays('UNKNOWN_TOPIC_OR_PARTITION');
      return 'subscribed';
    });
    expect(result).toBe('subscribed');
    expect(calls).toBe(3);
  });

  it('throws any other error at once', async () => {
    let calls = 0;
    const attempt = async () => {
      calls += 1;
      throw brokerSays('TOPIC_AUTHORIZATION_FAILED');
    };
    await expect(whileTopicUnknown(attempt)).rejects.toThrow('TOPIC_AUTHORIZATION_FAILED');
    expect(calls).toBe(1);
  });

  it('gives up with the broker error after its time', async () => {
    let calls = 0;
    const attempt = async () => {
      calls += 1;
      throw brokerSays('UNKNOWN_TOPIC_OR_PARTITION');
    };
    await expect(whileTopicUnknown(attempt, 200)).rejects.toThrow('UNKNOWN_TOPIC_OR_PARTITION');
    expect(calls).toBeGreaterThan(1);
  });
});
