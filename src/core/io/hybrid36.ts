/**
 * Hybrid-36 numbers (the PDB convention for atom serials > 99,999 and residue numbers > 9,999):
 * plain decimal while it fits the width, then base-36 with an upper-case first digit, then lower-case.
 */
const DIGITS_UPPER = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const DIGITS_LOWER = '0123456789abcdefghijklmnopqrstuvwxyz';
const POW10 = Array.from({ length: 9 }, (_, w) => 10 ** w);
const OFF36 = Array.from({ length: 9 }, (_, w) => (w > 0 ? 10 * 36 ** (w - 1) : 0));
const SPAN36 = Array.from({ length: 9 }, (_, w) => (w > 0 ? 26 * 36 ** (w - 1) : 0));

export function hy36encode(width: number, value: number): string {
  const pow10 = 10 ** width;
  if (value >= 1 - 10 ** (width - 1) && value < pow10) return String(value).padStart(width, ' ');
  const span = 26 * 36 ** (width - 1);
  let v = value - pow10;
  if (v >= 0 && v < span) return base36(v + 10 * 36 ** (width - 1), DIGITS_UPPER, width);
  v -= span;
  if (v >= 0 && v < span) return base36(v + 10 * 36 ** (width - 1), DIGITS_LOWER, width);
  throw new RangeError(`value ${value} does not fit hybrid-36 width ${width}`);
}

function base36(v: number, digits: string, width: number): string {
  let s = '';
  while (v > 0) {
    s = digits[v % 36] + s;
    v = Math.floor(v / 36);
  }
  return s.padStart(width, '0');
}

/**
 * Decodes `s.slice(start, end)` as hybrid-36 (blank-padded). Returns NaN when the field is not a valid
 * number (the caller decides whether that is an error, e.g. the `*****` serials written by VMD).
 */
export function hy36decode(s: string, start: number, end: number): number {
  while (start < end && s.charCodeAt(start) === 32) start++;
  while (end > start && s.charCodeAt(end - 1) === 32) end--;
  if (start === end) return NaN;
  const c0 = s.charCodeAt(start);
  const width = end - start;
  if (c0 >= 65 && c0 <= 90) return decodeBase36(s, start, end, false, width);
  if (c0 >= 97 && c0 <= 122) return decodeBase36(s, start, end, true, width);
  return parseIntField(s, start, end);
}

function decodeBase36(s: string, start: number, end: number, lower: boolean, width: number): number {
  let v = 0;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    let d: number;
    if (c >= 48 && c <= 57) d = c - 48;
    else if (!lower && c >= 65 && c <= 90) d = c - 55;
    else if (lower && c >= 97 && c <= 122) d = c - 87;
    else return NaN;
    v = v * 36 + d;
  }
  // The width of a hybrid-36 field is always the full field width (its values have exactly `width` digits).
  if (width > 8) return NaN;
  const r = v - OFF36[width] + POW10[width];
  return lower ? r + SPAN36[width] : r;
}

/** Integer in s[start,end) (blanks allowed around it); NaN when anything else is there. */
export function parseIntField(s: string, start: number, end: number): number {
  while (start < end && s.charCodeAt(start) === 32) start++;
  while (end > start && s.charCodeAt(end - 1) === 32) end--;
  if (start === end) return NaN;
  let neg = false;
  let c = s.charCodeAt(start);
  if (c === 45 || c === 43) {
    neg = c === 45;
    start++;
    if (start === end) return NaN;
  }
  let v = 0;
  for (let i = start; i < end; i++) {
    c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return NaN;
    v = v * 10 + c;
  }
  return neg ? -v : v;
}
