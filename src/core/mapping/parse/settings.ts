/**
 * One setting of an atom entry (a comma part of a field), read twice and independently, as the upstream tools do:
 * CGmap reads `!`, `CM` and weights, HEroBM reads hierarchy rules (docs/mapping-format.md, "Settings").
 */
import type { HierarchyRule } from '../types';

/** HEroBM's rule pattern: unanchored, upper case only, trailing junk accepted. */
export const RULE_RE = /P(\d+)([A-Z])([A-Z])*/;
const FRACTION_RE = /(\d)\/(\d)/;
const DECIMAL_RE = /(?<![A-Za-z])(\d+(?:\.\d+)?)(?![A-Za-z])/;
export const CANONICAL_RULE = /^P(0|[1-9][0-9]*)[A-Z]{1,2}$/;
const CANONICAL_FRACTION = /^[1-9]\/[1-9]$/;
export const CANONICAL_DECIMAL = /^[0-9]+(\.[0-9]+)?$/;

/** HEroBM's reading of one setting: null when RULE does not match. */
export function decodeRule(setting: string): HierarchyRule | null {
  const m = RULE_RE.exec(setting);
  if (!m) return null;
  // `([A-Z])*` keeps its LAST repetition: two or more letters → anchor = first letter, ID = last letter.
  const first = m[2];
  const last = m[3];
  return {
    level: parseInt(m[1], 10),
    anchor: last === undefined ? 'A' : first,
    id: last === undefined ? first : last,
    text: setting,
    canonical: CANONICAL_RULE.test(setting),
  };
}

export interface CgmapSetting {
  kind: 'exclude' | 'cm' | 'weight' | 'none';
  weight?: number;
  /** Set when the weight came from a fraction with denominator 0 (ZeroDivisionError in CGmap). */
  divZero?: boolean;
  match?: string;
  matchIndex?: number;
}

/** CGmap's reading of one setting (`BeadMappingAtomSettings.__init__`). */
export function decodeCgmapSetting(s: string): CgmapSetting {
  if (s === '!') return { kind: 'exclude' };
  if (s === 'CM') return { kind: 'cm' };
  const f = FRACTION_RE.exec(s);
  if (f) {
    const den = parseInt(f[2], 10);
    return { kind: 'weight', weight: den === 0 ? NaN : parseInt(f[1], 10) / den, divZero: den === 0, match: f[0], matchIndex: f.index };
  }
  const d = DECIMAL_RE.exec(s);
  if (d) return { kind: 'weight', weight: parseFloat(d[1]), match: d[1], matchIndex: d.index };
  return { kind: 'none' };
}

/** Canonical spelling of the rule HEroBM reads from a setting (`P2BAc` → `P2BA`, `P3ABC` → `P3AC`, `P01A` → `P1A`). */
export function canonicalRuleText(setting: string): string {
  const m = RULE_RE.exec(setting);
  if (!m) return setting;
  return `P${parseInt(m[1], 10)}${m[3] === undefined ? m[2] : m[2] + m[3]}`;
}

/** Whether a setting is spelled exactly as the dialect recommends (then both tools read it as it looks). */
export function isCanonicalSetting(s: string): boolean {
  return s === '!' || s === 'CM' || CANONICAL_RULE.test(s) || CANONICAL_FRACTION.test(s) || CANONICAL_DECIMAL.test(s);
}

/** A weight as messages show it (`1.0`, `0.333333`). */
export function formatWeight(x: number): string {
  return Number.isInteger(x) ? x.toFixed(1) : String(+x.toPrecision(6));
}

/** Hydrogen by HEroBM's `ignore_hydrogens` test: the name starts with H. */
export const isHydrogenName = (n: string) => n.startsWith('H');
