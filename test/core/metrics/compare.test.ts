import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildPeptide } from '../../../src/core/chemistry/peptide';
import { buildDemoProtein, DEMO_SEQUENCE } from '../../../src/core/chemistry/demo-protein';
import {
  compareStructures, clashPercent, clashReport, bondAngleStats, backboneTorsions, ramachandranOutliers,
  chiAgreement, bondGraphEditDistance, ramaAllowed, structureQuality, fullComparison,
} from '../../../src/core/metrics';
import { applyTransform, quaternionToMatrix } from '../../../src/core/geometry/kabsch';
import { StructureBuilder, residuesOf } from '../../../src/core/structure/builder';
import { InputError } from '../../../src/core/errors';
import { readStructureFile } from '../../../src/core/structure/read';
import type { Structure } from '../../../src/core/structure/types';

const ALL20 = 'ACDEFGHIKLMNPQRSTVWY';
const close = (a: number, b: number, tol: number, msg = '') => assert.ok(Math.abs(a - b) <= tol, `${msg} ${a} vs ${b}`);

/** Deep copy with optional coordinate / name edits. */
function copy(s: Structure, edit?: (i: number, name: string, resName: string, resSeq: number) => { name?: string; dx?: number[] } | void): Structure {
  const b = new StructureBuilder(s.atoms.count);
  for (let i = 0; i < s.atoms.count; i++) {
    const e = edit?.(i, s.atoms.name[i], s.atoms.resName[i], s.atoms.resSeq[i]) || {};
    const d = e.dx ?? [0, 0, 0];
    b.addAtom({
      name: e.name ?? s.atoms.name[i], resName: s.atoms.resName[i], chainId: s.atoms.chainId[i], resSeq: s.atoms.resSeq[i],
      iCode: s.atoms.iCode[i], element: s.atoms.element[i],
      x: s.coords[3 * i] + d[0], y: s.coords[3 * i + 1] + d[1], z: s.coords[3 * i + 2] + d[2],
    });
  }
  return b.build(s.source);
}
const idx = (s: Structure, resSeq: number, name: string) => {
  for (let i = 0; i < s.atoms.count; i++) if (s.atoms.resSeq[i] === resSeq && s.atoms.name[i] === name) return i;
  throw new Error(`${resSeq}:${name} not found`);
};

test('compareStructures: identity, translation, rigid motion with and without superposition', () => {
  const ref = buildPeptide(ALL20, { phi: -70, psi: 140 });
  const self = compareStructures(ref, ref);
  assert.equal(self.rmsd_all, 0);
  assert.equal(self.rmsd_bb, 0);
  assert.equal(self.rmsd_sc, 0);
  assert.equal(self.matched, ref.atoms.count);
  assert.equal(self.matched_bb, 80);
  assert.equal(self.matched_sc, ref.atoms.count - 80 - 1); // OXT is neither backbone nor side chain
  const shifted = copy(ref, () => ({ dx: [1, 0, 0] }));
  close(compareStructures(shifted, ref).rmsd_all, 1, 1e-12, 'translated by 1 Å');
  close(compareStructures(shifted, ref).rmsd_bb, 1, 1e-12);
  const moved = copy(ref);
  applyTransform(moved.coords, { R: quaternionToMatrix([0.3, -0.5, 0.7, 0.2]), t: [10, -4, 3] });
  const raw = compareStructures(moved, ref);
  assert.ok(raw.rmsd_all > 5, `unsuperposed ${raw.rmsd_all}`);
  const sup = compareStructures(moved, ref, { superpose: true });
  assert.ok(sup.rmsd_all < 1e-9 && sup.rmsd_sc < 1e-9, `superposed ${sup.rmsd_all}`);
  assert.equal(sup.superposition?.nCa, 20);
  // the model passed in is not modified by superposition
  assert.deepEqual(moved.coords, copy(moved).coords);
});

test('compareStructures: per-residue rows, hydrogens ignored, missing/extra atoms counted', () => {
  const ref = buildPeptide('AKLFG');
  // move LYS NZ by 3 Å: residue 2 side chain RMSD = 3/sqrt(5), others 0
  const nz = idx(ref, 2, 'NZ');
  const model = copy(ref, (i) => (i === nz ? { dx: [0, 3, 0] } : undefined));
  const r = compareStructures(model, ref);
  const lys = r.perResidue.find((x) => x.resSeq === 2)!;
  close(lys.rmsd_sc, 3 / Math.sqrt(5), 1e-12, 'LYS sc');
  close(lys.rmsd_bb, 0, 0);
  close(lys.rmsd, 3 / Math.sqrt(9), 1e-12, 'LYS all');
  assert.equal(lys.matched_sc, 5, 'LYS side chain: CB CG CD CE NZ');
  assert.equal(r.perResidue.reduce((a, x) => a + x.matched_sc, 0), r.matched_sc, 'per-residue side-chain counts add up');
  for (const x of r.perResidue) if (x.resSeq !== 2) assert.equal(x.rmsd, 0);
  close(r.rmsd_all, 3 / Math.sqrt(ref.atoms.count), 1e-12);
  // hydrogens with garbage coordinates and a missing atom
  const b = new StructureBuilder();
  for (let i = 0; i < ref.atoms.count; i++) {
    if (ref.atoms.resSeq[i] === 4 && ref.atoms.name[i] === 'CZ') continue; // PHE4 CZ missing in model
    b.addAtom({ name: ref.atoms.name[i], resName: ref.atoms.resName[i], chainId: 'A', resSeq: ref.atoms.resSeq[i], element: ref.atoms.element[i], x: ref.coords[3 * i], y: ref.coords[3 * i + 1], z: ref.coords[3 * i + 2] });
    if (ref.atoms.name[i] === 'CA') b.addAtom({ name: 'HA', resName: ref.atoms.resName[i], chainId: 'A', resSeq: ref.atoms.resSeq[i], element: 'H', x: 99, y: 99, z: 99 });
  }
  b.addAtom({ name: 'XX', resName: 'GLY', chainId: 'A', resSeq: 5, element: 'C', x: 0, y: 0, z: 0 });
  const withH = compareStructures(b.build('m'), ref);
  assert.equal(withH.rmsd_all, 0);
  assert.equal(withH.missingInModel, 1);
  assert.equal(withH.extraInModel, 1);
  assert.equal(withH.matched, ref.atoms.count - 1);
  // chain filter: nothing matches chain B
  assert.ok(Number.isNaN(compareStructures(model, ref, { chain: 'B' }).rmsd_all));
});

test('compareStructures: symmetric swaps (ASP, GLU, PHE, TYR, ARG) count 0 only with symmetric', () => {
  const ref = buildPeptide('GDEFYRLV', { phi: -70, psi: 140 });
  const swap: Record<string, Record<string, string>> = {
    ASP: { OD1: 'OD2', OD2: 'OD1' }, GLU: { OE1: 'OE2', OE2: 'OE1' },
    PHE: { CD1: 'CD2', CD2: 'CD1', CE1: 'CE2', CE2: 'CE1' }, TYR: { CD1: 'CD2', CD2: 'CD1', CE1: 'CE2', CE2: 'CE1' },
    ARG: { NH1: 'NH2', NH2: 'NH1' }, LEU: { CD1: 'CD2', CD2: 'CD1' }, VAL: { CG1: 'CG2', CG2: 'CG1' },
  };
  const model = copy(ref, (_i, name, resName) => ({ name: swap[resName]?.[name] ?? name }));
  const plain = compareStructures(model, ref);
  assert.ok(plain.rmsd_sc > 0.5, `plain ${plain.rmsd_sc}`);
  const sym = compareStructures(model, ref, { symmetric: true });
  // LEU/VAL methyls are not equivalent: still counted unless `methyls`
  for (const row of sym.perResidue) {
    if (row.resName === 'LEU' || row.resName === 'VAL') assert.ok(row.rmsd_sc > 0.5, row.resName);
    else assert.ok(row.rmsd < 1e-12, `${row.resName} ${row.rmsd}`);
    if (['ASP', 'GLU', 'PHE', 'TYR', 'ARG'].includes(row.resName)) assert.equal(row.swapped, true);
  }
  const all = compareStructures(model, ref, { symmetric: true, methyls: true });
  assert.ok(all.rmsd_all < 1e-12);
  // symmetric never makes an unswapped model worse
  assert.equal(compareStructures(ref, ref, { symmetric: true }).rmsd_all, 0);
});

test('clashPercent: planted clash is detected; ideal structures have none', () => {
  const s = buildPeptide(ALL20, { phi: -70, psi: 140 });
  assert.equal(clashPercent(s), 0);
  const demo = buildDemoProtein();
  const dr = clashReport(demo);
  assert.equal(dr.percent, 0);
  assert.ok(dr.minDistance > 2.6, `demo min contact ${dr.minDistance}`);
  // move residue 15's CB to 0.5 Å from residue 3's CA
  const ca3 = idx(s, 3, 'CA'), cb15 = idx(s, 15, 'CB');
  const dx = [0, 1, 2].map((k) => s.coords[3 * ca3 + k] + (k === 0 ? 0.5 : 0) - s.coords[3 * cb15 + k]);
  const bad = copy(s, (i) => (i === cb15 ? { dx } : undefined));
  const r = clashReport(bad);
  assert.equal(r.clashingResidues, 2);
  close(r.percent, 10, 1e-12);
  assert.ok(r.pairs >= 1);
  close(r.minDistance, 0.5, 1e-9);
  assert.deepEqual(r.residueIndices, [2, 14]);
  // A peptide bond squeezed to 1.0 Å is a bond outlier, not a clash; residue 5's N on residue 3's C is a clash.
  const c4 = idx(s, 4, 'C'), n5 = idx(s, 5, 'N'), c3 = idx(s, 3, 'C');
  const toward = (from: number, to: number, d: number) => {
    const v = [0, 1, 2].map((k) => s.coords[3 * to + k] - s.coords[3 * from + k]);
    const l = Math.hypot(v[0], v[1], v[2]);
    return v.map((x) => x * (1 - d / l));
  };
  const squeezed = copy(s, (i) => (i === n5 ? { dx: toward(n5, c4, 1.0) } : undefined));
  assert.equal(clashReport(squeezed).clashingResidues, 0);
  assert.ok(bondAngleStats(squeezed).bonds.outliers >= 1);
  const onC3 = copy(s, (i) => (i === n5 ? { dx: toward(n5, c3, 1.0) } : undefined));
  assert.deepEqual(clashReport(onC3).residueIndices, [2, 4]);
});

test('bondAngleStats: ideal geometry is exact; a stretched bond and a bent angle are outliers', () => {
  const s = buildPeptide(ALL20 + ALL20, { phi: -65, psi: 140 });
  const st = bondAngleStats(s);
  assert.ok(st.bonds.n > 300 && st.angles.n > 400, `${st.bonds.n} ${st.angles.n}`);
  assert.ok(st.bonds.maxAbsDev < 1e-9 && st.angles.maxAbsDev < 1e-7, `${st.bonds.maxAbsDev} ${st.angles.maxAbsDev}`);
  assert.equal(st.bonds.outliers + st.angles.outliers, 0);
  assert.equal(st.unknownResidues, 0);
  // stretch ALA1 CA-CB by 0.2 Å along the bond
  const ca = idx(s, 1, 'CA'), cb = idx(s, 1, 'CB');
  const u = [0, 1, 2].map((k) => s.coords[3 * cb + k] - s.coords[3 * ca + k]);
  const L = Math.hypot(u[0], u[1], u[2]);
  const bad = copy(s, (i) => (i === cb ? { dx: u.map((x) => (0.2 * x) / L) } : undefined));
  const b = bondAngleStats(bad);
  assert.equal(b.bonds.outliers, 1);
  assert.equal(b.worst[0].atoms, 'CA-CB');
  close(b.worst[0].deviation, 0.2, 1e-9);
  // the CB stays on the bond axis, so the angles at CA do not change
  assert.equal(b.angles.outliers, 0);
  // the peptide bond across residues is checked too
  const n2 = idx(s, 2, 'N');
  const far = copy(s, (i) => (s.atoms.resSeq[i] >= 2 ? { dx: [0.3, 0, 0] } : undefined));
  const f = bondAngleStats(far);
  assert.ok(f.worst.some((w) => w.atoms === '-C-N' && w.resSeq === 2), JSON.stringify(f.worst.slice(0, 3)));
  assert.ok(n2 > 0);
});

test('backboneTorsions: φ/ψ/ω/χ read back; NaN at termini and for missing χ', () => {
  const phi = [0, -60, -120, 60, -75], psi = [150, -40, 130, 40, -30];
  const s = buildPeptide('GAVFP', { phi, psi, chi: [undefined, undefined, [-60], [180, 80], [25]] });
  const t = backboneTorsions(s);
  assert.equal(t.length, 5);
  assert.ok(Number.isNaN(t[0].phi) && Number.isNaN(t[0].omega) && Number.isNaN(t[4].psi));
  for (let i = 1; i < 5; i++) close(t[i].phi, phi[i], 1e-7, `phi${i}`);
  for (let i = 0; i < 4; i++) close(t[i].psi, psi[i], 1e-7, `psi${i}`);
  for (let i = 1; i < 5; i++) close(Math.abs(t[i].omega), 180, 1e-7);
  assert.ok(Number.isNaN(t[0].chi1) && Number.isNaN(t[1].chi1) && Number.isNaN(t[2].chi2));
  close(t[2].chi1, -60, 1e-7);
  close(Math.abs(t[3].chi1), 180, 1e-7);
  close(t[3].chi2, 80, 1e-7);
  close(t[4].chi1, 25, 1e-7);
  // a chain break (residue 3 moved 5 Å away) makes the torsions across it undefined
  const broken = copy(s, (_i, _n, _r, rs) => (rs >= 3 ? { dx: [5, 0, 0] } : undefined));
  const tb = backboneTorsions(broken);
  assert.ok(Number.isNaN(tb[1].psi) && Number.isNaN(tb[2].phi) && !Number.isNaN(tb[2].psi));
});

test('ramachandranOutliers: helix and strand allowed, planted outliers found, glycine mirrored', () => {
  assert.equal(ramachandranOutliers(buildPeptide(ALL20)).outliers, 0);
  // β-strand (PRO, position 13, at its φ -70)
  const bphi = Array.from(ALL20, (c) => (c === 'P' ? -70 : -120));
  assert.equal(ramachandranOutliers(buildPeptide(ALL20, { phi: bphi, psi: 130 })).outliers, 0);
  assert.equal(ramachandranOutliers(buildPeptide(ALL20, { phi: -120, psi: 130 })).outliers, 1); // PRO at φ -120
  const phi = Array(10).fill(-63), psi = Array(10).fill(-42);
  phi[3] = 60; psi[3] = -120; // ALA in a disallowed region
  phi[5] = 80; psi[5] = -170; // GLY: allowed (mirror of β)
  phi[7] = -150; psi[7] = -40; // PRO with φ = -150: outlier
  const r = ramachandranOutliers(buildPeptide('AAAAAGAPAA', { phi, psi }));
  assert.equal(r.total, 8); // first and last residues have no φ / ψ
  assert.equal(r.outliers, 2);
  assert.deepEqual(r.outlierResidues.map((x) => `${x.resName}${x.resSeq}:${x.category}`), ['ALA4:general', 'PRO8:proline']);
  assert.equal(ramaAllowed('general', 80, -170), false);
  assert.equal(ramaAllowed('glycine', 80, -170), true);
  assert.equal(ramaAllowed('general', 60, 40), true); // αL
});

test('chiAgreement: identical 100 %, rotated χ1 disagrees, flipped PHE χ2 agrees', () => {
  const seq = 'FKLDYE';
  const ref = buildPeptide(seq, { phi: -70, psi: 140 });
  const same = chiAgreement(ref, ref);
  assert.equal(same.chi1.fraction, 1);
  assert.equal(same.chi2.fraction, 1);
  const m = buildPeptide(seq, { phi: -70, psi: 140, chi: [[180, 80 + 180], [-67 + 60], undefined, [-70, -15 + 180], [180, 80 - 180], undefined] });
  const a = chiAgreement(m, ref);
  assert.equal(a.chi1.n, 6);
  assert.equal(a.chi1.agree, 5); // LYS χ1 rotated by 60°
  assert.equal(a.chi2.agree, a.chi2.n); // PHE/ASP/TYR χ2 flipped by 180° are the same structure
  const m2 = buildPeptide(seq, { phi: -70, psi: 140, chi: [[180, 80 + 90]] });
  assert.equal(chiAgreement(m2, ref).chi2.agree, chiAgreement(m2, ref).chi2.n - 1);
});

test('bondGraphEditDistance: identical 0, a displaced atom and a removed atom are counted', () => {
  const ref = buildPeptide('ACDEFGHIK', { phi: -120, psi: 130 }); // extended: no side-chain contacts
  const same = bondGraphEditDistance(ref, ref);
  assert.equal(same.ged, 0);
  assert.equal(same.normalized, 0);
  // heavy atoms N, bonds N-1 + ring closures (PHE 1, HIS 1) for a linear chain of residues
  const nodes = ref.atoms.count;
  assert.equal(same.refNodes, nodes);
  assert.equal(same.refEdges, nodes - 1 + 2);
  // ALA1 CB moved 5 Å away: its CA-CB bond is removed
  const cb = idx(ref, 1, 'CB');
  const moved = copy(ref, (i) => (i === cb ? { dx: [5, 0, 0] } : undefined));
  const g = bondGraphEditDistance(moved, ref);
  assert.equal(g.edgesRemoved, 1);
  assert.equal(g.edgesAdded, 0);
  close(g.normalized, 1 / (same.refNodes + same.refEdges), 1e-15);
  // moved onto another atom's bonding distance: an edge is added
  const lys = idx(ref, 9, 'NZ');
  const b = new StructureBuilder();
  for (let i = 0; i < ref.atoms.count; i++) if (i !== lys) b.addAtom({ name: ref.atoms.name[i], resName: ref.atoms.resName[i], chainId: 'A', resSeq: ref.atoms.resSeq[i], element: ref.atoms.element[i], x: ref.coords[3 * i], y: ref.coords[3 * i + 1], z: ref.coords[3 * i + 2] });
  const del = bondGraphEditDistance(b.build('m'), ref);
  assert.equal(del.nodesMissing, 1);
  assert.equal(del.edgesRemoved, 1);
  assert.equal(del.ged, 2);
});

test('demo protein: 58 residues, all 20 amino acids, ideal and clash-free, realistic torsions', () => {
  const s = buildDemoProtein();
  const res = residuesOf(s.atoms);
  assert.equal(res.length, 58);
  assert.equal(new Set(res.map((r) => r.resName)).size, 20);
  assert.equal(res.map((r) => r.resName).length, DEMO_SEQUENCE.length);
  const q = structureQuality(s);
  assert.equal(q.clash.percent, 0);
  assert.equal(q.geometry.bonds.outliers + q.geometry.angles.outliers, 0);
  assert.equal(q.ramachandran.outliers, 0);
  const f = fullComparison(s, s);
  assert.equal(f.rmsd.rmsd_all, 0);
  assert.equal(f.graph.ged, 0);
  // the bundled example is this protein
  const pdb = join(__dirname, '../../../examples/demo-protein.pdb');
  assert.ok(existsSync(pdb), 'examples/demo-protein.pdb is missing: run node --import tsx examples/make-examples.ts');
  const atoms = readFileSync(pdb, 'utf8').split('\n').filter((l) => l.startsWith('ATOM'));
  assert.equal(atoms.length, s.atoms.count);
  const back = readStructureFile(pdb);
  const c = compareStructures(back, s);
  assert.equal(c.matched, s.atoms.count);
  assert.ok(c.rmsd_all < 0.001, `example file differs from buildDemoProtein(): ${c.rmsd_all} Å (regenerate it)`);
});

test('metrics reject non-finite coordinates with an InputError naming the file and line', () => {
  const ref = buildPeptide('AKL');
  const b = new StructureBuilder();
  for (let i = 0; i < ref.atoms.count; i++)
    b.addAtom({ name: ref.atoms.name[i], resName: ref.atoms.resName[i], chainId: 'A', resSeq: ref.atoms.resSeq[i], element: ref.atoms.element[i], x: i === 7 ? NaN : ref.coords[3 * i], y: ref.coords[3 * i + 1], z: ref.coords[3 * i + 2], sourceLine: i + 1 });
  const bad = b.build('model.pdb');
  const isErr = (e: unknown) => e instanceof InputError && /^model\.pdb:8: /.test((e as Error).message);
  assert.throws(() => compareStructures(bad, ref), isErr);
  assert.throws(() => clashPercent(bad), isErr);
  assert.throws(() => bondAngleStats(bad), isErr);
  assert.throws(() => backboneTorsions(bad), isErr);
  assert.throws(() => bondGraphEditDistance(bad, ref), isErr);
});

test('compareStructures matches force-field names (CHARMM OT1/OT2, ILE CD) with a PDB-named reference atom for atom', async () => {
  const { DEMO } = await import('../hydrogens/helpers');
  const { addHydrogens } = await import('../../../src/core/hydrogens');
  for (const names of ['charmm', 'amber', 'gromacs'] as const) {
    const named = addHydrogens(DEMO, { names }).structure;
    const r = compareStructures(named, DEMO);
    assert.equal(r.missingInModel, 0, `${names}: every reference heavy atom matched`);
    assert.equal(r.extraInModel, 0, `${names}: no model heavy atom left over`);
    assert.ok(r.matched > 400 && r.rmsd_all < 1e-6, `${names}: ${r.matched} matched, RMSD ${r.rmsd_all}`);
  }
});
