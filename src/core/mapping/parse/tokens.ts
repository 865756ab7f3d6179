/** Tokens with file offsets: Python's string splitting as the upstream loaders do it, and YAML scalar positions. */
import type { Scalar } from 'yaml';
import { resolvePlain, type Yaml11Kind } from '../yaml11';
import type { Token } from './parsed';

/** Offset of value character 0 in the file text, or null when the scalar's source is not a verbatim copy. */
export function scalarBase(node: Scalar, text: string): number | null {
  const r = node.range;
  if (!r) return null;
  const src = text.slice(r[0], r[1]);
  const v = String(node.value ?? '');
  if (node.type === 'PLAIN' || node.type === undefined) return src === v ? r[0] : null;
  if (node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE') return src.length === v.length + 2 && src.slice(1, -1) === v ? r[0] + 1 : null;
  return null;
}

/** The type PyYAML (YAML 1.1) gives a scalar: quoted and explicitly tagged scalars are strings. */
export function scalarKind(node: Scalar): Yaml11Kind {
  if (node.tag === 'tag:yaml.org,2002:str' || node.tag === '!') return 'str';
  if (node.type === 'PLAIN' || node.type === undefined) return resolvePlain(String(node.value ?? ''));
  return 'str';
}

/** Python `str.split()` with offsets. */
export function splitWs(s: string, base: number): Token[] {
  const out: Token[] = [];
  const re = /\S+/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s))) out.push({ text: m[0], start: base + m.index, end: base + m.index + m[0].length });
  return out;
}

/** Python `str.split(',')` with offsets (parts are not stripped). */
export function splitComma(t: Token): Token[] {
  const out: Token[] = [];
  let pos = 0;
  for (const part of t.text.split(',')) {
    out.push({ text: part, start: t.start + pos, end: t.start + pos + part.length });
    pos += part.length + 1;
  }
  return out;
}
