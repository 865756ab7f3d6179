/** Find references: every use of a bead name; for an atom, the rules anchored on it; for a rule, its anchor. */
import { Location, Range } from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { ParsedMapping, Token } from '../../core/mapping/parse';
import { locate } from '../locate';
import { definition } from './definition';

export function references(p: ParsedMapping, doc: TextDocument, off: number, includeDeclaration: boolean): Location[] {
  const h = locate(p, off);
  const mol = p.molecule;
  if (!h || !mol) return [];
  const loc = (t: Token) => Location.create(doc.uri, Range.create(doc.positionAt(t.start), doc.positionAt(t.end)));
  if (h.kind === 'bead') {
    const all = p.entries.flatMap((e) => e.beads).filter((t) => t.text === h.token.text);
    return (includeDeclaration ? all : all.slice(1)).map(loc);
  }
  if (h.kind === 'name' && h.entry.atom >= 0) {
    // Rules anchored on this atom.
    const out: Location[] = includeDeclaration ? [loc(h.token)] : [];
    for (const b of mol.beads) {
      const si = b.slots.findIndex((s) => s.atom === h.entry.atom);
      if (si < 0) continue;
      b.slots.forEach((s, j) => {
        if (j === si || s.anchor !== si) return;
        const e = p.entries.find((x) => x.atom === s.atom);
        const bi = e?.beads.findIndex((t) => t.text === b.name) ?? -1;
        const part = e && bi >= 0 ? e.ruleParts[bi] : null;
        if (part) out.push(loc(part));
      });
    }
    return out;
  }
  if (h.kind === 'part') {
    const defs = definition(p, doc, off);
    return defs;
  }
  return [];
}
