/**
 * Assign hierarchy rules (levels, anchors, IDs) from an all-atom reference: per bead, breadth-first over the bond
 * graph from the bead's root (its CM atom, else the eligible atom nearest the bead centre). Only rule tokens are
 * edited (or one rule field appended), so comments, spacing and entry order — the model interface — are kept.
 * IDs are always single letters: a level with more than 26 atoms spills into the next level (anchored on the
 * nearest atom of the level before), which HEroBM parses correctly, unlike the upstream labeler's 'AA' labels.
 */
import { InputError } from '../errors';
import type { Structure } from '../structure/types';
import { cgmapAtomName } from './load';
import { parseMappingDocument } from './parse';
import type { TextEdit } from './types';

export interface HierarchyResult {
  edits: TextEdit[];
  /** What was done that the user should know (spilled levels, atoms absent from the reference, ...). */
  notes: string[];
}

const COVALENT: Record<string, number> = { H: 0.31, C: 0.76, N: 0.71, O: 0.66, S: 1.05, P: 1.07, F: 0.57, B: 0.84, I: 1.39, K: 2.03, SE: 1.2, CL: 1.02, BR: 1.2 };
const ID = (i: number) => String.fromCharCode(65 + i);

export function completeHierarchy(text: string, file: string, reference: Structure): HierarchyResult {
  const p = parseMappingDocument(text, file);
  const mol = p.molecule;
  if (!mol || !p.moleculeName) throw new InputError('the mapping file has no valid `molecule:`/`atoms:`; fix the errors first', file, p.diagnostics[0]?.span.line);
  const a = reference.atoms;
  // First residue with this name.
  let rs = -1;
  for (let i = 0; i < a.count; i++) if (a.resName[i] === p.moleculeName) { rs = i; break; }
  if (rs < 0) throw new InputError(`residue ${p.moleculeName} does not occur in the reference ${reference.source}`, file, mol.span?.line);
  let re = rs + 1;
  while (re < a.count && a.resName[re] === a.resName[rs] && a.resSeq[re] === a.resSeq[rs] && a.chainId[re] === a.chainId[rs] && a.iCode[re] === a.iCode[rs]) re++;
  const refIdx = new Map<string, number>();
  for (let i = rs; i < re; i++) if (!refIdx.has(cgmapAtomName(a.name[i]))) refIdx.set(cgmapAtomName(a.name[i]), i);
  const pos = (ri: number): [number, number, number] => [reference.coords[3 * ri], reference.coords[3 * ri + 1], reference.coords[3 * ri + 2]];
  const elemOf = (ri: number) => (a.element[ri] || a.name[ri].replace(/^\d+/, '').slice(0, 1)).toUpperCase();
  const dist = (x: number, y: number) => {
    const [p1, p2] = [pos(x), pos(y)];
    return Math.hypot(p1[0] - p2[0], p1[1] - p2[1], p1[2] - p2[2]);
  };
  const bonded = (x: number, y: number) => {
    const r = (COVALENT[elemOf(x)] ?? 0.8) + (COVALENT[elemOf(y)] ?? 0.8) + 0.4;
    return dist(x, y) < r;
  };

  const notes: string[] = [];
  const paperStyle = mol.atoms.some((at) => at.membership.some((m) => m.rule?.level === 0));
  const rootLevel = paperStyle ? 0 : 1;
  // atom -> ref index
  const refOf = mol.atoms.map((at) => {
    for (const n of at.names) { const r = refIdx.get(n); if (r !== undefined) return r; }
    return -1;
  });
  // New rule per (atom, bead index in its membership): '' = no rule.
  const newRule = mol.atoms.map((at) => at.membership.map(() => ''));

  for (const bead of mol.beads) {
    const bi = (atom: number) => mol.atoms[atom].membership.findIndex((m) => m.bead === bead.name);
    const eligible = bead.members.filter((atom) => {
      const at = mol.atoms[atom];
      const m = at.membership[bi(atom)];
      const hydrogen = (refOf[atom] >= 0 ? elemOf(refOf[atom]) : at.element) === 'H';
      return !hydrogen || m.rule !== null; // hydrogens keep a rule only if they already had one
    });
    const present = eligible.filter((atom) => refOf[atom] >= 0);
    for (const atom of eligible) {
      if (refOf[atom] < 0 && mol.atoms[atom].membership[bi(atom)].rule) notes.push(`${mol.atoms[atom].names[0]} (bead ${bead.name}) is not in the reference residue; its rule was removed`);
    }
    if (!present.length) { notes.push(`bead ${bead.name}: no atom found in the reference; left unchanged`); continue; }
    // Root: CM atom, else nearest to the (mass-weighted) bead centre over present members.
    const cm = present.find((atom) => mol.atoms[atom].membership[bi(atom)].cm);
    let root = cm ?? -1;
    if (root < 0) {
      const c = [0, 0, 0];
      let ws = 0;
      bead.members.forEach((atom, k) => {
        const w = bead.weights[k];
        if (refOf[atom] < 0 || !(w > 0)) return;
        const q = pos(refOf[atom]);
        c[0] += w * q[0]; c[1] += w * q[1]; c[2] += w * q[2]; ws += w;
      });
      if (ws > 0) { c[0] /= ws; c[1] /= ws; c[2] /= ws; }
      let best = Infinity;
      for (const atom of present) {
        const q = pos(refOf[atom]);
        const d = Math.hypot(q[0] - c[0], q[1] - c[1], q[2] - c[2]);
        if (d < best) { best = d; root = atom; }
      }
    }
    // BFS over bonds within the bead's eligible atoms; unreachable atoms attach to the nearest placed atom.
    const level = new Map<number, number>([[root, rootLevel]]);
    const parent = new Map<number, number>();
    const orderAtoms: number[] = [root];
    const remaining = new Set(present.filter((x) => x !== root));
    let frontier = [root];
    while (remaining.size) {
      while (frontier.length) {
        const next: number[] = [];
        for (const u of frontier) {
          for (const v of present) {
            if (!remaining.has(v) || !bonded(refOf[u], refOf[v])) continue;
            remaining.delete(v);
            parent.set(v, u);
            level.set(v, level.get(u)! + 1);
            orderAtoms.push(v);
            next.push(v);
          }
        }
        frontier = next;
      }
      if (!remaining.size) break;
      // Disconnected within the bead: attach the closest remaining atom to its nearest placed atom.
      let bu = -1, bv = -1, bd = Infinity;
      for (const v of remaining) for (const u of orderAtoms) {
        const d = dist(refOf[u], refOf[v]);
        if (d < bd) { bd = d; bu = u; bv = v; }
      }
      remaining.delete(bv);
      parent.set(bv, bu);
      level.set(bv, level.get(bu)! + 1);
      orderAtoms.push(bv);
      frontier = [bv];
    }
    // IDs per level in BFS order (YAML order breaks ties inside a BFS layer); spill levels with > 26 atoms.
    const byLevel = new Map<number, number[]>();
    const sorted = [...orderAtoms].sort((x, y) => level.get(x)! - level.get(y)! || orderAtoms.indexOf(x) - orderAtoms.indexOf(y));
    for (const x of sorted) {
      const L = level.get(x)!;
      if (!byLevel.has(L)) byLevel.set(L, []);
      byLevel.get(L)!.push(x);
    }
    const idOf = new Map<number, string>();
    const finalLevel = new Map<number, number>();
    let L = rootLevel;
    let carry: number[] = [];
    const maxL = Math.max(...byLevel.keys());
    let spilled = false;
    while (L <= maxL || carry.length) {
      const atoms = [...carry, ...(byLevel.get(L) ?? [])];
      carry = atoms.slice(26);
      if (carry.length) spilled = true;
      atoms.slice(0, 26).forEach((x, i) => { idOf.set(x, ID(i)); finalLevel.set(x, L); });
      L++;
    }
    if (spilled) notes.push(`bead ${bead.name}: more than 26 atoms on a level; the extra atoms were moved one level deeper and anchored on the nearest atom of the level before (IDs stay single letters)`);
    for (const x of orderAtoms) {
      const fl = finalLevel.get(x)!;
      let rule: string;
      if (x === root) rule = `P${rootLevel}A`;
      else {
        // Anchor: the BFS parent if it sits on level fl−1 (else the nearest atom there: spilled atoms).
        let anc = parent.get(x)!;
        if (finalLevel.get(anc) !== fl - 1) {
          let bd = Infinity;
          for (const y of orderAtoms) if (finalLevel.get(y) === fl - 1) { const d = dist(refOf[x], refOf[y]); if (d < bd) { bd = d; anc = y; } }
        }
        // New style: level-1 root; level-2 atoms anchor on it (ID A at level 1).
        rule = `P${fl}${idOf.get(anc)}${idOf.get(x)}`;
      }
      newRule[x][bi(x)] = rule;
    }
  }

  // Edits: replace rule parts in place; append one field where a bead had none.
  const edits: TextEdit[] = [];
  for (const e of p.entries) {
    if (e.atom < 0) continue;
    const rules = newRule[e.atom];
    const n = e.beads.length;
    const missing: number[] = [];
    for (let i = 0; i < n; i++) {
      const part = e.ruleParts[i];
      if (part) {
        if (part.text !== rules[i]) edits.push({ start: part.start, end: part.end, newText: rules[i] });
      } else if (rules[i]) missing.push(i);
    }
    if (!missing.length) continue;
    // A field whose part i is empty for every missing bead and holds only rules/empties: fill it in place.
    const ruleField = e.fields.find((f) => f.parts.length >= n && f.parts.every((x) => x.text === '' || /^P\d/.test(x.text)));
    if (ruleField && missing.every((i) => ruleField.parts[i].text === '')) {
      const parts = ruleField.parts.map((x, i) => (missing.includes(i) ? rules[i] : x.text));
      // Drop the per-part edits already queued inside this field.
      for (let k = edits.length - 1; k >= 0; k--) if (edits[k].start >= ruleField.token.start && edits[k].end <= ruleField.token.end) edits.splice(k, 1);
      edits.push({ start: ruleField.token.start, end: ruleField.token.end, newText: parts.map((x, i) => (e.ruleParts[i] ? rules[i] : x)).join(',') });
      continue;
    }
    if (!e.value || text.slice(e.value.start, e.value.end) !== e.value.text) { notes.push(`${e.key.text}: value is not a plain one-line string; rule not added`); continue; }
    edits.push({ start: e.value.end, end: e.value.end, newText: ' ' + rules.map((r, i) => (missing.includes(i) ? r : '')).join(',') });
  }
  edits.sort((x, y) => x.start - y.start);
  return { edits, notes };
}

/** Apply non-overlapping edits to a text (helper for the CLI and tests). */
export function applyEdits(text: string, edits: TextEdit[]): string {
  let out = '';
  let at = 0;
  for (const e of [...edits].sort((x, y) => x.start - y.start)) {
    out += text.slice(at, e.start) + e.newText;
    at = e.end;
  }
  return out + text.slice(at);
}
