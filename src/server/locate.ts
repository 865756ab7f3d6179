/** The token under the cursor, shared by hover, definition, references and rename. */
import type { MappingEntry, ParsedMapping, Token } from '../core/mapping/parse';

export type Hit =
  | { kind: 'molecule'; token: Token }
  | { kind: 'name'; entry: MappingEntry; index: number; token: Token }
  | { kind: 'bead'; entry: MappingEntry; index: number; token: Token }
  | { kind: 'part'; entry: MappingEntry; field: number; index: number; token: Token };

const inTok = (t: Token, off: number) => off >= t.start && off <= t.end;

export function locate(p: ParsedMapping, off: number): Hit | null {
  if (p.moleculeToken && inTok(p.moleculeToken, off)) return { kind: 'molecule', token: p.moleculeToken };
  for (const e of p.entries) {
    if (off < e.start || off > e.end) continue;
    for (const [i, t] of e.names.entries()) if (inTok(t, off)) return { kind: 'name', entry: e, index: i, token: t };
    for (const [i, t] of e.beads.entries()) if (inTok(t, off)) return { kind: 'bead', entry: e, index: i, token: t };
    for (const [fi, f] of e.fields.entries()) for (const [i, t] of f.parts.entries()) if (inTok(t, off) && t.text !== '') return { kind: 'part', entry: e, field: fi, index: i, token: t };
  }
  return null;
}
