import fc from 'fast-check';

/**
 * Bytes for the envelope topic as anyone could write them, for property tests: well-formed
 * envelopes with random headers, items and payloads; the same, mutated (bytes flipped, cut short,
 * junk inserted, a range repeated); headers nested deep; and plain random bytes. Shrinks to small
 * cases when a property fails.
 */
export function envelopeBytesArbitrary(dsn: string): fc.Arbitrary<Buffer> {
  const itemType = fc.constantFrom(
    'event',
    'transaction',
    'span',
    'log',
    'attachment',
    'check_in',
    'client_report',
    'session',
    'profile',
    'replay_video',
    'unknown_type',
  );
  const payload = fc.oneof(
    fc.jsonValue({ maxDepth: 6 }).map((v) => JSON.stringify(v) ?? 'null'),
    fc
      .record({
        exception: fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.constant({ values: {} })),
        timestamp: fc.oneof(fc.double(), fc.constant(0), fc.constant(1e12), fc.string()),
        contexts: fc.record({
          sampling: fc.record({
            dropped_since_last_kept: fc.oneof(fc.double(), fc.string(), fc.constant(1e15)),
          }),
        }),
        breadcrumbs: fc.oneof(
          fc.jsonValue({ maxDepth: 2 }),
          fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 20 }),
        ),
        items: fc.oneof(
          fc.jsonValue({ maxDepth: 2 }),
          fc.array(fc.jsonValue({ maxDepth: 3 }), { maxLength: 5 }),
        ),
      })
      .map((v) => JSON.stringify(v)),
    fc.string({ maxLength: 200 }),
    fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b).toString('latin1')),
  );
  const item = fc.record({
    type: itemType,
    payload,
    declareLength: fc.boolean(),
    extra: fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
  });
  const header = fc.record({
    dsn: fc.oneof(fc.constant(dsn), fc.constant(dsn), fc.string({ maxLength: 40 }), fc.integer()),
    event_id: fc.oneof(fc.stringMatching(/^[0-9a-f]{32}$/), fc.jsonValue({ maxDepth: 1 })),
    extra: fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 3 }),
  });
  const wellFormed = fc.tuple(header, fc.array(item, { maxLength: 6 })).map(([h, items]) => {
    const parts: Buffer[] = [
      Buffer.from(`${JSON.stringify({ ...h.extra, dsn: h.dsn, event_id: h.event_id })}\n`),
    ];
    for (const it of items) {
      const bytes = Buffer.from(it.payload, 'latin1');
      const itemHeader = {
        ...it.extra,
        type: it.type,
        ...(it.declareLength ? { length: bytes.length } : {}),
      };
      // Without a declared length, a payload ends at its first newline: write it on one line.
      const body = it.declareLength
        ? bytes
        : Buffer.from(bytes.toString('latin1').replace(/\n/g, ' '), 'latin1');
      parts.push(Buffer.from(`${JSON.stringify(itemHeader)}\n`), body, Buffer.from('\n'));
    }
    return Buffer.concat(parts);
  });
  const mutated = fc
    .tuple(wellFormed, fc.array(byteMutationArbitrary(), { minLength: 1, maxLength: 4 }))
    .map(([bytes, mutations]) => mutations.reduce(mutateBytes, bytes));
  const deep = fc
    .integer({ min: 1, max: 20_000 })
    .map((depth) =>
      Buffer.from(
        `{"dsn":${JSON.stringify(dsn)},"x":${'['.repeat(depth)}${']'.repeat(depth)}}\n{"type":"event","length":2}\n{}\n`,
      ),
    );
  const deepPayload = fc.integer({ min: 1, max: 20_000 }).map((depth) => {
    const body = `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
    return Buffer.from(`{"dsn":${JSON.stringify(dsn)}}\n{"type":"event","length":${body.length}}\n${body}\n`);
  });
  const random = fc.uint8Array({ maxLength: 2000 }).map((b) => Buffer.from(b));
  return fc.oneof(
    { arbitrary: wellFormed, weight: 3 },
    { arbitrary: mutated, weight: 4 },
    { arbitrary: deep, weight: 1 },
    { arbitrary: deepPayload, weight: 1 },
    { arbitrary: random, weight: 1 },
  );
}

/** One way bytes get damaged: a byte changed, the rest cut off, junk inserted, a range repeated. */
export type ByteMutation =
  | { kind: 'flip'; at: number; byte: number }
  | { kind: 'cut'; at: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'repeat'; at: number; length: number; times: number };

/** Damage as a disk, a crash or a hostile writer could do it; `at` is taken modulo the length. */
export function byteMutationArbitrary(): fc.Arbitrary<ByteMutation> {
  return fc.oneof(
    fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
    fc.record({
      kind: fc.constant('insert' as const),
      at: fc.nat(),
      bytes: fc.uint8Array({ minLength: 1, maxLength: 64 }),
    }),
    fc.record({
      kind: fc.constant('repeat' as const),
      at: fc.nat(),
      length: fc.nat(200),
      times: fc.integer({ min: 1, max: 20 }),
    }),
  );
}

/** `bytes` with `m` applied (a copy; a flip always changes its byte). */
export function mutateBytes(bytes: Buffer, m: ByteMutation): Buffer {
  const at = bytes.length === 0 ? 0 : m.at % bytes.length;
  switch (m.kind) {
    case 'flip': {
      const out = Buffer.from(bytes);
      if (out.length > 0) out[at] = (out[at] as number) ^ (m.byte || 1);
      return out;
    }
    case 'cut':
      return bytes.subarray(0, at);
    case 'insert':
      return Buffer.concat([bytes.subarray(0, at), Buffer.from(m.bytes), bytes.subarray(at)]);
    case 'repeat': {
      const range = bytes.subarray(at, at + m.length);
      return Buffer.concat([
        bytes.subarray(0, at),
        ...Array<Buffer>(m.times).fill(range),
        bytes.subarray(at),
      ]);
    }
  }
}

export { fc };
