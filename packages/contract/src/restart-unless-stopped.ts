/** KafkaJS's consumer `retry` option, as far as this concerns it (the contract does not depend on KafkaJS). */
export interface ConsumerRetry {
  retries?: number;
  initialRetryTime?: number;
  maxRetryTime?: number;
  restartOnFailure?: (error: Error) => Promise<boolean>;
}

/**
 * A consumer's `retry` with which KafkaJS restarts it after a crash only while `isStopped()` is
 * false; `retry` otherwise as given (KafkaJS's consumer default: 5 retries).
 *
 * Why: KafkaJS handles a crash by disconnecting the consumer, then setting a timer that starts
 * it again. A `disconnect()` that comes while that is under way (the broker that made it crash
 * also made its owner stop it) shares the first step and returns before the timer is set, so the
 * consumer its owner stopped starts again: it rejoins its group, takes partitions from whoever
 * replaced it and commits what it reads. KafkaJS asks `restartOnFailure` after that disconnect.
 */
export function restartUnlessStopped(
  isStopped: () => boolean,
  retry: ConsumerRetry = { retries: 5 },
): ConsumerRetry {
  const asked = retry.restartOnFailure;
  return {
    ...retry,
    restartOnFailure: async (error) => !isStopped() && (asked ? await asked(error) : true),
  };
}

/**
 * What a consumer's handler throws when it is called after its owner stopped the consumer.
 *
 * Why: `restartUnlessStopped` covers a stop that comes while KafkaJS handles a crash. A stop that
 * comes once KafkaJS's restart has begun (the timer fired, the consumer is joining its group) is
 * worse: KafkaJS 2.2.4 drops its own handle on the consumer it is starting, which then joins,
 * reads, and can no longer be disconnected. Its handler is the one place left to end it: KafkaJS
 * does not retry an error marked `retriable: false`, nor restart after one, and commits nothing
 * the handler did not resolve. The group drops the member when its session times out.
 */
export function stoppedConsumerError(): Error {
  return Object.assign(new Error('called after its owner stopped this consumer: ending it'), {
    retriable: false,
  });
}
