/**
 * Messages written to break whatever reads the envelope topic: the crafted six of issue 22 (kept
 * as regression cases) and what each reader must make of them. Anyone with producer rights can
 * write these; the forwarder must finish each (delivered or dead-lettered, its offset committed)
 * and the alerts must count and skip each, neither stalling nor throwing.
 */
export interface HostileMessage {
  name: string;
  value: Buffer;
  /** Produce it gzip-compressed (a value the topic takes only compressed). */
  gzip?: boolean;
  /** What the forwarder does with it: dead-letters it with this reason, or delivers it. */
  forwarder: 'malformed' | 'too_large' | 'delivered';
  /** What the alerts make of it: unreadable (counted, skipped), or an observation left out. */
  alerts: 'unreadable' | 'nothing' | 'late' | 'future';
}

const DEPTH = 100_000;

/** An event id made from `n`, as the SDK writes them (32 hex digits). */
function eventId(n: number): string {
  return `badbad${n.toString(16).padStart(26, '0')}`;
}

/** Deterministic bytes that are no envelope (xorshift, seeded): junk, the same every run. */
function junk(size: number, seed = 0x2545f491): Buffer {
  const bytes = Buffer.alloc(size);
  let x = seed;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bytes[i] = x & 0xff;
  }
  bytes[0] = 0xff; // never a JSON header
  return bytes;
}

function envelope(
  header: string,
  items: [header: Record<string, unknown>, payload: string | Buffer][],
): Buffer {
  const parts: Buffer[] = [Buffer.from(`${header}\n`)];
  for (const [itemHeader, payload] of items) {
    const bytes = typeof payload === 'string' ? Buffer.from(payload) : payload;
    parts.push(
      Buffer.from(`${JSON.stringify({ ...itemHeader, length: bytes.length })}\n`),
      bytes,
      Buffer.from('\n'),
    );
  }
  return Buffer.concat(parts);
}

function event(dsn: string, n: number, fields: Record<string, unknown>): Buffer {
  const id = eventId(n);
  return envelope(JSON.stringify({ dsn, event_id: id }), [
    [{ type: 'event' }, JSON.stringify({ event_id: id, level: 'error', platform: 'node', ...fields })],
  ]);
}

/** The six crafted messages of issue 22, for the DSN the readers accept. */
export function hostileMessages(dsn: string): HostileMessage[] {
  const storm = { exception: { values: [{ type: 'TypeError', value: 'poison fingerprint' }] } };
  return [
    {
      name: 'an envelope header nested 100,000 levels deep, with an over-size item',
      value: envelope(`{"dsn":${JSON.stringify(dsn)},"x":${'['.repeat(DEPTH)}${']'.repeat(DEPTH)}}`, [
        [{ type: 'check_in' }, 'x'.repeat(200 * 1024)],
      ]),
      forwarder: 'malformed',
      alerts: 'unreadable',
    },
    { name: 'junk bytes', value: junk(4096), forwarder: 'malformed', alerts: 'unreadable' },
    {
      name: 'an event whose payload is null',
      value: envelope(JSON.stringify({ dsn, event_id: eventId(3) }), [[{ type: 'event' }, 'null']]),
      forwarder: 'delivered',
      alerts: 'nothing',
    },
    {
      name: 'a 5 MB value that gzip makes small',
      value: event(dsn, 4, { message: 'a'.repeat(5 * 1024 * 1024) }),
      gzip: true,
      forwarder: 'too_large',
      alerts: 'nothing',
    },
    {
      name: 'an event at timestamp 0',
      value: event(dsn, 5, {
        ...storm,
        timestamp: 0,
        contexts: { sampling: { dropped_since_last_kept: 1e9 } },
      }),
      forwarder: 'delivered',
      alerts: 'late',
    },
    {
      name: 'an event of the same fingerprint at timestamp 1e12',
      value: event(dsn, 6, { ...storm, timestamp: 1e12 }),
      forwarder: 'delivered',
      alerts: 'future',
    },
  ];
}

/** Incompressible bytes framed as one event: a topic that takes it can still refuse it elsewhere. */
export function incompressibleEvent(dsn: string, size: number): Buffer {
  return envelope(JSON.stringify({ dsn, event_id: eventId(7) }), [
    [{ type: 'event' }, junk(size, 0x1234567)],
  ]);
}
