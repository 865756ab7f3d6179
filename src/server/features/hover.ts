/**
 * Hover: what HEroBM/CGmap read from the token under the cursor (molecule, atom, bead, or a setting with its
 * decoded rule, anchor, model channel and weights).
 */
import { Hover, MarkupKind, Range } from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { FolderAnalysis } from '../../core/mapping/load';
import { decodeRule, type ParsedMapping } from '../../core/mapping/parse';
import { locate } from '../locate';

const fmt = (x: number) => (Number.isFinite(x) ? (+x.toPrecision(4)).toString() : 'NaN');

export function hover(p: ParsedMapping, doc: TextDocument, off: number, an: FolderAnalysis | null): Hover | null {
  const h = locate(p, off);
  const mol = p.molecule;
  if (!h || !mol) return null;
  const range = Range.create(doc.positionAt(h.token.start), doc.positionAt(h.token.end));
  const md = (value: string): Hover => ({ contents: { kind: MarkupKind.Markdown, value }, range });
  const typeId = (bead: string) => an?.beadTypes.get(`${mol.name}_${bead}`);
  if (h.kind === 'molecule') {
    const beads = mol.beads.map((b) => `\`${b.name}\` (${b.members.length} atoms, ${b.slots.length} reconstructed${typeId(b.name) !== undefined ? `, type ${typeId(b.name)}` : ''})`);
    return md(`**Molecule ${mol.name}** — residue name matched case-sensitively.\n\nBeads: ${beads.join(', ') || 'none'}${an ? `\n\nSet R (slots per bead) = ${an.maxSlots}` : ''}`);
  }
  const atom = h.entry.atom >= 0 ? mol.atoms[h.entry.atom] : null;
  if (h.kind === 'name') {
    if (!atom) return md(`Atom key \`${h.token.text}\` (entry not compiled: see diagnostics)`);
    const lines = [`**Atom ${atom.names[0]}**${atom.names.length > 1 ? ` (alternatives: ${atom.names.slice(1).map((n) => `\`${n}\``).join(', ')})` : ''}`,
      '', `Element ${atom.element || "—"} (mass ${Number.isFinite(atom.mass) ? atom.mass.toFixed(3) : "lookup fails: KeyError"}), taken from the first upper-case letter of \`${atom.names[0]}\` as CGmap does.`];
    if (h.index > 0) lines.push('', `\`${h.token.text}\` is an alternative name: matched against structure atom names, never written on output.`);
    for (const m of atom.membership) {
      const bi = mol.beadIndex.get(m.bead);
      const b = bi !== undefined ? mol.beads[bi] : undefined;
      const k = b ? b.members.indexOf(h.entry.atom) : -1;
      lines.push(`- bead \`${m.bead}\`: CM weight ${b && k >= 0 ? fmt(b.weights[k]) : '?'} (relative ${fmt(m.relWeight)}${m.cm ? ', CM' : ''}${m.excluded ? ', !' : ''})${m.rule ? `, rule P${m.rule.level}${m.rule.anchor}${m.rule.id}` : ', not reconstructed'}`);
    }
    return md(lines.join('\n'));
  }
  if (h.kind === 'bead') {
    const bi = mol.beadIndex.get(h.token.text);
    if (bi === undefined) return null;
    const b = mol.beads[bi];
    const k = atom ? b.members.indexOf(h.entry.atom) : -1;
    const m = atom?.membership[h.index];
    const lines = [`**Bead ${b.name}** (\`${b.idname}\`${typeId(b.name) !== undefined ? `, type id ${typeId(b.name)}` : ''})`, '',
      `${b.members.length} atoms, ${b.slots.length} reconstructed (model channels), max level ${b.maxLevel}.`];
    if (atom && k >= 0 && m) lines.push('', `\`${atom.names[0]}\` in this bead: effective CM weight **${fmt(b.weights[k])}** (relative ${fmt(m.relWeight)}${m.cm ? ', CM' : ''}${m.excluded ? ', excluded !' : ''}).`);
    return md(lines.join('\n'));
  }
  // part: rule / flag / weight
  const s = h.token.text;
  const bead = h.entry.beads[h.index]?.text;
  if (h.index >= h.entry.beads.length) return md(`Part ${h.index + 1} of this field is ignored: the atom has only ${h.entry.beads.length} bead(s).`);
  const r = decodeRule(s);
  const lines: string[] = [];
  if (r) {
    lines.push(`**${s}** → level ${r.level}, anchor ${r.anchor}, ID ${r.id} in bead \`${bead}\`${r.canonical ? '' : ` (read as \`P${r.level}${r.anchor}${r.id}\`)`}`);
    const b = bead !== undefined ? mol.beads[mol.beadIndex.get(bead) ?? -1] : undefined;
    const slotIdx = b ? b.slots.findIndex((x) => x.atom === h.entry.atom) : -1;
    const used = h.entry.ruleParts[h.index];
    if (b && slotIdx >= 0 && used && used.start === h.token.start) {
      const slot = b.slots[slotIdx];
      const anchorAtom = mol.atoms[b.slots[slot.anchor].atom].names[0];
      lines.push('', `Model channel ${slotIdx} of the bead; local index ${slot.local} (anchor index ${slot.anchorLocal}).`);
      if (slot.level === 0) lines.push('', 'Level 0: placed on the bead and never moved.');
      else if (slot.anchor === slotIdx && slot.resolved) lines.push('', 'Root of the bead (local index 0): anchored on itself, sits on the bead before recentring.');
      else if (slot.resolved) lines.push('', `Anchor atom: **${anchorAtom}** — built as ${anchorAtom} + predicted vector.`);
      else lines.push('', `⚠ Anchor not resolved: HEroBM silently anchors ${mol.atoms[slot.atom].names[0]} on itself (collapses toward the bead).`);
      if (slot.placed === false) lines.push('', '⚠ Level above R: never placed.');
      lines.push('', `Recentring weight ${fmt(slot.recenterWeight)}.`);
    } else if (used && used.start !== h.token.start) lines.push('', 'Overridden by a later rule for the same bead.');
  } else if (s === 'CM') lines.push(`**CM** in bead \`${bead}\`: the bead position uses only CM atoms (relative weights), ignoring mass and \`!\`.`);
  else if (s === '!') lines.push(`**!** in bead \`${bead}\`: excluded from the bead position (unless the bead has a CM atom).`);
  else if (/\d/.test(s)) {
    const m = atom?.membership[h.index];
    lines.push(`Weight for bead \`${bead}\`: relative weight ${m ? fmt(m.relWeight) : '?'} (a multiplier of the atom mass).`);
  } else lines.push(`\`${s}\` is not a setting CGmap or HEroBM reads; it is ignored.`);
  return md(lines.join('\n'));
}
