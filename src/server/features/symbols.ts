/** Document symbols: one per bead, with its member atoms and their rules as children. */
import { DocumentSymbol, Range, SymbolKind } from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { ParsedMapping } from '../../core/mapping/parse';

export function documentSymbols(p: ParsedMapping, doc: TextDocument): DocumentSymbol[] {
  const mol = p.molecule;
  if (!mol) return [];
  const r = (s: number, e: number) => Range.create(doc.positionAt(s), doc.positionAt(e));
  return mol.beads.map((b) => {
    const entries = b.members.map((a) => p.entries.find((e) => e.atom === a)!).filter(Boolean);
    const start = Math.min(...entries.map((e) => e.start));
    const end = Math.max(...entries.map((e) => e.end));
    const sel = b.span ? r(b.span.start, b.span.end) : r(start, start);
    return {
      name: b.name,
      detail: `${b.members.length} atoms, ${b.slots.length} reconstructed`,
      kind: SymbolKind.Class,
      range: r(Math.min(start, b.span?.start ?? start), Math.max(end, b.span?.end ?? end)),
      selectionRange: sel,
      children: entries.map((e) => {
        const at = mol.atoms[e.atom];
        const m = at.membership.find((x) => x.bead === b.name);
        return {
          name: at.names[0] || e.key.text,
          detail: m?.rule ? `P${m.rule.level}${m.rule.anchor}${m.rule.id}` : 'no rule',
          kind: SymbolKind.Field,
          range: r(e.start, e.end),
          selectionRange: r(e.key.start, e.key.end),
        };
      }),
    } satisfies DocumentSymbol;
  });
}
