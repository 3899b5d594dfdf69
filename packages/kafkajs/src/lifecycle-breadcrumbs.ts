import * as Sentry from '@sentry/node';
import type { Consumer } from 'kafkajs';

/**
 * Consumer lifecycle events (group join, rebalancing, stop, connect, disconnect, request timeouts,
 * crashes) become breadcrumbs on the isolation scope, so the next error shows what the consumer
 * went through. A crash KafkaJS will not restart from is captured as an error.
 */
export function recordLifecycle(consumer: Consumer, groupId: string): void {
  const { events } = consumer;
  const crumb = (message: string, level: Sentry.SeverityLevel, data?: Record<string, unknown>) =>
    Sentry.getIsolationScope().addBreadcrumb({
      category: 'kafka.consumer',
      message,
      level,
      data: { group: groupId, ...data },
    });
  consumer.on(events.GROUP_JOIN, (e) =>
    crumb('joined the group', 'info', {
      memberId: e.payload.memberId,
      isLeader: e.payload.isLeader,
      duration: e.payload.duration,
    }),
  );
  consumer.on(events.REBALANCING, (e) => crumb('rebalancing', 'warning', { memberId: e.payload.memberId }));
  consumer.on(events.STOP, () => crumb('stopped', 'info'));
  consumer.on(events.CONNECT, () => crumb('connected', 'info'));
  consumer.on(events.DISCONNECT, () => crumb('disconnected', 'info'));
  consumer.on(events.REQUEST_TIMEOUT, (e) =>
    crumb('request timed out', 'warning', { broker: e.payload.broker, api: e.payload.apiName }),
  );
  consumer.on(events.CRASH, (e) => {
    const { error, restart } = e.payload;
    crumb(`crashed${restart ? ', restarting' : ', not restarting'}`, 'error', {
      error: error.message,
      restart,
    });
    // A crash KafkaJS will not recover from stops consumption for good: that is an error, not a crumb.
    if (!restart) {
      Sentry.withScope((scope) => {
        scope.setContext('kafka', { group: groupId });
        Sentry.captureException(error, {
          mechanism: { type: 'auto.queue.faultline.kafkajs.crash', handled: false },
        });
      });
    }
  });
}
