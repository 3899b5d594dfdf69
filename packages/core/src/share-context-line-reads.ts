import type { Event, Integration } from '@sentry/core';

/**
 * Makes Sentry's ContextLines integration read a source file once for a burst of events. It
 * caches the lines it read, but an event processed while a read of its file is still under way
 * opens the file again: a burst of 2,000 errors from one place opened 2,000 streams (64 KB of
 * buffer each) on one file. Here an event whose files are being read waits for those reads,
 * then finds its lines in the integration's cache. Reads of different files still run at once.
 */
export function shareContextLineReads(integration: Integration): Integration {
  const processEvent = integration.processEvent;
  if (!processEvent) return integration;
  const reading = new Map<string, Promise<void>>();

  const shared = (...[event, hint, client]: Parameters<typeof processEvent>) => {
    const files = frameFiles(event);
    const run = () => processEvent.call(integration, event, hint, client);
    const waits: Promise<void>[] = [];
    for (const file of files) {
      const pending = reading.get(file);
      if (pending) waits.push(pending);
    }
    const result = waits.length > 0 ? Promise.all(waits).then(run) : run();
    if (waits.length === 0 && files.size > 0 && result instanceof Promise) {
      // Settled either way, so a failed read never holds back the events that wait for it.
      const done = result.then(
        () => undefined,
        () => undefined,
      );
      for (const file of files) reading.set(file, done);
      void done.then(() => {
        for (const file of files) if (reading.get(file) === done) reading.delete(file);
      });
    }
    return result;
  };
  return { ...integration, processEvent: shared };
}

/** The files an event's stack frames name (the integration reads a subset of them). */
function frameFiles(event: Event): Set<string> {
  const files = new Set<string>();
  for (const exception of event.exception?.values ?? []) {
    for (const frame of exception.stacktrace?.frames ?? []) {
      if (typeof frame.filename === 'string' && typeof frame.lineno === 'number') files.add(frame.filename);
    }
  }
  return files;
}
