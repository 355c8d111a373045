// Dates, times and durations as each language writes them (Intl): 29/11/2026 in Italian, 29/11/2026
// or 11/29/2026 as English in the configured region, "3 giorni fa", "4 minuti e 32 secondi".
const REGION: Record<string, string> = { it: 'it-IT', en: 'en-GB' };
// Dates and times of the bank's own country, whatever the server's time zone.
export const TIME_ZONE = 'Europe/Rome';

export interface Formatters {
  /** A calendar date: 29/11/2026. */
  date(value: number | string | undefined): string;
  /** A date and time: 29/11/2026, 14:05. */
  dateTime(value: number | string | undefined): string;
  /** How long ago, in days: oggi, ieri, 12 giorni fa. */
  daysAgo(days: number): string;
  /** A wait: 4 minuti e 32 secondi. */
  duration(seconds: number): string;
  /** The ISO date (for <time datetime>). */
  iso(value: number | string | undefined): string;
}

function toDate(value: number | string | undefined): Date | undefined {
  if (value === undefined || value === '') return undefined;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

const cache = new Map<string, Formatters>();

export function formatters(locale: string): Formatters {
  const hit = cache.get(locale);
  if (hit) return hit;
  const tag = REGION[locale] ?? locale;
  const date = new Intl.DateTimeFormat(tag, { day: '2-digit', month: '2-digit', year: 'numeric', timeZone: TIME_ZONE });
  const dateTime = new Intl.DateTimeFormat(tag, { day: '2-digit', month: '2-digit', year: 'numeric', hour: '2-digit', minute: '2-digit', timeZone: TIME_ZONE });
  const relative = new Intl.RelativeTimeFormat(tag, { numeric: 'auto' });
  const minutes = new Intl.NumberFormat(tag, { style: 'unit', unit: 'minute', unitDisplay: 'long' });
  const seconds = new Intl.NumberFormat(tag, { style: 'unit', unit: 'second', unitDisplay: 'long' });
  const and = new Intl.ListFormat(tag, { style: 'long', type: 'conjunction' });
  const isoDate = new Intl.DateTimeFormat('en-CA', { day: '2-digit', month: '2-digit', year: 'numeric', timeZone: TIME_ZONE });
  const f: Formatters = {
    date: (v) => { const d = toDate(v); return d ? date.format(d) : ''; },
    dateTime: (v) => { const d = toDate(v); return d ? dateTime.format(d) : ''; },
    daysAgo: (days) => relative.format(-Math.max(0, Math.floor(days)), 'day'),
    duration: (total) => {
      const s = Math.max(0, Math.ceil(total));
      const parts = [];
      if (s >= 60) parts.push(minutes.format(Math.floor(s / 60)));
      if (s % 60 || s < 60) parts.push(seconds.format(s % 60));
      return and.format(parts);
    },
    iso: (v) => { const d = toDate(v); return d ? isoDate.format(d) : ''; },
  };
  cache.set(locale, f);
  return f;
}
