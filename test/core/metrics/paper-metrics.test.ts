/**
 * The metrics of the iterative-backmapping paper (issue 28): Ramachandran regions and agreement, Cα RMSD (C-alpha
 * traces included) as placed and superposed, the bond-graph edit distance under a residue matching, and
 * `paperMetrics` in one call. Exact values on structures from the project's own peptide builder.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildPeptide } from '../../../src/core/chemistry/peptide';
import {
  bondGraphEditDistance, caRmsd, clashReport, hasPeptideBackbone, isCaTrace, matchStructureResidues, METRIC_DEFINITIONS,
  paperMetrics, ramaRegion, ramachandranAgreement,
} from '../../../src/core/metrics';
import { applyTransform, quaternionToMatrix } from '../../../src/core/geometry/kabsch';
import { StructureBuilder } from '../../../src/core/structure/builder';
import type { Structure } from '../../../src/core/structure/types';

const close = (a: number, b: number, tol: number, msg = '') => assert.ok(Math.abs(a - b) <= tol, `${msg} ${a} vs ${b}`);

/** A copy of `s`: atoms kept by `keep`, residues renumbered by `resSeq`, every atom moved by `shift`. */
function copy(
  s: Structure,
  opts: { keep?: (name: string, resSeq: number) => boolean; resSeq?: (n: number) => number; chainId?: string; shift?: number[] } = {},
): Structure {
  const b = new StructureBuilder(s.atoms.count);
  const a = s.atoms;
  const d = opts.shift ?? [0, 0, 0];
  for (let i = 0; i < a.count; i++) {
    if (opts.keep && !opts.keep(a.name[i], a.resSeq[i])) continue;
    b.addAtom({
      name: a.name[i], resName: a.resName[i], chainId: opts.chainId ?? a.chainId[i], resSeq: opts.resSeq ? opts.resSeq(a.resSeq[i]) : a.resSeq[i],
      element: a.element[i], x: s.coords[3 * i] + d[0], y: s.coords[3 * i + 1] + d[1], z: s.coords[3 * i + 2] + d[2],
    });
  }
  return b.build(s.source);
}
const caTraceOf = (s: Structure, opts: Parameters<typeof copy>[1] = {}) =>
  copy(s, { ...opts, keep: (name, n) => name === 'CA' && (opts.keep?.(name, n) ?? true) });

const SEQ = 'AAAAAAAAAA';
const helix = buildPeptide(SEQ, { phi: -57, psi: -47 });
const strand = buildPeptide(SEQ, { phi: -120, psi: 130 });

test('ramaRegion: the boxes of METRIC_DEFINITIONS, half-open, +180 the same as -180', () => {
  assert.equal(ramaRegion(-57, -47), 'alphaR');
  assert.equal(ramaRegion(-90, 0), 'alphaR'); // bridge region
  assert.equal(ramaRegion(-120, 130), 'beta');
  assert.equal(ramaRegion(-75, 145), 'beta'); // PPII
  assert.equal(ramaRegion(-120, -170), 'beta'); // β across ψ = ±180
  assert.equal(ramaRegion(180, 180), 'beta');
  assert.equal(ramaRegion(60, 45), 'alphaL');
  assert.equal(ramaRegion(60, -120), 'other');
  assert.equal(ramaRegion(80, 180), 'other'); // glycine's mirrored β: not one of the four
  assert.equal(ramaRegion(-30, 120), 'other');
  // bounds: lower inclusive, upper exclusive
  assert.equal(ramaRegion(-20, 0), 'other');
  assert.equal(ramaRegion(-180, 50), 'beta');
  assert.equal(ramaRegion(-60, -100), 'alphaR');
  assert.equal(ramaRegion(NaN, -47), 'other');
  assert.deepEqual(METRIC_DEFINITIONS.ramaRegions.alphaR, [[-180, -20, -100, 50]]);
});

test('ramachandranAgreement: a helix against a strand agrees nowhere, against itself everywhere; termini do not count', () => {
  const hs = ramachandranAgreement(helix, strand);
  // residues 2…9: the first has no φ, the last no ψ
  assert.deepEqual(hs, {
    agreement: 0,
    residues: 8,
    same: 0,
    regions: { model: { alphaR: 8, beta: 0, alphaL: 0, other: 0 }, reference: { alphaR: 0, beta: 8, alphaL: 0, other: 0 } },
  });
  const hh = ramachandranAgreement(helix, helix);
  assert.equal(hh.agreement, 1);
  assert.equal(hh.same, 8);
});

test('ramachandranAgreement: mixed regions residue by residue, and a renumbered model matched by sequence', () => {
  // residues 2…9: αR αR β β αL other αR β
  const phi = [-60, -60, -60, -120, -75, 60, 60, -60, -130, -60];
  const psi = [-45, -45, -45, 130, 145, 45, -120, -45, 150, -45];
  const mixed = buildPeptide(SEQ, { phi, psi });
  const r = ramachandranAgreement(helix, mixed);
  assert.deepEqual(r.regions.reference, { alphaR: 3, beta: 3, alphaL: 1, other: 1 });
  assert.equal(r.same, 3);
  assert.equal(r.agreement, 3 / 8);
  // the strand agrees on the three β residues
  assert.equal(ramachandranAgreement(strand, mixed).same, 3);
  const renumbered = copy(mixed, { resSeq: (n) => n + 100, chainId: 'B' });
  const self = ramachandranAgreement(renumbered, mixed);
  assert.equal(self.residues, 8);
  assert.equal(self.agreement, 1);
});

test('ramachandranAgreement: a C-alpha trace has no φ/ψ: NaN over 0 residues', () => {
  const r = ramachandranAgreement(caTraceOf(helix), helix);
  assert.equal(r.residues, 0);
  assert.ok(Number.isNaN(r.agreement));
});

test('caRmsd: a shifted copy is 3 Å as placed and 0 superposed; a rotated one only superposes', () => {
  const shifted = copy(helix, { shift: [1, 2, 2] });
  const r = caRmsd(shifted, helix);
  assert.equal(r.matched, 10);
  close(r.rmsd, 3, 1e-12, 'as placed');
  close(r.superposed!, 0, 1e-9, 'superposed');
  const rotated = copy(helix);
  applyTransform(rotated.coords, { R: quaternionToMatrix([0.3, -0.5, 0.7, 0.2]), t: [5, -4, 3] });
  const rr = caRmsd(rotated, helix);
  assert.ok(rr.rmsd > 5, `rotated as placed ${rr.rmsd}`);
  close(rr.superposed!, 0, 1e-9, 'rotated, superposed');
  // against the strand: different shapes stay apart after the fit
  const hs = caRmsd(helix, strand);
  assert.ok(hs.superposed! > 3 && hs.superposed! < hs.rmsd, `${hs.superposed} ${hs.rmsd}`);
});

test('caRmsd: C-alpha traces on either side or both, renumbered, and fewer than 3 pairs (no superposition)', () => {
  const trace = caTraceOf(helix, { shift: [1, 2, 2] });
  assert.ok(isCaTrace(trace) && !isCaTrace(helix));
  assert.ok(!hasPeptideBackbone(trace) && hasPeptideBackbone(helix));
  close(caRmsd(trace, helix).rmsd, 3, 1e-12, 'trace vs all-atom');
  close(caRmsd(helix, trace).rmsd, 3, 1e-12, 'all-atom vs trace');
  close(caRmsd(trace, caTraceOf(helix)).rmsd, 3, 1e-12, 'trace vs trace');
  assert.equal(caRmsd(trace, helix).matched, 10);
  // a renumbered trace without chain IDs is matched by sequence (a lone Cα is a polymer residue)
  const renumbered = caTraceOf(helix, { resSeq: (n) => n + 40, chainId: '' });
  const m = matchStructureResidues(renumbered, helix);
  assert.equal(m.method, 'sequence');
  assert.equal(m.matched, 10);
  assert.equal(caRmsd(renumbered, helix).rmsd, 0);
  const two = caRmsd(caTraceOf(helix, { keep: (_name, n) => n <= 2 }), helix);
  assert.equal(two.matched, 2);
  assert.equal(two.superposed, undefined);
  assert.ok(Number.isNaN(caRmsd(copy(helix, { keep: (name) => name !== 'CA' }), helix).rmsd));
});

test('caRmsd: a calcium ion (atom CA of residue CA) is no Cα', () => {
  const b = new StructureBuilder(2);
  b.addAtom({ name: 'CA', resName: 'CA', chainId: 'A', resSeq: 1, element: 'CA', x: 0, y: 0, z: 0 });
  const ion = b.build('ion');
  assert.ok(!isCaTrace(ion));
  assert.equal(caRmsd(ion, copy(ion, { shift: [1, 0, 0] })).matched, 0);
});

test('bondGraphEditDistance: a missing CB costs a node and a bond; a renumbered model is compared through the matching', () => {
  const noCb = copy(helix, { keep: (name, n) => !(name === 'CB' && n === 3) });
  const g = bondGraphEditDistance(noCb, helix);
  assert.equal(g.refNodes, 51);
  assert.equal(g.refEdges, 50);
  assert.equal(g.nodesMissing, 1);
  assert.equal(g.edgesRemoved, 1);
  assert.equal(g.normalized, 2 / 101);
  const renumbered = copy(helix, { resSeq: (n) => n + 100 });
  assert.equal(bondGraphEditDistance(renumbered, helix).nodesMissing, 51, 'by name alone nothing pairs');
  const matched = bondGraphEditDistance(renumbered, helix, { matching: matchStructureResidues(renumbered, helix) });
  assert.equal(matched.ged, 0);
  // a model residue without a partner is extra, its bonds added
  const longer = buildPeptide(`${SEQ}G`, { phi: -57, psi: -47 });
  const extra = bondGraphEditDistance(longer, helix, { matching: matchStructureResidues(longer, helix) });
  assert.equal(extra.nodesExtra, 5); // GLY N, CA, C, O and the OXT now on it
  assert.equal(extra.nodesMissing, 1); // residue 10's OXT
  assert.ok(extra.edgesAdded > 0);
});

test('bondGraphEditDistance: with a chain, only that chain of both takes part', () => {
  const a = buildPeptide(SEQ, { chainId: 'A' });
  const b = copy(buildPeptide('GGGG', { chainId: 'B' }), { shift: [30, 0, 0] });
  const join = (x: Structure, y: Structure) => {
    const sb = new StructureBuilder(x.atoms.count + y.atoms.count);
    for (const s of [x, y])
      for (let i = 0; i < s.atoms.count; i++)
        sb.addAtom({ name: s.atoms.name[i], resName: s.atoms.resName[i], chainId: s.atoms.chainId[i], resSeq: s.atoms.resSeq[i], element: s.atoms.element[i], x: s.coords[3 * i], y: s.coords[3 * i + 1], z: s.coords[3 * i + 2] });
    return sb.build('dimer');
  };
  const dimer = join(a, b);
  // the model lacks chain B: the whole comparison counts its atoms missing, chain A alone does not
  assert.ok(bondGraphEditDistance(a, dimer).nodesMissing > 0);
  const onlyA = bondGraphEditDistance(a, dimer, { chain: 'A', matching: matchStructureResidues(a, dimer, { chain: 'A' }) });
  assert.equal(onlyA.ged, 0);
  assert.equal(onlyA.refNodes, 51);
});

test('paperMetrics: a shifted helix, one with a clash, a C-alpha trace, and --superpose', () => {
  const shifted = copy(helix, { shift: [1, 2, 2] });
  const p = paperMetrics(shifted, helix);
  close(p.rmsdHeavy, 3, 1e-12);
  close(p.rmsdCa, 3, 1e-12);
  assert.equal(p.ged, 0);
  assert.equal(p.clashPercent, 0);
  assert.equal(p.ramaAgreement, 1);
  const sup = paperMetrics(shifted, helix, { superpose: true });
  close(sup.rmsdHeavy, 0, 1e-9);
  close(sup.rmsdCa, 0, 1e-9);
  // residue 8's CB put 0.5 Å from residue 3's: two of ten residues clash
  const cb = (s: Structure, n: number) => [...Array(s.atoms.count).keys()].find((i) => s.atoms.resSeq[i] === n && s.atoms.name[i] === 'CB')!;
  const clashing = copy(helix);
  const c3 = cb(helix, 3), c8 = cb(helix, 8);
  for (let k = 0; k < 3; k++) clashing.coords[3 * c8 + k] = helix.coords[3 * c3 + k] + (k === 0 ? 0.5 : 0);
  assert.equal(paperMetrics(clashing, helix).clashPercent, 20);
  assert.equal(clashReport(clashing).clashingResidues, 2);
  // a C-alpha trace: its heavy-atom RMSD is its Cα RMSD; no bond graph, no φ/ψ
  const t = paperMetrics(caTraceOf(helix, { shift: [1, 2, 2] }), helix);
  close(t.rmsdHeavy, 3, 1e-12);
  close(t.rmsdCa, 3, 1e-12);
  assert.ok(Number.isNaN(t.ged) && Number.isNaN(t.ramaAgreement), JSON.stringify(t));
  assert.equal(t.clashPercent, 0);
  // a helix against the strand: nothing in the same region, the bonds still the same
  const hs = paperMetrics(helix, strand);
  assert.equal(hs.ramaAgreement, 0);
  assert.equal(hs.ged, 0);
});
