// A UCG model stage's pure core (src/core/ucg/stage.ts, map.ts): the slot table for a C-alpha and an all-atom target,
// the training sample and the reconstruction (with the sample's own true vectors they give back the true atoms),
// bead chains, the mapping planned on a structure (and every refusal of a mapping that would map silently wrong),
// bead positions, and the UCG structure with its checks. Structures are the project's ideal peptides, read back
// from PDB text so that messages can name lines.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildPeptide } from '../../../src/core/chemistry/peptide';
import { InputError, type InputWarning } from '../../../src/core/errors';
import { loadMappingChecked } from '../../../src/core/pipeline/plan';
import { residuesOf, StructureBuilder } from '../../../src/core/structure/builder';
import { parsePdb, formatPdb } from '../../../src/core/structure/pdb';
import type { Structure } from '../../../src/core/structure/types';
import { parseUcgMapping, type UcgMapping } from '../../../src/core/ucg/format';
import { beadChains, looksUcg, planUcg, ucgBeadAtoms, ucgBeadCoords, ucgStructure, UCG_RESNAME, type UcgResidue } from '../../../src/core/ucg/map';
import { beadChainIndex, reconstructUcg, ucgSample, ucgSlotTable, type UcgTarget } from '../../../src/core/ucg/stage';
import { assertInputError } from '../../helpers/io';

const SEQ_A = 'MKGLAW';
const SEQ_B = 'DEFS';

/** Chain A (MKGLAW, helix) and chain B (DEFS, extended, 20 Å away), as a PDB file read back (source lines set). */
function twoChains(drop?: { chain: string; resSeq: number; name: string }): Structure {
  const a = buildPeptide(SEQ_A, { chainId: 'A' });
  const b = buildPeptide(SEQ_B, { chainId: 'B', phi: -120, psi: 130 });
  const out = new StructureBuilder();
  for (const [s, shift] of [[a, 0], [b, 20]] as const)
    for (let i = 0; i < s.atoms.count; i++) {
      const at = s.atoms;
      if (drop && at.chainId[i] === drop.chain && at.resSeq[i] === drop.resSeq && at.name[i] === drop.name) continue;
      out.addAtom({ name: at.name[i], resName: at.resName[i], chainId: at.chainId[i], resSeq: at.resSeq[i], element: at.element[i], x: s.coords[3 * i] + shift, y: s.coords[3 * i + 1], z: s.coords[3 * i + 2] });
    }
  return parsePdb(formatPdb(out.build('toy.pdb', 'two chains')), 'toy.pdb');
}

const MAPPING = `format: backmap-ucg/1
name: toy
sequence:
  A: ${SEQ_A}
  B: ${SEQ_B}
beads:
  B1: A:1-2
  B2: A:3-6
  B3: B:1-4
`;
const parse = (text: string): UcgMapping => {
  const m = parseUcgMapping(text, 'toy.ucg.yaml');
  assert.deepEqual(m.diagnostics.filter((d) => d.severity === 'error'), [], 'the test mapping must parse');
  return m;
};
/** 1-based line of `text` holding `needle`. */
const lineOfText = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;

/** Heavy atoms of residue (chain, number) of `s` by name. */
function atomsOf(s: Structure, chain: string, resSeq: number): Map<string, [number, number, number]> {
  const m = new Map<string, [number, number, number]>();
  for (let i = 0; i < s.atoms.count; i++)
    if (s.atoms.chainId[i] === chain && s.atoms.resSeq[i] === resSeq) m.set(s.atoms.name[i], [s.coords[3 * i], s.coords[3 * i + 1], s.coords[3 * i + 2]]);
  return m;
}

test('ucgSlotTable, target ca: one CA slot per residue on its bead, recentring weights 1/n', () => {
  const s = twoChains();
  const plan = planUcg(s, parse(MAPPING));
  const t = ucgSlotTable(plan.residues, 3, 'ca');
  assert.equal(t.target, 'ca');
  assert.deepEqual(t.beads.map((b) => b.length), [2, 4, 4]);
  assert.equal(t.R, 4);
  assert.equal(t.maxLevel, 1);
  t.beads.forEach((slots, b) =>
    slots.forEach((slot, k) => {
      assert.equal(slot.atom, 'CA');
      assert.equal(slot.level, 1);
      assert.equal(slot.anchor, k, 'a CA is anchored on its own slot, i.e. on the bead');
      assert.equal(plan.residues[slot.residue].bead, b);
      assert.ok(Math.abs(slot.weight - 1 / slots.length) < 1e-12);
    }),
  );
  // Every covered residue has exactly one slot.
  assert.deepEqual(t.beads.flat().map((x) => x.residue).sort((x, y) => x - y), plan.residues.map((_, i) => i));
});

test('ucgSlotTable, target atoms: every heavy atom but OXT, anchors inside the residue, weights 1/n on CA only', () => {
  const s = twoChains();
  const plan = planUcg(s, parse(MAPPING));
  const t = ucgSlotTable(plan.residues, 3, 'atoms', loadMappingChecked('ca'));
  // Expected slots per bead: the residues' heavy atoms in the structure (ideal peptides), OXT left out.
  const expected = [0, 0, 0];
  for (const r of residuesOf(s.atoms)) {
    const k = plan.residues.findIndex((x) => x.chainId === r.chainId && x.resSeq === r.resSeq);
    for (let i = r.start; i < r.end; i++) if (s.atoms.name[i] !== 'OXT' && s.atoms.element[i] !== 'H') expected[plan.residues[k].bead]++;
  }
  assert.deepEqual(t.beads.map((b) => b.length), expected);
  assert.equal(t.R, Math.max(...expected));
  assert.ok(t.maxLevel >= 3, `side chains make deeper levels (got ${t.maxLevel})`);
  t.beads.forEach((slots) => {
    const cas = slots.filter((x) => x.atom === 'CA');
    assert.equal(cas.length, new Set(slots.map((x) => x.residue)).size, 'one CA per residue');
    slots.forEach((slot, k) => {
      assert.notEqual(slot.atom, 'OXT');
      if (slot.atom === 'CA') {
        assert.equal(slot.level, 1);
        assert.equal(slot.anchor, k);
        assert.ok(Math.abs(slot.weight - 1 / cas.length) < 1e-12);
        return;
      }
      assert.equal(slot.weight, 0, `${slot.atom} carries no recentring weight`);
      const anchor = slots[slot.anchor];
      assert.ok(anchor, `${slot.atom}: anchor ${slot.anchor} is a slot of the bead`);
      assert.equal(anchor.residue, slot.residue, `${slot.atom} is anchored inside its residue`);
      assert.equal(anchor.level, slot.level - 1, `${slot.atom} hangs from the level above`);
    });
    // Every atom of every residue of the structure is there by name.
    for (const res of new Set(slots.map((x) => x.residue))) {
      const r = plan.residues[res];
      const names = [...atomsOf(s, r.chainId, r.resSeq).keys()].filter((n) => n !== 'OXT').sort();
      assert.deepEqual(slots.filter((x) => x.residue === res).map((x) => x.atom).sort(), names, `${r.resName} ${r.chainId}${r.resSeq}`);
    }
  });
});

test('ucgSlotTable, target atoms: a residue the C-alpha mapping does not know is refused', () => {
  const residues: UcgResidue[] = [{ chainId: 'A', resSeq: 1, iCode: '', resName: 'XYZ', bead: 0 }];
  assert.throws(() => ucgSlotTable(residues, 1, 'atoms', loadMappingChecked('ca')), (e: unknown) => e instanceof InputError && /XYZ A1 has no heavy-atom hierarchy/.test(e.message));
});

for (const target of ['ca', 'atoms'] as UcgTarget[]) {
  test(`ucgSample + reconstructUcg (${target}): the sample's true vectors rebuild the true atoms within 1e-4 Å`, () => {
    const s = twoChains();
    const m = parse(MAPPING);
    const plan = planUcg(s, m);
    const nB = m.beads.length;
    const table = ucgSlotTable(plan.residues, nB, target, target === 'atoms' ? loadMappingChecked('ca') : undefined);
    const beads = ucgBeadCoords(plan, s.coords);
    const chains = beadChainIndex(plan.residues, nB);
    const lookup = plan.residues.map((r) => atomsOf(s, r.chainId, r.resSeq));
    const sample = ucgSample(table, plan.residues, chains, beads, (r, atom) => lookup[r].get(atom) ?? null);
    const nSlots = table.beads.reduce((n, b) => n + b.length, 0);
    assert.equal(sample.nBeads, nB);
    assert.equal(sample.nAtoms, nSlots);
    assert.equal(sample.target.length, nB * table.R * 3);
    assert.equal(sample.slotExists.reduce((a, b) => a + b, 0), nSlots);
    assert.deepEqual(sample.slotMask, sample.slotExists, 'every existing slot has a true atom');
    assert.deepEqual([...sample.beadType], [0, 1, 2]);
    assert.deepEqual([...sample.chainIndex], [0, 0, 1]);
    assert.ok(sample.bonds.length > 0, 'bonds for the loss');

    const out = reconstructUcg(table, plan.residues, beads, sample.target, 'rebuilt.pdb');
    assert.equal(out.atoms.count, nSlots);
    let worst = 0;
    let lastResidue = -1;
    for (let i = 0; i < out.atoms.count; i++) {
      const chain = out.atoms.chainId[i], resSeq = out.atoms.resSeq[i];
      const k = plan.residues.findIndex((r) => r.chainId === chain && r.resSeq === resSeq);
      assert.ok(k >= lastResidue, 'atoms come in residue order');
      lastResidue = k;
      assert.equal(out.atoms.resName[i], plan.residues[k].resName);
      const truth = lookup[k].get(out.atoms.name[i]);
      assert.ok(truth, `${out.atoms.name[i]} of ${chain}${resSeq} exists in the input`);
      for (let c = 0; c < 3; c++) worst = Math.max(worst, Math.abs(out.coords[3 * i + c] - truth[c]));
    }
    assert.ok(worst < 1e-4, `largest deviation ${worst} Å`);
    if (target === 'ca') assert.deepEqual(new Set(Array.from({ length: out.atoms.count }, (_, i) => out.atoms.name[i])), new Set(['CA']));
  });
}

test('reconstructUcg recentres each bead on its CA centroid whatever the vectors', () => {
  const s = twoChains();
  const m = parse(MAPPING);
  const plan = planUcg(s, m);
  const table = ucgSlotTable(plan.residues, 3, 'ca');
  const beads = ucgBeadCoords(plan, s.coords);
  // Vectors that all point 5 Å along x: the bead's CA atoms land on one point, shifted back onto the bead.
  const vectors = new Float32Array(3 * table.R * 3);
  for (let o = 0; o < vectors.length; o += 3) vectors[o] = 5;
  const out = reconstructUcg(table, plan.residues, beads, vectors, 'x.pdb');
  for (let i = 0; i < out.atoms.count; i++) {
    const b = plan.residues[i].bead;
    for (let c = 0; c < 3; c++) assert.ok(Math.abs(out.coords[3 * i + c] - beads[3 * b + c]) < 1e-9);
  }
});

test('beadChainIndex: chains numbered in order of appearance, a bead takes its first residue\'s chain', () => {
  const r = (chainId: string, resSeq: number, bead: number): UcgResidue => ({ chainId, resSeq, iCode: '', resName: 'ALA', bead });
  // Chain B first in the file, then A; bead 2 starts in chain A and runs into B.
  const residues = [r('B', 1, 0), r('B', 2, 0), r('A', 1, 1), r('A', 2, 2), r('B', 3, 2), r('B', 4, 3)];
  assert.deepEqual([...beadChainIndex(residues, 4)], [0, 1, 1, 0]);
  const plan = planUcg(twoChains(), parse(MAPPING));
  assert.deepEqual([...beadChainIndex(plan.residues, 3)], [0, 0, 1]);
  assert.deepEqual(beadChains(plan), ['A', 'A', 'B']);
});

test('planUcg: residues in structure order with their beads; ucgBeadCoords is the mean of the members\' CA atoms', () => {
  const s = twoChains();
  const plan = planUcg(s, parse(MAPPING));
  assert.deepEqual(plan.residues.map((r) => `${r.chainId}${r.resSeq}${r.resName}:${r.bead}`), [
    'A1MET:0', 'A2LYS:0', 'A3GLY:1', 'A4LEU:1', 'A5ALA:1', 'A6TRP:1', 'B1ASP:2', 'B2GLU:2', 'B3PHE:2', 'B4SER:2',
  ]);
  assert.deepEqual(plan.beadMembers, [[0, 1], [2, 3, 4, 5], [6, 7, 8, 9]]);
  assert.deepEqual(plan.uncovered, []);
  plan.residues.forEach((r, k) => assert.equal(s.atoms.name[plan.caAtom[k]], 'CA'));
  const beads = ucgBeadCoords(plan, s.coords);
  const members = [['A', [1, 2]], ['A', [3, 4, 5, 6]], ['B', [1, 2, 3, 4]]] as const;
  members.forEach(([chain, list], b) => {
    const mean = [0, 0, 0];
    for (const n of list) atomsOf(s, chain, n).get('CA')!.forEach((v, c) => (mean[c] += v / list.length));
    for (let c = 0; c < 3; c++) assert.ok(Math.abs(beads[3 * b + c] - mean[c]) < 1e-9, `bead ${b + 1} coordinate ${c}`);
  });
});

test('planUcg refuses a range that matches no residue, naming the mapping file and the line of the range', () => {
  const text = MAPPING + '  B4: A:50-60\n';
  assertInputError(() => planUcg(twoChains(), parse(text)), 'toy.ucg.yaml', lineOfText(text, 'A:50-60'), /bead B4: no residue of toy\.pdb lies in A:50-60/);
});

test('planUcg refuses a residue without CA, naming the structure line of the residue', () => {
  const s = twoChains({ chain: 'A', resSeq: 4, name: 'CA' });
  const first = Array.from({ length: s.atoms.count }, (_, i) => i).find((i) => s.atoms.chainId[i] === 'A' && s.atoms.resSeq[i] === 4)!;
  assertInputError(() => planUcg(s, parse(MAPPING)), 'toy.pdb', s.atoms.sourceLine[first], /residue LEU A:4 of bead B2 has no CA atom/);
});

test('planUcg refuses a sequence other than the mapping\'s, naming the first residue that differs', () => {
  const s = twoChains();
  const text = MAPPING.replace(`A: ${SEQ_A}`, 'A: MKGLAY');
  const first = Array.from({ length: s.atoms.count }, (_, i) => i).find((i) => s.atoms.chainId[i] === 'A' && s.atoms.resSeq[i] === 6)!;
  assertInputError(() => planUcg(s, parse(text)), 'toy.pdb', s.atoms.sourceLine[first], /chain A: .*differ from the mapping's sequence \(6\) at position 6 \(TRP A:6, mapping has Y\).*another protein/);
  // A sequence shorter than the chain: the same refusal (the mapping was made for another protein).
  const short = MAPPING.replace(`B: ${SEQ_B}`, 'B: DEF');
  assertInputError(() => planUcg(s, parse(short)), 'toy.pdb', undefined, /chain B: the structure's residues \(4\) differ from the mapping's sequence \(3\) at position 4/);
});

test('planUcg warns about residues with a CA that no bead holds, and leaves them out', () => {
  const s = twoChains();
  const text = `format: backmap-ucg/1\nbeads:\n  B1: A:1-2\n  B2: A:3-4\n  B3: B:1-4\n`;
  const warnings: InputWarning[] = [];
  const plan = planUcg(s, parse(text), (w) => warnings.push(w));
  assert.equal(warnings.length, 1);
  assert.match(warnings[0].message, /^2 residue\(s\) with a CA are in no bead of toy\.ucg\.yaml \(first ALA A:5\)/);
  assert.equal(warnings[0].file, 'toy.pdb');
  assert.ok(warnings[0].line! > 0);
  assert.deepEqual(plan.uncovered.map((r) => r.resSeq), [5, 6]);
  assert.equal(plan.residues.length, 8);
  // Fully covered: no warning.
  const none: InputWarning[] = [];
  planUcg(s, parse(MAPPING), (w) => none.push(w));
  assert.deepEqual(none, []);
});

test('ucgStructure: one pseudo-atom per bead (residue UCG, atom name = bead name), one model per frame; looksUcg', () => {
  const s = twoChains();
  const m = parse(MAPPING);
  const plan = planUcg(s, m);
  const f0 = ucgBeadCoords(plan, s.coords);
  const f1 = f0.map((v) => v + 1);
  const u = ucgStructure(m, beadChains(plan), [f0, f1], 'toy.pdb');
  assert.equal(u.atoms.count, 3);
  assert.deepEqual(Array.from({ length: 3 }, (_, i) => [u.atoms.name[i], u.atoms.resName[i], u.atoms.chainId[i], u.atoms.resSeq[i]]), [
    ['B1', UCG_RESNAME, 'A', 1], ['B2', UCG_RESNAME, 'A', 2], ['B3', UCG_RESNAME, 'B', 3],
  ]);
  assert.equal(u.models.length, 2);
  assert.deepEqual([...u.coords], [...f0]);
  assert.deepEqual([...u.models[1]], [...f1]);
  assert.equal(looksUcg(u), true);
  assert.equal(looksUcg(s), false);
  assert.equal(looksUcg(new StructureBuilder().build('empty.pdb')), false);
  // Read back from PDB: still UCG, beads in order.
  const back = parsePdb(formatPdb(u), 'u.pdb');
  assert.equal(looksUcg(back), true);
  assert.deepEqual([...ucgBeadAtoms(back, m, 'model X')], [0, 1, 2]);
});

test('ucgBeadAtoms refuses a wrong bead count, a wrong order and a non-UCG structure, naming expected and got', () => {
  const s = twoChains();
  const m = parse(MAPPING);
  const plan = planUcg(s, m);
  const beads = ucgBeadCoords(plan, s.coords);
  const pdbOf = (names: string[]) => {
    const b = new StructureBuilder();
    names.forEach((name, k) => b.addAtom({ name, resName: UCG_RESNAME, chainId: 'A', resSeq: k + 1, x: beads[3 * (k % 3)], y: beads[3 * (k % 3) + 1], z: beads[3 * (k % 3) + 2] }));
    return parsePdb(formatPdb(b.build('beads.pdb')), 'beads.pdb');
  };
  const swapped = pdbOf(['B2', 'B1', 'B3']);
  assertInputError(() => ucgBeadAtoms(swapped, m, 'model X'), 'beads.pdb', swapped.atoms.sourceLine[0], /model X takes the 3 beads of its UCG mapping 'toy' \(B1, B2, B3…\), but this file has 3 bead\(s\); bead 1 is 'B2', expected 'B1'/);
  const short = pdbOf(['B1', 'B2']);
  assertInputError(() => ucgBeadAtoms(short, m, 'model X'), 'beads.pdb', undefined, /takes the 3 beads .* but this file has 2 bead\(s\)/);
  const long = pdbOf(['B1', 'B2', 'B3', 'B4']);
  assertInputError(() => ucgBeadAtoms(long, m, 'model X'), 'beads.pdb', long.atoms.sourceLine[3], /this file has 4 bead\(s\); bead 4 is 'B4', expected 'none'/);
  const aa = twoChains();
  assertInputError(() => ucgBeadAtoms(aa, m, 'model X'), 'toy.pdb', aa.atoms.sourceLine[0], /model X takes UCG beads .* but this file holds MET residues/);
});
