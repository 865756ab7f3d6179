/**
 * Water hydrogens (issue 30): waters get H1/H2 on TIP3P geometry (0.9572 Å, 104.52°), turned to donate hydrogen
 * bonds and clear of the hydrogens placed before them, deterministically; names per naming (charmm TIP3 OH2 H1 H2,
 * amber WAT O H1 H2, gromacs SOL OW HW1 HW2); ions unchanged. Through the pipeline: a whole system's placed waters,
 * single structure and every frame of a trajectory with solvent.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addHydrogens } from '../../../src/core/hydrogens';
import { backmapStructure, backmapTrajectory, mapStructureToCg } from '../../../src/core/pipeline';
import { TIP3P } from '../../../src/core/chemistry/solvent';
import { buildPeptide } from '../../../src/core/chemistry/peptide';
import { StructureBuilder, residuesOf } from '../../../src/core/structure/builder';
import type { Structure } from '../../../src/core/structure/types';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dist = (c: ArrayLike<number>, i: number, j: number) => Math.hypot(c[3 * i] - c[3 * j], c[3 * i + 1] - c[3 * j + 1], c[3 * i + 2] - c[3 * j + 2]);
const angle = (c: ArrayLike<number>, i: number, o: number, j: number) => {
  const u = [0, 1, 2].map((k) => c[3 * i + k] - c[3 * o + k]);
  const v = [0, 1, 2].map((k) => c[3 * j + k] - c[3 * o + k]);
  return (Math.acos(Math.max(-1, Math.min(1, (u[0] * v[0] + u[1] * v[1] + u[2] * v[2]) / (Math.hypot(...u) * Math.hypot(...v))))) * 180) / Math.PI;
};

/** Two waters (oxygens only) 2.8 Å apart, and a sodium ion. */
function pair(): Structure {
  const sb = new StructureBuilder(8);
  sb.addAtom({ name: 'OH2', resName: 'TIP3', resSeq: 1, element: 'O', x: 0, y: 0, z: 0 });
  sb.addAtom({ name: 'OH2', resName: 'TIP3', resSeq: 2, element: 'O', x: 2.8, y: 0.3, z: -0.2 });
  sb.addAtom({ name: 'SOD', resName: 'SOD', resSeq: 3, element: 'NA', x: -6, y: 0, z: 0 });
  return sb.build('pair');
}

/** Per water residue: [O, H, H] indices; asserts the TIP3P geometry. */
function waters(s: Structure, resName: string): number[][] {
  const out = residuesOf(s.atoms).filter((r) => s.atoms.resName[r.start] === resName).map((r) => Array.from({ length: r.end - r.start }, (_, k) => r.start + k));
  for (const [o, h1, h2] of out) {
    assert.ok(Math.abs(dist(s.coords, o, h1) - TIP3P.bond) < 1e-9 && Math.abs(dist(s.coords, o, h2) - TIP3P.bond) < 1e-9, 'O–H 0.9572 Å');
    assert.ok(Math.abs(angle(s.coords, h1, o, h2) - TIP3P.angle) < 1e-6, 'H–O–H 104.52°');
  }
  return out;
}

/** Smallest distance from a hydrogen to a hydrogen (or heavy atom) of another residue. */
function closest(s: Structure): { hh: number; hx: number } {
  const res = new Int32Array(s.atoms.count);
  residuesOf(s.atoms).forEach((r, k) => res.fill(k, r.start, r.end));
  let hh = Infinity, hx = Infinity;
  for (let i = 0; i < s.atoms.count; i++) {
    if (s.atoms.element[i] !== 'H') continue;
    for (let j = 0; j < s.atoms.count; j++) {
      if (res[j] === res[i]) continue;
      const d = dist(s.coords, i, j);
      if (s.atoms.element[j] === 'H') hh = Math.min(hh, d);
      else hx = Math.min(hx, d);
    }
  }
  return { hh, hx };
}

test('two waters: TIP3P geometry, one donates to the other, no H–H contact, deterministic; names per naming; ions unchanged', () => {
  const { structure: s, report } = addHydrogens(pair());
  assert.deepEqual(s.atoms.name, ['OH2', 'H1', 'H2', 'OH2', 'H1', 'H2', 'SOD']);
  assert.deepEqual(s.atoms.resName, ['TIP3', 'TIP3', 'TIP3', 'TIP3', 'TIP3', 'TIP3', 'SOD']);
  const [[o1, a1, b1], [o2, a2, b2]] = waters(s, 'TIP3');
  // a hydrogen bond: one H of one water 1.6-2.2 Å from the other oxygen, nearly on the O···O line
  const hb = [[a1, o2], [b1, o2], [a2, o1], [b2, o1]].filter(([h, o]) => dist(s.coords, h, o) < 2.2);
  assert.equal(hb.length, 1, 'exactly one donated H');
  const donor = hb[0][0] === a1 || hb[0][0] === b1 ? o1 : o2;
  assert.ok(angle(s.coords, donor, hb[0][0], hb[0][1]) > 150, `O–H···O ${angle(s.coords, donor, hb[0][0], hb[0][1]).toFixed(1)}°`);
  assert.ok(closest(s).hh > 2.0);
  assert.equal(report.waters, 2);
  assert.equal(report.added, 4);
  assert.deepEqual(Array.from(addHydrogens(pair()).structure.coords), Array.from(s.coords), 'deterministic');
  const amber = addHydrogens(pair(), { names: 'amber' }).structure;
  assert.deepEqual(amber.atoms.name.slice(0, 3), ['O', 'H1', 'H2']);
  assert.equal(amber.atoms.resName[0], 'WAT');
  const gmx = addHydrogens(pair(), { names: 'gromacs' }).structure;
  assert.deepEqual(gmx.atoms.name.slice(0, 3), ['OW', 'HW1', 'HW2']);
  assert.equal(gmx.atoms.resName[0], 'SOL');
  assert.deepEqual(gmx.atoms.name.slice(6), ['SOD']);
  // names alone: renamed, no hydrogens; input water hydrogens are rebuilt, not doubled
  const named = addHydrogens(pair(), { hydrogens: false, names: 'gromacs' }).structure;
  assert.deepEqual(named.atoms.name, ['OW', 'OW', 'SOD']);
  const again = addHydrogens(s);
  assert.equal(again.structure.atoms.count, s.atoms.count);
  assert.equal(again.report.replaced, 4);
});

/** A peptide, 400 waters on a 3.1 Å grid around it and two ions, mapped to Martini 3 (water beads W/SW/TW). */
function solvated(): Structure {
  const sb = new StructureBuilder(4096);
  const pep = buildPeptide('MKTAYIAKQRQISFVKSHFSRQ', { phi: -65, psi: -40, chainId: 'A' });
  for (let i = 0; i < pep.atoms.count; i++)
    sb.addAtom({ name: pep.atoms.name[i], resName: pep.atoms.resName[i], resSeq: pep.atoms.resSeq[i], element: pep.atoms.element[i], x: pep.coords[3 * i] + 15, y: pep.coords[3 * i + 1] + 15, z: pep.coords[3 * i + 2] + 15 });
  let seq = 200;
  for (let k = 0; k < 400; k++)
    sb.addAtom({ name: 'OH2', resName: 'TIP3', resSeq: seq++, element: 'O', x: 5 + 3.1 * (k % 10), y: 5 + 3.1 * (Math.floor(k / 10) % 10), z: 5 + 3.1 * Math.floor(k / 100) });
  for (const [name, x] of [['SOD', 60], ['CLA', 66]] as const) sb.addAtom({ name, resName: name, resSeq: seq++, element: name === 'SOD' ? 'NA' : 'CL', x, y: 10, z: 10 });
  const aa = sb.build('solvated.gro', 'solvated', { a: 70, b: 70, c: 70, alpha: 90, beta: 90, gamma: 90 });
  return mapStructureToCg(aa, 'martini3').cg;
}

test('a whole system: every placed water gets TIP3P hydrogens clear of other hydrogens, counted in the report; ions unchanged; hydrogens: false leaves them out', async () => {
  const cg = solvated();
  const out = await backmapStructure(cg, { model: 'template' });
  const s = out.structure;
  const w = waters(s, 'TIP3');
  assert.equal(w.length, 400);
  for (const atoms of w) assert.deepEqual(atoms.map((i) => s.atoms.name[i]), ['OH2', 'H1', 'H2']);
  const { hh, hx } = closest(s);
  // measured: 1.41 Å H–H; solute C–H to a water oxygen placed 2.2 Å from the carbon can come to ~1.26 Å
  assert.ok(hh > 1.2, `closest H–H of different residues ${hh.toFixed(2)} Å`);
  assert.ok(hx > 1.0, `closest H–heavy of different residues ${hx.toFixed(2)} Å`);
  assert.equal(out.report.hydrogens?.waters, 400);
  assert.match(out.report.notes.join('\n'), /400 water\(s\) with hydrogens \(TIP3P geometry/);
  assert.deepEqual(s.atoms.resName.filter((r) => r === 'SOD' || r === 'CLA'), ['SOD', 'CLA']);
  const gmx = await backmapStructure(cg, { model: 'template', names: 'gromacs' });
  assert.equal(waters(gmx.structure, 'SOL').length, 400);
  const heavy = await backmapStructure(cg, { model: 'template', hydrogens: false });
  assert.equal(heavy.structure.atoms.element.filter((e) => e === 'H').length, 0);
  assert.equal(heavy.structure.atoms.resName.filter((r) => r === 'TIP3').length, 400);
});

test('a whole-system trajectory with solvent: every frame the same atoms, waters with hydrogens in each', async () => {
  const cg = solvated();
  const models = [0, 1, 2].map((k) => {
    const c = Float64Array.from(cg.coords);
    for (let i = 0; i < c.length; i++) c[i] += k * 0.3 * Math.cos(1.3 * i + k);
    return c;
  });
  const dir = mkdtempSync(join(tmpdir(), 'backmap-h-water-'));
  try {
    const r = await backmapTrajectory({ topology: { ...cg, coords: models[0], models }, out: join(dir, 'w.pdb'), model: 'template', solvent: true, keepFrames: true });
    assert.equal(r.frames, 3);
    assert.equal(r.firstFrame.models.length, 3);
    for (const c of r.firstFrame.models) waters({ ...r.firstFrame, coords: c }, 'TIP3');
    assert.equal(r.report.hydrogens?.waters, 400);
    assert.equal(r.report.counts.atoms, r.firstFrame.atoms.count);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
