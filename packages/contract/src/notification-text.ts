/** Titles and releases are cut to this many characters (Sentry's own cap on a release). */
export const MAX_TEXT = 200;

/**
 * Text from an event, fit for a notification: a string (anything else is empty), without control
 * or direction-override characters, whitespace runs folded, at most 200 characters. Escaping for
 * each channel's markup happens in the channel.
 */
export function notificationText(value: unknown): string {
  if (typeof value !== 'string') return '';
  // Most titles, levels and releases are short printable ASCII already: returned as they are,
  // without the two regular expressions (5 calls per error event, on the alerts' hot path).
  if (value.length <= MAX_TEXT && isPlainAscii(value)) return value;
  return cleanText(value);
}

/** The cleaning itself, for any string: what the shortcut above must give the same as. */
export function cleanText(value: string): string {
  const clean = value
    .slice(0, MAX_TEXT * 4)
    // biome-ignore lint/suspicious/noControlCharactersInRegex: removing them is the point
    .replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return clean.length > MAX_TEXT ? `${clean.slice(0, MAX_TEXT - 1)}…` : clean;
}

/** Printable ASCII, spaces only single and inside: what the cleaning above leaves as it is. */
function isPlainAscii(text: string): boolean {
  const last = text.length - 1;
  for (let i = 0; i <= last; i++) {
    const c = text.charCodeAt(i);
    if (c === 32) {
      if (i === 0 || i === last || text.charCodeAt(i - 1) === 32) return false;
    } else if (c < 33 || c > 126) return false;
  }
  return true;
}
