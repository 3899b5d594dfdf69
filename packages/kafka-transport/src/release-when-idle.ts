export interface ReleaseWhenIdleOptions {
  /** Nothing queued, in flight or spooled, and connected. */
  isIdle(): boolean;
  /** Sockets the transport's KafkaJS client has open. */
  ownSockets(): number;
  /** Lets go of the connection (the next send connects again). */
  release(): Promise<unknown>;
  /** How often to look. @default 500 ms */
  intervalMs?: number;
  /** Idle looks in a row before releasing. @default 2 */
  looks?: number;
}

/** Handles that Node lists but that do not keep a process alive (stdio). */
const IGNORED = new Set(['PipeWrap', 'TTYWrap']);

/**
 * Disconnects the transport when it is idle and its connection is all that keeps the process
 * alive, so a script that never calls `close()` still ends once its envelopes are in Kafka.
 * KafkaJS holds each connection open with a socket and two timers (a 100 ms request-timeout
 * interval and a pending-request check it re-arms for ever); Node lists what keeps the loop alive
 * (`process.getActiveResourcesInfo()`), so when that is no more than one socket (two for TLS)
 * and two timers per own socket, nothing else is running. A wrong
 * guess costs a reconnect on the next envelope, never an envelope. The check's own timer is
 * unreferenced.
 */
export function releaseWhenIdle(options: ReleaseWhenIdleOptions): { stop(): void } {
  const looks = options.looks ?? 2;
  let streak = 0;
  let releasing = false;
  const timer = setInterval(() => {
    if (releasing || !options.isIdle() || !onlyOwnConnectionsRun(options.ownSockets())) {
      streak = 0;
      return;
    }
    if (++streak < looks) return;
    streak = 0;
    releasing = true;
    void options.release().finally(() => {
      releasing = false;
    });
  }, options.intervalMs ?? 500);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

function onlyOwnConnectionsRun(own: number): boolean {
  if (own === 0) return false;
  let sockets = 0;
  let timers = 0;
  for (const resource of process.getActiveResourcesInfo()) {
    if (IGNORED.has(resource)) continue;
    if (resource === 'TCPSocketWrap' || resource === 'TLSWrap') sockets++;
    else if (resource === 'Timeout') timers++;
    else return false;
  }
  return sockets <= own * 2 && timers <= own * 2;
}
