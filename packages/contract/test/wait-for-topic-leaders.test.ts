import { describe, expect, it } from 'vitest';
import { FaultlineError, type TopicMetadataSource, waitForTopicLeaders } from '../src/index.js';

// A metadata source answering from a script, one answer per call: the broker states that matter
// here (unknown, known without a leader, led) are metadata answers, not faults a broker injects.
function scripted(answers: ('unknown' | 'leaderless' | 'led')[]): TopicMetadataSource & { calls: number } {
  const source = {
    calls: 0,
    async fetchTopicMetadata({ topics }: { topics: string[] }) {
      const answer = answers[Math.min(source.calls++, answers.length - 1)];
      if (answer === 'unknown') {
        throw Object.assign(new Error('This server does not host this topic-partition'), {
          type: 'UNKNOWN_TOPIC_OR_PARTITION',
        });
      }
      const leader = answer === 'led' ? 1 : -1;
      return { topics: topics.map((name) => ({ name, partitions: [{ leader }] })) };
    },
  };
  return source;
}

describe('waitForTopicLeaders', () => {
  it('waits while the topic is unknown, then while it has no leader, and returns once led', async () => {
    const source = scripted(['unknown', 'leaderless', 'led']);
    await waitForTopicLeaders(source, ['orders']);
    expect(source.calls).toBe(3);
  });

  it('gives up with a FaultlineError naming the last answer', async () => {
    const error = await waitForTopicLeaders(scripted(['leaderless']), ['orders'], 200).catch((e) => e);
    expect(error).toBeInstanceOf(FaultlineError);
    expect(error.code).toBe('FAULTLINE_KAFKA_TOPICS');
    expect(error.message).toBe('topics orders have no leader after 200 ms (no leader yet)');
    const unknown = await waitForTopicLeaders(scripted(['unknown']), ['orders'], 200).catch((e) => e);
    expect(unknown.message).toBe('topics orders have no leader after 200 ms (UNKNOWN_TOPIC_OR_PARTITION)');
  });
});
