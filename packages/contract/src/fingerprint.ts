/**
 * The fields of a Sentry event a fingerprint reads (structural, so the contract needs no SDK):
 * an `Event` of `@sentry/core` is one, and so is an event parsed from an envelope.
 */
export interface FingerprintedEvent {
  fingerprint?: unknown[];
  level?: string;
  message?: string;
  logentry?: { message?: string };
  exception?: {
    values?: {
      type?: string;
      value?: string;
      stacktrace?: {
        frames?: { in_app?: boolean; module?: string; filename?: string; function?: string }[];
      };
    }[];
  };
}

const MAX_MESSAGE = 200;

/**
 * Visits a message as Faultline normalizes it: words (runs of letters, digits and `_`) that
 * contain a digit, or are 8+ hex characters, stand for `#`, so "user 4123 not found in shard
 * 0x1f" and "user 77 not found in shard 0xab" read the same. Only the first 200 characters
 * count. Calls `emit` with char codes; allocates nothing.
 */
function visitNormalized(message: string, emit: (code: number) => void): void {
  const end = Math.min(message.length, MAX_MESSAGE);
  let i = 0;
  while (i < end) {
    const code = message.charCodeAt(i);
    if (!isWordChar(code)) {
      emit(code);
      i++;
      continue;
    }
    let j = wordEnd(message, i, end);
    if (isVolatile(message, i, j)) {
      emit(35 /* # */);
      // Volatile words joined by '-' are one id (a UUID): one '#'.
      while (j < end - 1 && message.charCodeAt(j) === 45 /* - */) {
        const next = wordEnd(message, j + 1, end);
        if (next === j + 1 || !isVolatile(message, j + 1, next)) break;
        j = next;
      }
    } else {
      for (let k = i; k < j; k++) emit(message.charCodeAt(k));
    }
    i = j;
  }
}

function wordEnd(message: string, start: number, end: number): number {
  let j = start;
  while (j < end && isWordChar(message.charCodeAt(j))) j++;
  return j;
}

/** A word with a digit in it, or 8+ hex characters. */
function isVolatile(message: string, start: number, end: number): boolean {
  let hexOnly = true;
  for (let k = start; k < end; k++) {
    const c = message.charCodeAt(k);
    if (c >= 48 && c <= 57) return true;
    if (!((c >= 97 && c <= 102) || (c >= 65 && c <= 70))) hexOnly = false;
  }
  return hexOnly && end - start >= 8;
}

/** Per ASCII code: 0 not a word character; WORD, plus DIGIT for 0-9 and HEX for 0-9, a-f, A-F. */
const WORD = 1;
const DIGIT = 2;
const HEX = 4;
const CHAR_KIND = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  if (isWordChar(c)) CHAR_KIND[c] = WORD;
  if (c >= 48 && c <= 57) CHAR_KIND[c] = WORD | DIGIT | HEX;
  if ((c >= 97 && c <= 102) || (c >= 65 && c <= 70)) CHAR_KIND[c] = WORD | HEX;
}

function isWordChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}

/** A message with its volatile words (numbers, ids, hex) replaced by `#`, cut to 200 characters. */
export function normalizeMessage(message: string): string {
  let out = '';
  visitNormalized(message, (code) => {
    out += String.fromCharCode(code);
  });
  return out;
}

/** The parts a fingerprint is made of, in order, for the readable and the hashed form alike. */
function visitParts(event: FingerprintedEvent, part: (text: string, normalize: boolean) => void): void {
  const own = event.fingerprint;
  if (Array.isArray(own) && own.length > 0 && !(own.length === 1 && own[0] === '{{ default }}')) {
    for (const piece of own) part(String(piece), false);
    return;
  }
  const values = event.exception?.values;
  const exception = values && values.length > 0 ? values[values.length - 1] : undefined;
  if (exception) {
    part(exception.type ?? 'Error', false);
    part(exception.value ?? '', true);
    const frames = exception.stacktrace?.frames;
    // Sentry orders frames oldest first: the top frame is the last in-app one.
    if (frames) {
      for (let i = frames.length - 1; i >= 0; i--) {
        const frame = frames[i];
        if (frame && frame.in_app !== false) {
          part(frame.module ?? frame.filename ?? '', false);
          part(frame.function ?? '', false);
          break;
        }
      }
    }
    return;
  }
  part('message', false);
  part(event.level ?? '', false);
  part(event.logentry?.message ?? event.message ?? '', true);
}

/**
 * The key the error policy counts occurrences by, readable: the event's own `fingerprint` when
 * set (other than Sentry's `{{ default }}` alone), else exception type, normalized message and
 * the top in-app frame, which is how Sentry would group most errors.
 */
export function fingerprintOf(event: FingerprintedEvent): string {
  const parts: string[] = [];
  visitParts(event, (text, normalize) => {
    parts.push(normalize ? normalizeMessage(text) : text);
  });
  return parts.join(' | ');
}

// Two 32-bit FNV-1a style hashes over the same characters make one 52-bit key: collisions
// among even a million fingerprints are unlikely (birthday bound ~1e-4), and no string is built.
// The running hashes live in two module variables rather than an array or a closure: this is the
// error policy's hot path, and every indirection there is paid per character.
let hashA = 0;
let hashB = 0;

/** Hashes `text` and then the NUL that ends each part. */
function hashPlain(text: string): void {
  let a = hashA;
  let b = hashB;
  const end = text.length;
  for (let i = 0; i < end; i++) {
    const code = text.charCodeAt(i);
    a = Math.imul(a ^ code, 0x01000193);
    b = Math.imul(b ^ code, 0x5bd1e995);
    b ^= b >>> 13;
  }
  endPart(a, b);
}

/** Mixes in the part's closing NUL (xor with 0 is a no-op) and stores the hashes. */
function endPart(a: number, b: number): void {
  hashA = Math.imul(a, 0x01000193);
  const mixed = Math.imul(b, 0x5bd1e995);
  hashB = mixed ^ (mixed >>> 13);
}

/**
 * Hashes a message's normalized form (as `normalizeMessage` writes it) and its closing NUL in
 * one pass: each word is hashed as it is read, and replaced by the hash of '#' if it turns out
 * to be volatile.
 */
function hashNormalized(message: string): void {
  const end = Math.min(message.length, MAX_MESSAGE);
  let a = hashA;
  let b = hashB;
  let i = 0;
  let lastWasMark = false;
  while (i < end) {
    let code = message.charCodeAt(i);
    let kind = code < 128 ? (CHAR_KIND[code] as number) : 0;
    if (kind === 0) {
      // A '-' between two volatile words belongs to one id (a UUID): skip it if a volatile word follows.
      if (code === 45 && lastWasMark && i + 1 < end) {
        const next = wordEnd(message, i + 1, end);
        if (next > i + 1 && isVolatile(message, i + 1, next)) {
          i = next;
          continue;
        }
      }
      a = Math.imul(a ^ code, 0x01000193);
      b = Math.imul(b ^ code, 0x5bd1e995);
      b ^= b >>> 13;
      lastWasMark = false;
      i++;
      continue;
    }
    let wa = a;
    let wb = b;
    // The kinds of the word's characters, or-ed: a digit makes it volatile; all hex, 8+ long, too.
    let kinds = 0;
    let hexOnly = true;
    const start = i;
    while (kind !== 0) {
      kinds |= kind;
      if ((kind & HEX) === 0) hexOnly = false;
      wa = Math.imul(wa ^ code, 0x01000193);
      wb = Math.imul(wb ^ code, 0x5bd1e995);
      wb ^= wb >>> 13;
      i++;
      // Past the end charCodeAt gives NaN, a double: it would make the loop's arithmetic generic.
      code = i < end ? message.charCodeAt(i) : 0;
      kind = code < 128 ? (CHAR_KIND[code] as number) : 0;
    }
    if ((kinds & DIGIT) !== 0 || (hexOnly && i - start >= 8)) {
      a = Math.imul(a ^ 35, 0x01000193);
      b = Math.imul(b ^ 35, 0x5bd1e995);
      b ^= b >>> 13;
      lastWasMark = true;
    } else {
      a = wa;
      b = wb;
      lastWasMark = false;
    }
  }
  endPart(a, b);
}

const hashPart = (text: string, normalize: boolean) => {
  if (normalize) hashNormalized(text);
  else hashPlain(text);
};

/** `fingerprintOf(event)` as a 52-bit number, computed without allocating. */
export function fingerprintHash(event: FingerprintedEvent): number {
  hashA = 0x811c9dc5 | 0;
  hashB = 0x2f7a3c51;
  visitParts(event, hashPart);
  return (hashA >>> 0) * 0x100000 + ((hashB >>> 0) & 0xfffff);
}
