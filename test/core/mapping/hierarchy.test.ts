// completeHierarchy: BFS over the bond graph from each bead's root; only rule tokens change; > 26 atoms per level.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { completeHierarchy, applyEdits } from '../../../src/core/mapping/hierarchy';
import { parseMappingDocument } from '../../../src/core/mapping/parse';
import { StructureBuilder } from '../../../src/core/structure/builder';
import { buildPeptide } from '../../../src/core/chemistry/peptide';
import { InputError } from '../../../src/core/errors';

const PHE_NO_RULES = `molecule: PHE
atoms:
  N:    BB
  H,HN: BB   !
  CA:   BB   # alpha carbon
  C:    BB
  O:    BB
  CB:   SC1
  CG:   SC1
  CD1:  SC1,SC2  1/3,2/3
  CE1:  SC2
  CZ:   SC2,SC3  1/2,1/2
  CD2:  SC1,SC3  1/3,2/3
  CE2:  SC3
`;

const stripRules = (t: string) => t.replace(/\s*P\d+[A-Z]+(,P\d+[A-Z]+|,)*/g, '');

test('completes a PHE mapping from an ideal peptide: clean, resolved, comments and order kept', () => {
  const ref = buildPeptide('AFA');
  const r = completeHierarchy(PHE_NO_RULES, 'phe.yaml', ref);
  const out = applyEdits(PHE_NO_RULES, r.edits);
  assert.match(out, /# alpha carbon/);
  const norm = (s: string) => stripRules(s).split('\n').map((l) => l.trimEnd()).join('\n');
  assert.equal(norm(out), norm(PHE_NO_RULES), 'only rule tokens were added');
  const p = parseMappingDocument(out, 'phe.yaml');
  assert.deepEqual(p.diagnostics.filter((d) => d.severity !== 'information').map((d) => `${d.code} ${d.message}`), []);
  const m = p.molecule!;
  for (const b of m.beads) {
    assert.ok(b.slots.length > 0, b.name);
    assert.ok(b.slots.every((s) => s.resolved), b.name);
  }
  // Every non-root atom is anchored on an atom bonded to it (≤ 1.9 Å) — BFS over bonds.
  const idx = new Map<string, number>();
  for (let i = 0; i < ref.atoms.count; i++) if (ref.atoms.resSeq[i] === 2) idx.set(ref.atoms.name[i], i);
  const d = (a: string, b: string) => {
    const i = idx.get(a)!, j = idx.get(b)!;
    const c = ref.coords;
    return Math.hypot(c[3 * i] - c[3 * j], c[3 * i + 1] - c[3 * j + 1], c[3 * i + 2] - c[3 * j + 2]);
  };
  for (const b of m.beads) for (const s of b.slots) {
    if (s.anchor === b.slots.indexOf(s)) continue;
    const a = m.atoms[s.atom].names[0];
    const anc = m.atoms[b.slots[s.anchor].atom].names[0];
    assert.ok(d(a, anc) < 1.9, `${a} anchored on ${anc} in ${b.name} at ${d(a, anc).toFixed(2)} Å`);
  }
  // Hydrogen with '!' and no rule stays without a rule.
  assert.equal(m.atoms[1].membership[0].rule, null);
});

test('paper style (level 0) is kept when the file already uses it; existing rules are rewritten in place', () => {
  const t = 'molecule: ALA\natoms:\n  N:  BB P1AB\n  CA: BB P0A CM\n  C:  BB P1AA\n  O:  BB P2AA\n  CB: BB\n';
  const r = completeHierarchy(t, 'ala.yaml', buildPeptide('GAG'));
  const out = applyEdits(t, r.edits);
  const m = parseMappingDocument(out, 'a').molecule!;
  const bb = m.beads[0];
  const root = bb.slots.find((s) => s.local === 0)!;
  assert.equal(m.atoms[root.atom].names[0], 'CA');
  assert.equal(root.level, 0);
  assert.ok(bb.slots.every((s) => s.resolved));
  assert.equal(bb.slots.length, 5);
  assert.match(out, /CA: BB P0A CM/);
});

test('more than 26 atoms on a level spill into the next level; IDs stay single letters', () => {
  const b = new StructureBuilder();
  const n = 30;
  b.addAtom({ name: 'C0', resName: 'STR', resSeq: 1, element: 'C', x: 0, y: 0, z: 0 });
  for (let i = 1; i <= n; i++) {
    // Fibonacci sphere, 1.5 Å from the centre: all bonded to C0.
    const y = 1 - (2 * (i - 0.5)) / n;
    const r = Math.sqrt(1 - y * y);
    const th = i * Math.PI * (3 - Math.sqrt(5));
    b.addAtom({ name: `C${i}`, resName: 'STR', resSeq: 1, element: 'C', x: 1.5 * r * Math.cos(th), y: 1.5 * y, z: 1.5 * r * Math.sin(th) });
  }
  const ref = b.build('star.pdb');
  const text = `molecule: STR\natoms:\n  C0: S1 CM\n${Array.from({ length: n }, (_, i) => `  C${i + 1}: S1\n`).join('')}`;
  const res = completeHierarchy(text, 'star.yaml', ref);
  assert.ok(res.notes.some((x) => /more than 26/.test(x)));
  const out = applyEdits(text, res.edits);
  assert.ok(!/P\d+[A-Z]{3,}/.test(out), 'no multi-letter IDs');
  const p = parseMappingDocument(out, 'star.yaml');
  assert.deepEqual(p.diagnostics.filter((d) => d.severity !== 'information').map((d) => d.code), []);
  const s1 = p.molecule!.beads[0];
  assert.equal(s1.slots.length, n + 1);
  assert.ok(s1.slots.every((s) => s.resolved));
  assert.equal(s1.slots.filter((s) => s.level === 2).length, 26);
  assert.equal(s1.slots.filter((s) => s.level === 3).length, 4);
});

test('a residue absent from the reference is an InputError naming the file', () => {
  assert.throws(() => completeHierarchy(PHE_NO_RULES, 'phe.yaml', buildPeptide('AAA')), (e: unknown) => e instanceof InputError && /phe\.yaml/.test(e.message) && /PHE/.test(e.message));
});
