import { fixKafkaJsOrphanConnections } from '@faultline/contract';
// @ts-expect-error KafkaJS ships no declaration for its internal modules
import BrokerPool from 'kafkajs/src/cluster/brokerPool.js';
import { describe, expect, it } from 'vitest';

// What it mends is shown against a real broker in kafkajs-orphan-connections.int.test.ts.
describe('fixKafkaJsOrphanConnections', () => {
  it("applies to KafkaJS's broker pool, once", () => {
    expect(fixKafkaJsOrphanConnections(BrokerPool)).toBe(true);
    const { connect, disconnect } = BrokerPool.prototype;
    expect(fixKafkaJsOrphanConnections(BrokerPool)).toBe(true);
    expect(BrokerPool.prototype.connect).toBe(connect); // not wrapped twice
    expect(BrokerPool.prototype.disconnect).toBe(disconnect);
  });

  it('leaves anything but the methods it knows alone', () => {
    class Other {
      connect() {
        return 'untouched';
      }
      disconnect() {
        return 'untouched';
      }
    }
    expect(fixKafkaJsOrphanConnections(Other)).toBe(false);
    expect(new Other().connect()).toBe('untouched');
    expect(fixKafkaJsOrphanConnections(undefined)).toBe(false);
  });
});
