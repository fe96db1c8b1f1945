/**
 * Bad values in error messages: quoted, and cut to a short prefix, so that a
 * 12 MB `state` file gives a one-line message. Pure (browser-safe).
 */

/** How many characters of a bad value a message quotes. */
export const QUOTE_MAX = 40;

/** JSON-quoted `value`, cut to its first `max` characters ("…" and the full length when cut). */
export function quoteValue(value: string, max = QUOTE_MAX): string {
  if (value.length <= max) return JSON.stringify(value);
  return `${JSON.stringify(value.slice(0, max))}… (${value.length} characters)`;
}
