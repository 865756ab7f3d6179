/**
 * Residue matching of comparisons (src/core/residue-match.ts through metrics.ts): by number when chain IDs and
 * numbers agree, else by sequence alignment per chain — martinize2 renumbering (chain B going on at 22), GRO files
 * without chain IDs, a missing terminal residue, an internal gap, renamed chains of a homodimer — and a truly
 * different sequence recognised as such. Synthetic structures from the project's own peptide builder.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildPeptide } from '../../../src/core/chemistry/peptide';
import { StructureBuilder } from '../../../src/core/structure/builder';
import type { Structure } from '../../../src/core/structure/types';
import { chiAgreement, compareStructures, describeMatching, fullComparison, matchStructureResidues, SAME_SEQUENCE_IDENTITY } from '../../../src/core/metrics';
import { alignSequences, residueCode } from '../../../src/core/residue-match';

const SEQ_A = 'MQIFVKTLTGKTITLEVEPSDTIENVKAKIQDKEGIPPDQQRLIFAGKQLEDGRTLSDYNIQKESTLHLVLRLRGG'; // ubiquitin
const SEQ_B = 'GIVEQCCTSICSLYQLENYCN';

interface Edit {
  chainId?: string;
  resSeq?: number;
  resName?: string;
  /** Leave the residue out. */
  drop?: boolean;
}

/** A copy of `s` with residues renumbered, rechained, renamed or left out (keyed by the original chain and number). */
function edited(s: Structure, edit: (chainId: string, resSeq: number) => Edit | undefined, shift = [0, 0, 0]): Structure {
  const b = new StructureBuilder(s.atoms.count);
  const a = s.atoms;
  for (let i = 0; i < a.count; i++) {
    const e = edit(a.chainId[i], a.resSeq[i]) ?? {};
    if (e.drop) continue;
    b.addAtom({
      name: a.name[i], resName: e.resName ?? a.resName[i], chainId: e.chainId ?? a.chainId[i], resSeq: e.resSeq ?? a.resSeq[i],
      iCode: a.iCode[i], element: a.element[i],
      x: s.coords[3 * i] + shift[0], y: s.coords[3 * i + 1] + shift[1], z: s.coords[3 * i + 2] + shift[2],
    });
  }
  return b.build(s.source);
}

/** Chains one after the other in one structure (as a PDB file lists them). */
function joined(...parts: Structure[]): Structure {
  const b = new StructureBuilder();
  parts.forEach((s, k) => {
    const a = s.atoms;
    for (let i = 0; i < a.count; i++)
      b.addAtom({ name: a.name[i], resName: a.resName[i], chainId: a.chainId[i], resSeq: a.resSeq[i], iCode: a.iCode[i], element: a.element[i], x: s.coords[3 * i] + 40 * k, y: s.coords[3 * i + 1], z: s.coords[3 * i + 2] });
  });
  return b.build('joined');
}

const ubq = buildPeptide(SEQ_A, { chainId: 'A', phi: -65, psi: -40 });

test('alignSequences: identical, a missing N-terminal residue, an internal gap; the rest is not shifted', () => {
  const a = ['ALA', 'GLY', 'SER', 'LYS', 'PRO', 'TRP'];
  assert.deepEqual(alignSequences(a, a).pairs, a.map((_x, k) => [k, k]));
  assert.deepEqual(alignSequences(a.slice(1), a).pairs, [[0, 1], [1, 2], [2, 3], [3, 4], [4, 5]]);
  const gapped = [...a.slice(0, 2), ...a.slice(4)]; // SER LYS missing
  assert.deepEqual(alignSequences(gapped, a).pairs, [[0, 0], [1, 1], [2, 4], [3, 5]]);
  assert.deepEqual(alignSequences([], a).pairs, []);
  // protonation variants compare as their amino acid
  assert.equal(residueCode('HSD'), 'HIS');
  assert.equal(residueCode('CYX'), 'CYS');
  assert.equal(residueCode('ALA'), 'ALA');
});

test('same chain IDs and numbers: matched by number (the fast path), RMSD 0', () => {
  const m = matchStructureResidues(ubq, ubq);
  assert.equal(m.method, 'numbering');
  assert.equal(m.matched, 76);
  assert.equal(m.identity, 1);
  const c = compareStructures(ubq, ubq);
  assert.equal(c.rmsd_all, 0);
  assert.equal(c.residueMatch.method, 'numbering');
  assert.match(describeMatching(m)[0], /^residues matched by chain and residue number: 76 of 76 model residues/);
});

test('renumbered model (+100): matched by sequence, RMSD 0, the offset stated, per-residue rows carry both numbers', () => {
  const model = edited(ubq, (_c, n) => ({ resSeq: n + 100 }));
  const byNumber = compareStructures(model, ubq, { match: 'numbering' });
  assert.equal(byNumber.matched, 0, 'no residue numbers in common');
  const c = compareStructures(model, ubq);
  assert.equal(c.residueMatch.method, 'sequence');
  assert.equal(c.matched, ubq.atoms.count);
  assert.equal(c.rmsd_all, 0);
  assert.equal(c.missingInModel, 0);
  assert.equal(c.extraInModel, 0);
  const lines = describeMatching(c.residueMatch);
  assert.match(lines[0], /^residues matched by sequence alignment .*: 76 of 76 model residues \(reference 76\), 76 identical/);
  assert.match(lines[1], /model chain A 101–176 ↔ reference chain A 1–76: 76 residues, reference numbering differs by -100/);
  const row = c.perResidue.find((r) => r.resSeq === 10)!;
  assert.deepEqual(row.model, { chainId: 'A', resSeq: 110, iCode: '', resName: row.resName });
  // χ agreement follows the same matching
  assert.equal(chiAgreement(model, ubq).chi1.fraction, 1);
  const full = fullComparison(model, ubq);
  assert.equal(full.rmsd.rmsd_all, 0);
  assert.equal(full.rmsdSuperposed.superposition?.nCa, 76);
});

test('chain IDs removed (a GRO file): matched by sequence, same numbering', () => {
  const model = edited(ubq, () => ({ chainId: '' }));
  const c = compareStructures(model, ubq, { superpose: true });
  assert.equal(c.residueMatch.method, 'sequence');
  assert.equal(c.matched, ubq.atoms.count);
  assert.ok(c.rmsd_all < 1e-9);
  assert.match(describeMatching(c.residueMatch)[1], /model \(no chain ID\) 1–76 ↔ reference chain A 1–76: 76 residues, same numbering/);
  // --chain names the reference's chain; the model without chain IDs takes part whole
  assert.equal(compareStructures(model, ubq, { chain: 'A' }).matched, ubq.atoms.count);
});

test('a missing N-terminal residue with the numbering starting at 1 again: nothing shifts', () => {
  // the model lacks MET1 and numbers GLN2 as 1 (what a renumbering tool does)
  const model = edited(ubq, (_c, n) => (n === 1 ? { drop: true } : { resSeq: n - 1 }));
  const byNumber = compareStructures(model, ubq, { match: 'numbering' });
  assert.ok(byNumber.rmsd_all > 2, `numbering pairs neighbours: ${byNumber.rmsd_all}`);
  const c = compareStructures(model, ubq);
  assert.equal(c.residueMatch.method, 'sequence');
  assert.equal(c.residueMatch.matched, 75);
  assert.equal(c.residueMatch.identity, 1, 'identity over the shorter side');
  assert.equal(c.rmsd_all, 0);
  assert.ok(c.missingInModel > 0 && Number.isNaN(c.perResidue[0].rmsd), 'MET1 unmatched');
  assert.match(describeMatching(c.residueMatch)[1], /reference numbering differs by \+1/);
});

test('an internal gap (residues 30–34 missing) and renumbering: both sides of the gap match', () => {
  const model = edited(ubq, (_c, n) => (n >= 30 && n <= 34 ? { drop: true } : { resSeq: n < 30 ? n + 10 : n + 5 }));
  const c = compareStructures(model, ubq);
  assert.equal(c.residueMatch.method, 'sequence');
  assert.equal(c.residueMatch.matched, 71);
  assert.equal(c.rmsd_all, 0);
  assert.match(describeMatching(c.residueMatch)[1], /71 residues, renumbered/);
});

test('martinize2 style: chain B numbered on from chain A (22, 23, …) against a reference restarting at 1', () => {
  const ref = joined(buildPeptide(SEQ_B, { chainId: 'A' }), buildPeptide(SEQ_A.slice(0, 30), { chainId: 'B' }));
  const model = edited(ref, (c, n) => (c === 'B' ? { resSeq: n + SEQ_B.length } : undefined));
  const c = compareStructures(model, ref);
  assert.equal(c.residueMatch.method, 'sequence');
  assert.equal(c.matched, ref.atoms.count);
  assert.equal(c.rmsd_all, 0);
  const lines = describeMatching(c.residueMatch);
  assert.match(lines[1], /model chain A 1–21 ↔ reference chain A 1–21: 21 residues, same numbering/);
  assert.match(lines[2], /model chain B 22–51 ↔ reference chain B 1–30: 30 residues, reference numbering differs by -21/);
  // and a GRO of it: no chain IDs, numbering going on → one chain aligned against both
  const gro = edited(model, () => ({ chainId: '' }));
  const g = compareStructures(gro, ref);
  assert.equal(g.matched, ref.atoms.count);
  assert.equal(g.rmsd_all, 0);
  // a GRO whose numbering restarts per molecule: split into two chains at the restart
  const restart = edited(ref, () => ({ chainId: '' }));
  const r = compareStructures(restart, ref);
  assert.equal(r.residueMatch.method, 'sequence');
  assert.equal(r.matched, ref.atoms.count);
  assert.equal(r.rmsd_all, 0);
  assert.equal(r.residueMatch.chains.length, 2);
});

test('renamed chains: a homodimer pairs in order, chains in another order pair by sequence', () => {
  const mono = buildPeptide(SEQ_B, { chainId: 'A' });
  const ref = joined(mono, edited(mono, () => ({ chainId: 'B' })));
  const dimer = edited(ref, (c) => ({ chainId: c === 'A' ? 'C' : 'D' }));
  const c = compareStructures(dimer, ref);
  assert.equal(c.residueMatch.method, 'sequence');
  assert.deepEqual(c.residueMatch.chains.map((x) => `${x.modelChain}→${x.referenceChain}`), ['C→A', 'D→B']);
  assert.equal(c.rmsd_all, 0);
  // hetero complex listed B first in the model, chain IDs X/Y
  const hetero = joined(buildPeptide(SEQ_B, { chainId: 'A' }), buildPeptide(SEQ_A.slice(0, 40), { chainId: 'B' }));
  const swapped = joined(
    edited(hetero, (ch) => (ch === 'A' ? { drop: true } : { chainId: 'X' }), [-40, 0, 0]),
    edited(hetero, (ch) => (ch === 'B' ? { drop: true } : { chainId: 'Y' }), [-40, 0, 0]),
  );
  const h = compareStructures(swapped, hetero);
  assert.deepEqual(h.residueMatch.chains.map((x) => `${x.modelChain}→${x.referenceChain}`).sort(), ['X→B', 'Y→A']);
  assert.equal(h.matched, hetero.atoms.count);
});

test('a truly different sequence: identity far below the threshold, nothing claimed to match', () => {
  const other = buildPeptide('WWHHCCWWHHCCWWHHCCWWHHCCWWHHCCWW', { chainId: 'A' });
  const m = matchStructureResidues(other, ubq);
  assert.ok(m.identity < SAME_SEQUENCE_IDENTITY, `identity ${m.identity}`);
  // a point mutant stays above it (and is compared by number)
  const mutant = edited(ubq, (_c, n) => (n === 10 ? { resName: 'ALA' } : undefined));
  const mm = matchStructureResidues(mutant, ubq);
  assert.equal(mm.method, 'numbering');
  assert.ok(mm.identity >= SAME_SEQUENCE_IDENTITY && mm.identity < 1);
  assert.match(describeMatching(mm)[0], /1 with a different residue name/);
});
