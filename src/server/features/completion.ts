/**
 * Completion: top-level keys, atom names from templates (other files of the folder, the bundled Martini 3 set),
 * bead names of the file, and per bead the next free hierarchy rule, flags and weights.
 */
import { CompletionItem, CompletionItemKind } from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { ParsedMapping } from '../../core/mapping/parse';

export function completion(p: ParsedMapping | null, doc: TextDocument, off: number, templates: Map<string, string[]>): CompletionItem[] {
  const text = doc.getText();
  const lineStart = text.lastIndexOf('\n', off - 1) + 1;
  const before = text.slice(lineStart, off);
  const items: CompletionItem[] = [];
  if (/^\S*$/.test(before) && !/:/.test(before)) {
    for (const k of ['molecule: ', 'atoms:']) items.push({ label: k.replace(/:\s*$/, ''), kind: CompletionItemKind.Keyword, insertText: k });
    return items;
  }
  const mol = p?.molecule ?? null;
  const colon = before.indexOf(':');
  const quotedKeyColon = /^\s+(["'])[^"']*\1\s*:/.exec(before);
  const keyPart = colon < 0 && !quotedKeyColon;
  if (keyPart) {
    // Typing an atom key: template names not yet used in this file.
    const used = new Set(mol?.atoms.flatMap((a) => a.names) ?? []);
    const list = (p?.moleculeName && templates.get(p.moleculeName)) || [];
    for (const n of list) if (!used.has(n)) items.push({ label: n, kind: CompletionItemKind.Field, detail: `atom of ${p!.moleculeName} (from templates)`, insertText: `${n}: ` });
    return items;
  }
  const valueText = before.slice(quotedKeyColon ? quotedKeyColon[0].length : colon + 1).replace(/^(\s*)["']/, '$1 ');
  const tokens = valueText.split(/\s+/).filter(Boolean);
  const typingFirst = tokens.length === 0 || (tokens.length === 1 && !/\s$/.test(valueText));
  const beadNames = mol?.beads.map((b) => b.name) ?? [];
  if (typingFirst) {
    for (const b of beadNames) items.push({ label: b, kind: CompletionItemKind.Class, detail: 'bead of this file' });
    return items;
  }
  // Settings: next free rule per bead of this entry, flags, fractions.
  const beadsOfEntry = tokens[0].split(',');
  const rules = beadsOfEntry.map((b) => nextRules(p, b));
  if (beadsOfEntry.length === 1) {
    rules[0].forEach((r, i) => items.push({ label: r.label, kind: CompletionItemKind.Value, detail: r.detail, sortText: `0${i}` }));
  } else {
    const joined = rules.map((r) => r[0]?.label ?? '').join(',');
    items.push({ label: joined, kind: CompletionItemKind.Value, detail: `next free rule per bead (${beadsOfEntry.join(', ')})`, sortText: '00' });
  }
  const n = beadsOfEntry.length;
  const rep = (s: string) => Array.from({ length: n }, () => s).join(',');
  items.push({ label: rep('CM'), kind: CompletionItemKind.Keyword, detail: 'centre of mass: only CM atoms define the bead position', sortText: '10' });
  items.push({ label: rep('!'), kind: CompletionItemKind.Keyword, detail: 'exclude from the bead position', sortText: '11' });
  const fr = n === 2 ? ['1/2,1/2', '1/3,2/3', '2/3,1/3', '1/4,3/4', '3/4,1/4'] : n === 3 ? ['1/3,1/3,1/3'] : n === 1 ? ['1/2', '1/3', '2/3'] : [];
  fr.forEach((f, i) => items.push({ label: f, kind: CompletionItemKind.Constant, detail: 'relative weights (multipliers of the mass)', sortText: `2${i}` }));
  return items;
}

/** Next free IDs per level of a bead: `P{L}{anchor}{id}` for each existing level and one deeper. */
export function nextRules(p: ParsedMapping | null, bead: string): { label: string; detail: string }[] {
  const mol = p?.molecule;
  const b = mol && mol.beadIndex.has(bead) ? mol.beads[mol.beadIndex.get(bead)!] : null;
  if (!b || !b.slots.length) return [{ label: 'P1A', detail: 'root of the bead (level 1, ID A)' }];
  const byLevel = new Map<number, { ids: Set<string>; last: string }>();
  for (const s of b.slots) {
    const r = mol!.atoms[s.atom].membership.find((m) => m.bead === bead)!.rule!;
    const e = byLevel.get(r.level) ?? { ids: new Set<string>(), last: r.id };
    e.ids.add(r.id);
    e.last = r.id;
    byLevel.set(r.level, e);
  }
  const out: { label: string; detail: string }[] = [];
  const levels = [...byLevel.keys()].sort((x, y) => x - y);
  const maxL = levels[levels.length - 1];
  for (let L = Math.max(levels[0] + 1, 1); L <= maxL + 1; L++) {
    const used = byLevel.get(L)?.ids ?? new Set<string>();
    let id = '';
    for (let i = 0; i < 26; i++) { const c = String.fromCharCode(65 + i); if (!used.has(c)) { id = c; break; } }
    if (!id) continue;
    const parent = byLevel.get(L - 1);
    const anchor = parent ? parent.last : 'A';
    out.push({ label: `P${L}${anchor}${id}`, detail: `level ${L}, next free ID ${id}, anchored on ${anchor} of level ${L - 1}` });
  }
  return out;
}
