/**
 * Whether the JSON text in `bytes[start, end)` nests deeper than `max` arrays and objects.
 * A linear scan that skips strings, run before `JSON.parse`: V8 parses any depth, but
 * `JSON.stringify` and every recursive walk after it overflow the stack on a deep value.
 */
export function jsonDeeperThan(bytes: Uint8Array, start: number, end: number, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = start; i < end; i++) {
    const byte = bytes[i];
    if (inString) {
      if (byte === 0x5c)
        i++; // a backslash escapes the next byte
      else if (byte === 0x22) inString = false;
    } else if (byte === 0x22) inString = true;
    else if (byte === 0x7b || byte === 0x5b) {
      if (++depth > max) return true;
    } else if (byte === 0x7d || byte === 0x5d) depth--;
  }
  return false;
}
