// Relative times ("1 day ago") with Intl.RelativeTimeFormat, and the exact date for tooltips.

const STEPS = [
  ["year", 365 * 86400],
  ["month", 30 * 86400],
  ["week", 7 * 86400],
  ["day", 86400],
  ["hour", 3600],
  ["minute", 60],
];

export function relativeTime(date, locale, now = Date.now()) {
  const seconds = Math.round((now - date.getTime()) / 1000);
  const format = new Intl.RelativeTimeFormat(locale, { numeric: "always" });
  if (Math.abs(seconds) < 45) return new Intl.RelativeTimeFormat(locale, { numeric: "auto" }).format(0, "second");
  for (const [unit, size] of STEPS) {
    if (Math.abs(seconds) >= size) return format.format(-Math.floor(seconds / size), unit);
  }
  return format.format(-1, "minute");
}

export function exactTime(date, locale) {
  return new Intl.DateTimeFormat(locale, { dateStyle: "long", timeStyle: "short" }).format(date);
}
