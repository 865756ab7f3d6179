/** Go to definition: a rule jumps to its anchor atom, a bead name to its first appearance. */
import { Location, Range } from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { decodeRule, type ParsedMapping, type Token } from '../../core/mapping/parse';
import { locate } from '../locate';

export function definition(p: ParsedMapping, doc: TextDocument, off: number): Location[] {
  const h = locate(p, off);
  const mol = p.molecule;
  if (!h || !mol) return [];
  const loc = (t: Token) => Location.create(doc.uri, Range.create(doc.positionAt(t.start), doc.positionAt(t.end)));
  if (h.kind === 'part') {
    const bead = h.entry.beads[h.index]?.text;
    const b = bead !== undefined ? mol.beads[mol.beadIndex.get(bead) ?? -1] : undefined;
    const si = b ? b.slots.findIndex((s) => s.atom === h.entry.atom) : -1;
    if (!b || si < 0 || !decodeRule(h.token.text)) return [];
    const anchorAtom = b.slots[b.slots[si].anchor].atom;
    const e = p.entries.find((x) => x.atom === anchorAtom);
    return e ? [loc(e.names[0] ?? e.key)] : [];
  }
  if (h.kind === 'bead') {
    const first = p.entries.flatMap((e) => e.beads).find((t) => t.text === h.token.text);
    return first ? [loc(first)] : [];
  }
  return [];
}
