// backmap coarsen's core (src/core/ucg/coarsen.ts) on synthetic structures: optimal contiguous segments (by hand and
// against brute force), every model used as a frame, the spatial method on interleaved clusters, no empty bead,
// beads shared among chains, and the input errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildPeptide } from '../../../src/core/chemistry/peptide';
import { InputError } from '../../../src/core/errors';
import { StructureBuilder } from '../../../src/core/structure/builder';
import type { Structure } from '../../../src/core/structure/types';
import { allocateBeads, capacitatedKMeans, coarsenStructure, optimalSegments } from '../../../src/core/ucg/coarsen';
import { parseUcgMapping, residueInRange, type UcgMapping } from '../../../src/core/ucg/format';
import { planUcg } from '../../../src/core/ucg/map';
import { rng } from '../../helpers/rng';

type P = [number, number, number];
interface Res { chain?: string; resSeq?: number; iCode?: string; resName?: string; at: P }

/** A C-alpha structure (one CA per residue); `more` are extra models with the same atoms. */
function caStructure(residues: Res[], more: P[][] = []): Structure {
  const b = new StructureBuilder();
  residues.forEach((r, i) => b.addAtom({ name: 'CA', element: 'C', resName: r.resName ?? 'ALA', chainId: r.chain ?? 'A', resSeq: r.resSeq ?? i + 1, iCode: r.iCode, x: r.at[0], y: r.at[1], z: r.at[2] }));
  return b.build('toy.pdb', '', null, more.map((m) => Float64Array.from(m.flat())));
}
const line = (xs: number[], chain = 'A'): Res[] => xs.map((x) => ({ chain, at: [x, 0, 0] }));

/** Which bead holds each residue of `s` (by reading the mapping back, as every user of the file will). */
function beadOfEach(m: UcgMapping, s: Structure): string[] {
  const out: string[] = [];
  for (let i = 0; i < s.atoms.count; i++) {
    if (s.atoms.name[i] !== 'CA') continue;
    const ref = { chainId: s.atoms.chainId[i], resSeq: s.atoms.resSeq[i], iCode: s.atoms.iCode[i] };
    const holders = m.beads.filter((b) => b.ranges.some((r) => residueInRange(ref, r))).map((b) => b.name);
    assert.equal(holders.length, 1, `residue ${ref.chainId}:${ref.resSeq}${ref.iCode} in ${holders.join(',') || 'no bead'}`);
    out.push(holders[0]);
  }
  return out;
}

test('segments: the hand-checkable toy case (two clumps on a line) and its spread', () => {
  const s = caStructure(line([0, 1, 2, 10, 11, 12]));
  const r = coarsenStructure(s, { beads: 2 });
  assert.match(r.text, /\n {2}U1: A:1-3\n {2}U2: A:4-6\n$/);
  assert.deepEqual([r.beads, r.residues, r.meanResiduesPerBead], [2, 6, 3]);
  // Each clump: deviations −1, 0, 1 from its centre → Σ d² = 4 over 6 residues.
  assert.ok(Math.abs(r.spread - Math.sqrt(4 / 6)) < 1e-9, String(r.spread));
  assert.deepEqual(r.mapping.diagnostics, []);
  assert.equal(r.mapping.method, 'segments');
  assert.deepEqual(r.mapping.sequence, { A: 'AAAAAA' });
  assert.match(r.text, /^# UCG mapping of toy \(backmap coarsen --beads 2 --method segments\)\n/);
});

test('segments are optimal: equal to brute force over every segmentation (2 frames, random coordinates)', () => {
  const rand = rng(7);
  const n = 9, k = 3;
  const frames = [0, 1].map(() => Float64Array.from({ length: 3 * n }, () => rand() * 20));
  const cost = (starts: number[]) => {
    let total = 0;
    for (const x of frames) {
      for (let t = 0; t < starts.length; t++) {
        const from = starts[t], to = t + 1 < starts.length ? starts[t + 1] : n;
        const c = [0, 1, 2].map((d) => { let m = 0; for (let i = from; i < to; i++) m += x[3 * i + d]; return m / (to - from); });
        for (let i = from; i < to; i++) for (let d = 0; d < 3; d++) total += (x[3 * i + d] - c[d]) ** 2;
      }
    }
    return total;
  };
  let best = Infinity;
  for (let a = 1; a < n; a++) for (let b = a + 1; b < n; b++) best = Math.min(best, cost([0, a, b]));
  const got = optimalSegments(frames, n, k);
  assert.equal(got.length, k);
  assert.equal(got[0], 0);
  assert.ok(got.every((s, i) => i === 0 || s > got[i - 1]), 'contiguous, in order');
  assert.ok(Math.abs(cost(got) - best) < 1e-9, `${cost(got)} vs brute force ${best}`);
});

test('segments use every model: a hinge that moves in model 2 decides the split', () => {
  // Model 1: eight residues evenly on a line (4|4 is best). Model 2: residues 4–8 swing 50 Å away (3|5 is best).
  const xs = [0, 3.8, 7.6, 11.4, 15.2, 19, 22.8, 26.6];
  const single = coarsenStructure(caStructure(line(xs)), { beads: 2 });
  assert.match(single.text, /U1: A:1-4\n {2}U2: A:5-8\n$/);
  const moved: P[] = xs.map((x, i) => (i < 3 ? [x, 0, 0] : [x, 50, 0]));
  const ensemble = coarsenStructure(caStructure(line(xs), [moved]), { beads: 2 });
  assert.match(ensemble.text, /U1: A:1-3\n {2}U2: A:4-8\n$/);
  assert.match(ensemble.text, /2 frame\(s\)/);
});

test('spatial: interleaved residues of two far-apart clusters go to two beads; segments cannot', () => {
  const rand = rng(3);
  // Residue i sits in cluster i % 2 (100 Å apart), a little jitter each.
  const res: Res[] = Array.from({ length: 12 }, (_, i) => ({ at: [100 * (i % 2) + rand(), rand(), rand()] }));
  const s = caStructure(res);
  const r = coarsenStructure(s, { beads: 2, method: 'spatial' });
  assert.deepEqual(r.mapping.diagnostics, []);
  assert.equal(r.mapping.method, 'spatial');
  assert.deepEqual(beadOfEach(r.mapping, s), res.map((_, i) => (i % 2 ? 'U2' : 'U1')), 'U1 holds residue 1 (beads ordered by first residue)');
  assert.match(r.text, /U1: A:1, A:3, A:5, A:7, A:9, A:11\n/);
  assert.ok(r.spread < 1.5, String(r.spread));
  const seg = coarsenStructure(s, { beads: 2 });
  assert.ok(seg.spread > 40, 'contiguous segments mix the clusters');
});

test('spatial never leaves a bead empty and keeps each bead within ceil(1.5·L/N)', () => {
  const rand = rng(11);
  // A tight clump plus a few outliers: plain k-means would empty beads or pile residues into one.
  const res: Res[] = [
    ...Array.from({ length: 17 }, () => ({ at: [rand(), rand(), rand()] as P })),
    { at: [60, 0, 0] }, { at: [0, 60, 0] }, { at: [0, 0, 60] },
  ];
  const s = caStructure(res);
  for (const beads of [1, 2, 5, 7, 13, 20]) {
    const r = coarsenStructure(s, { beads, method: 'spatial' });
    const owner = beadOfEach(r.mapping, s);
    const sizes = r.mapping.beads.map((b) => owner.filter((o) => o === b.name).length);
    assert.equal(r.mapping.beads.length, beads);
    assert.ok(sizes.every((n) => n >= 1), `no empty bead at N=${beads}: ${sizes}`);
    assert.ok(sizes.every((n) => n <= Math.ceil((1.5 * 20) / beads)), `cap at N=${beads}: ${sizes}`);
    const firsts = r.mapping.beads.map((b) => owner.indexOf(b.name));
    assert.deepEqual(firsts, [...firsts].sort((a, b) => a - b), 'beads ordered by their first residue');
  }
  // Straight from a start with every residue in bead 0.
  const x = Float64Array.from(res.flatMap((r) => r.at));
  const a = capacitatedKMeans(x, new Int32Array(20), 4, 8);
  const sizes = [0, 1, 2, 3].map((b) => a.filter((v) => v === b).length);
  assert.ok(sizes.every((n) => n >= 1 && n <= 8), String(sizes));
});

test('beads shared among chains in proportion to their residues, at least one each', () => {
  assert.deepEqual(allocateBeads([20, 10, 2], 6), [3, 2, 1]);
  assert.deepEqual(allocateBeads([1, 100], 2), [1, 1]);
  assert.deepEqual(allocateBeads([5, 5], 10), [5, 5]);
  assert.deepEqual(allocateBeads([30, 10], 4), [3, 1]);
  const res = [...line(Array.from({ length: 20 }, (_, i) => 3.8 * i), 'A'), ...line(Array.from({ length: 10 }, (_, i) => 3.8 * i), 'B'), ...line([0, 3.8], 'C')]
    .map((r, i) => ({ ...r, at: [r.at[0], 10 * 'ABC'.indexOf(r.chain!), i % 3] as P }));
  const s = caStructure(res.map((r, i) => ({ ...r, resSeq: i < 20 ? i + 1 : i < 30 ? i - 19 : i - 29 })));
  const r = coarsenStructure(s, { beads: 6 });
  const chainsOf = r.mapping.beads.map((b) => [...new Set(b.ranges.map((x) => x.chainId))].join(''));
  assert.deepEqual(chainsOf, ['A', 'A', 'A', 'B', 'B', 'C']);
  assert.deepEqual(r.mapping.sequence, { A: 'A'.repeat(20), B: 'A'.repeat(10), C: 'AA' });
  beadOfEach(r.mapping, s);
});

test('all-atom input: one residue per CA, names mapped to one-letter codes, a calcium ion is not a residue', () => {
  const pep = buildPeptide('MKVLAAGIVGHH', { chainId: 'A' });
  const r = coarsenStructure(pep, { beads: 3, name: 'pep' });
  assert.equal(r.residues, 12);
  assert.deepEqual(r.mapping.sequence, { A: 'MKVLAAGIVGHH' });
  assert.equal(r.mapping.name, 'pep');
  const s = caStructure([
    { resName: 'HSD', at: [0, 0, 0] }, { resName: 'MSE', at: [3.8, 0, 0] }, { resName: 'UNK', at: [7.6, 0, 0] }, { resName: 'GLY', at: [11.4, 0, 0] },
  ]);
  const b = new StructureBuilder();
  for (let i = 0; i < s.atoms.count; i++) b.addAtom({ name: 'CA', element: 'C', resName: s.atoms.resName[i], chainId: 'A', resSeq: i + 1, x: 3.8 * i, y: 0, z: 0 });
  b.addAtom({ name: 'CA', element: 'CA', resName: 'CA', chainId: 'A', resSeq: 101, hetero: true, x: 50, y: 0, z: 0 });
  const withIon = coarsenStructure(b.build('ion.pdb'), { beads: 2 });
  assert.equal(withIon.residues, 4);
  assert.deepEqual(withIon.mapping.sequence, { A: 'HMXG' });
});

test('insertion codes: ranges never take in a residue of another bead', () => {
  // 82, 82A, 82B, 83 with 82A far away: spatial puts it elsewhere; the written ranges must still read back exactly.
  const s = caStructure([
    { resSeq: 81, at: [0, 0, 0] }, { resSeq: 82, at: [1, 0, 0] }, { resSeq: 82, iCode: 'A', at: [80, 0, 0] },
    { resSeq: 82, iCode: 'B', at: [2, 0, 0] }, { resSeq: 83, at: [3, 0, 0] }, { resSeq: 84, iCode: '', at: [81, 0, 0] },
  ]);
  const r = coarsenStructure(s, { beads: 2, method: 'spatial' });
  assert.deepEqual(beadOfEach(r.mapping, s), ['U1', 'U1', 'U2', 'U1', 'U1', 'U2']);
  assert.match(r.text, /U1: A:81-82, A:82B-83\n {2}U2: A:82A, A:84\n/);
});

test('errors: bead count out of range, fewer beads than chains, no CA atom, residue numbers repeated in a chain', () => {
  const s = caStructure(line([0, 1, 2, 3]));
  const isInput = (re: RegExp) => (e: unknown) => e instanceof InputError && e.file === 'toy.pdb' && re.test(e.message);
  assert.throws(() => coarsenStructure(s, { beads: 0 }), isInput(/≥ 1/));
  assert.throws(() => coarsenStructure(s, { beads: 2.5 }), isInput(/whole number/));
  assert.throws(() => coarsenStructure(s, { beads: 5 }), isInput(/5 beads for 4 residues/));
  const two = caStructure([...line([0, 1]), ...line([5, 6], 'B')].map((r, i) => ({ ...r, resSeq: (i % 2) + 1 })));
  assert.throws(() => coarsenStructure(two, { beads: 1 }), isInput(/2 chains \(A, B\)/));
  const b = new StructureBuilder();
  b.addAtom({ name: 'BB', resName: 'ALA', chainId: 'A', resSeq: 1, x: 0, y: 0, z: 0 });
  assert.throws(() => coarsenStructure(b.build('cg.pdb'), { beads: 1 }), (e: unknown) => e instanceof InputError && /no residue with a CA atom/.test(e.message));
  // Two chains without chain ids (as in a GRO file) numbered from 1 each: ranges could not tell them apart.
  const gro = caStructure([...line([0, 1, 2], ''), ...line([9, 10, 11], '')].map((r, i) => ({ ...r, resSeq: (i % 3) + 1 })));
  assert.throws(() => coarsenStructure(gro, { beads: 2 }), isInput(/residue _:1 \(ALA\) appears twice.*GRO/));
});

test('a blank chain id is written `_` and reads back as ""', () => {
  const s = caStructure(line([0, 1, 2, 10, 11, 12], ''));
  const r = coarsenStructure(s, { beads: 2 });
  assert.match(r.text, /sequence:\n {2}_: AAAAAA\n/);
  assert.match(r.text, /U1: _:1-3\n/);
  assert.deepEqual(parseUcgMapping(r.text, 'x').beads[0].ranges[0].chainId, '');
});

test('a coarsened mapping plans on its own structure whatever the residue spelling (HIE, HSD, MSE → H, H, M)', () => {
  const names = ['MET', 'HIE', 'HSD', 'MSE', 'ALA', 'GLY'];
  const s = caStructure(names.map((resName, i) => ({ resName, at: [3.8 * i, 0, 0] as P })));
  const r = coarsenStructure(s, { beads: 2 });
  assert.match(r.text, /\n {2}A: MHHMAG\n/);
  const plan = planUcg(s, r.mapping);
  assert.equal(plan.residues.length, 6);
});
