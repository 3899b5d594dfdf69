/** Daily time ranges in one time zone, e.g. 09:00-12:00 and 14:00-18:00 in Europe/Berlin. */
export interface PeakHours {
  /** Minutes since midnight, `[start, end)`; a range may wrap past midnight (22:00-02:00). */
  ranges: { start: number; end: number }[];
  /** IANA time zone. Default: UTC. */
  timeZone: string;
}

/**
 * Parses `HH:MM-HH:MM[,HH:MM-HH:MM...][ <IANA time zone>]`, e.g.
 * `09:00-12:00,14:00-18:00 Europe/Berlin`. Throws an Error saying what is wrong.
 */
export function parsePeakHours(text: string): PeakHours {
  const [rangesText = '', timeZone = 'UTC', ...rest] = text.trim().split(/\s+/);
  if (rest.length > 0) throw new Error('expected ranges, then at most one time zone');
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
  } catch {
    throw new Error(`unknown time zone "${timeZone}"`);
  }
  const ranges = rangesText.split(',').map((range) => {
    const match = /^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$/.exec(range.trim());
    if (!match) throw new Error(`"${range}" is not a range like 09:00-17:00`);
    const [h1, m1, h2, m2] = match.slice(1).map(Number) as [number, number, number, number];
    if (h1 > 24 || h2 > 24 || m1 > 59 || m2 > 59) throw new Error(`"${range}" is not a valid time range`);
    const start = h1 * 60 + m1;
    const end = h2 * 60 + m2;
    if (start === end) throw new Error(`"${range}" is empty`);
    return { start, end };
  });
  return { ranges, timeZone };
}

/** A checker for "is this instant inside the peak hours", caching the time-zone formatter. */
export function createPeakHoursCheck(peak: PeakHours): (epochMs: number) => boolean {
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone: peak.timeZone,
    hour: 'numeric',
    minute: 'numeric',
    hourCycle: 'h23',
  });
  // The answer changes at most once a minute: cache it per minute of the epoch.
  let cachedMinute = Number.NaN;
  let cached = false;
  return (epochMs) => {
    const minute = Math.floor(epochMs / 60_000);
    if (minute === cachedMinute) return cached;
    let hour = 0;
    let min = 0;
    for (const part of format.formatToParts(epochMs)) {
      if (part.type === 'hour') hour = Number(part.value);
      else if (part.type === 'minute') min = Number(part.value);
    }
    const now = hour * 60 + min;
    cached = peak.ranges.some(({ start, end }) =>
      start < end ? now >= start && now < end : now >= start || now < end,
    );
    cachedMinute = minute;
    return cached;
  };
}
