/**
 * Hydrogens on trajectories (issue 30): one protonation plan (the input's first frame's) for every frame, so every
 * frame has the same atoms in the same order, each with ideal hydrogen geometry, and frame k equals backmapping
 * frame k alone with that plan. A project-made 3-frame fixture (always runs) and the real 1UBQ CG trajectory of
 * ../shared (skipped when absent). The plan itself: decided on one structure, applied to another.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatPdb, parsePdb } from '../../../src/core/structure/pdb';
import { loadMappingSet } from '../../../src/core/mapping/load';
import { mapToCg } from '../../../src/core/forward';
import { backmapStructure, backmapTrajectory } from '../../../src/core/pipeline';
import { addHydrogens, decideProtonation } from '../../../src/core/hydrogens';
import { H_BOND } from '../../../src/core/chemistry/hydrogens';
import { TIP3P } from '../../../src/core/chemistry/solvent';
import { readStructureFile } from '../../../src/core/structure/read';
import { openTrajectory } from '../../../src/core/trajectory';
import { buildPeptide } from '../../../src/core/chemistry/peptide';
import { UsageError } from '../../../src/core/errors';
import type { Structure } from '../../../src/core/structure/types';
import { DEMO, byResidue, disulfidePair } from './helpers';

const tmp = mkdtempSync(join(tmpdir(), 'backmap-h-traj-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const UBQ = join(__dirname, '..', '..', '..', '..', 'shared', 'data', 'cgsim', '1UBQ');

/** The demo protein's CG beads in 3 frames: as mapped, then moved by smooth deterministic shifts (≤ 0.5 Å). */
function demoFrames(): Structure {
  const cg = parsePdb(formatPdb(mapToCg(DEMO, loadMappingSet('martini3')).cg), 'demo-frames.pdb');
  const models = [0, 1, 2].map((k) => {
    const c = Float64Array.from(cg.coords);
    for (let i = 0; i < c.length; i++) c[i] += k * 0.25 * Math.sin(0.7 * i + k);
    return c;
  });
  return { ...cg, coords: models[0], models };
}

const BONDS = [...Object.values(H_BOND), TIP3P.bond];

/** Every hydrogen at an ideal bond length from its nearest heavy atom (the frame's own coordinates). */
function assertIdealHydrogens(s: Structure, coords: Float64Array, what: string): number {
  const a = s.atoms;
  const heavy: number[] = [];
  const h: number[] = [];
  for (let i = 0; i < a.count; i++) (a.element[i] === 'H' ? h : heavy).push(i);
  const d = (i: number, j: number) => Math.hypot(coords[3 * i] - coords[3 * j], coords[3 * i + 1] - coords[3 * j + 1], coords[3 * i + 2] - coords[3 * j + 2]);
  for (const i of h) {
    // its carrier is a heavy atom of the same residue, written before it, at exactly an ideal X–H length
    let carried = false;
    for (let j = i - 1; j >= 0 && a.resSeq[j] === a.resSeq[i] && a.chainId[j] === a.chainId[i] && !carried; j--)
      if (a.element[j] !== 'H') carried = BONDS.some((b) => Math.abs(b - d(i, j)) < 1e-6);
    assert.ok(carried, `${what}: ${a.resName[i]}${a.resSeq[i]} ${a.name[i]} has no heavy atom of its residue at an ideal X–H length`);
  }
  return h.length;
}

/** MODEL blocks of a multi-model PDB: the atom fields of each record (serial to residue number), per model. */
function modelAtoms(path: string): string[][] {
  return readFileSync(path, 'utf8')
    .split(/^MODEL.*$/m)
    .slice(1)
    .map((block) => block.split('\n').filter((l) => /^(ATOM|HETATM)/.test(l)).map((l) => l.slice(0, 26)));
}

test('decideProtonation → a plain plan; applied to another structure it decides nothing again; a plan of other residues is refused', () => {
  const bridged = decideProtonation(disulfidePair(2.04));
  assert.deepEqual(JSON.parse(JSON.stringify(bridged)), bridged, 'serialisable');
  assert.equal(bridged.disulfides, 1);
  const far = disulfidePair(4.0);
  // alone, the far pair keeps its thiol H; with the bridged plan, both CYS stay CYX (no HG1): the same atoms
  const alone = addHydrogens(far, { names: 'charmm' }).structure;
  const planned = addHydrogens(far, { names: 'charmm', plan: bridged });
  assert.ok(alone.atoms.name.includes('HG1'));
  assert.ok(!planned.structure.atoms.name.includes('HG1'));
  assert.equal(planned.report.fromPlan, true);
  assert.deepEqual(planned.structure.atoms.name, addHydrogens(disulfidePair(2.04), { names: 'charmm' }).structure.atoms.name);
  // the plan's pH wins: ASP decided at pH 3 stays ASPP when applied at pH 7
  const acid = buildPeptide('ADA');
  const low = decideProtonation(acid, { ph: 3 });
  assert.equal(low.protein[1].state, 'ASPP');
  assert.ok(addHydrogens(acid, { ph: 7, plan: low }).structure.atoms.resName.includes('ASPP'));
  // termini: a chain break in one frame does not make new termini when frame 0 had none
  const plan = decideProtonation(buildPeptide('AGA'));
  const broken = buildPeptide('AGA');
  const n2 = broken.atoms.name.findIndex((x, i) => x === 'N' && broken.atoms.resSeq[i] === 2);
  broken.coords[3 * n2] += 6;
  assert.equal(addHydrogens(broken).report.termini.n, 2);
  const kept = addHydrogens(broken, { plan });
  assert.equal(kept.report.termini.n, 1);
  assert.equal(kept.structure.atoms.count, addHydrogens(buildPeptide('AGA')).structure.atoms.count);
  assert.throws(() => addHydrogens(buildPeptide('AGAG'), { plan }), UsageError);
  assert.throws(() => addHydrogens(buildPeptide('AGS'), { plan }), UsageError);
});

test('a 3-frame trajectory: the same atoms in every frame, ideal hydrogens in each, frame k = frame k alone with the plan; a shard decides on frame 0 too', async () => {
  const top = demoFrames();
  const out = join(tmp, 'demo.pdb');
  const r = await backmapTrajectory({ topology: top, out, model: 'template', keepFrames: true });
  assert.equal(r.frames, 3);
  const models = modelAtoms(out);
  assert.equal(models.length, 3);
  for (const m of models.slice(1)) assert.deepEqual(m, models[0]);
  const coords = r.firstFrame.models;
  assert.equal(coords.length, 3);
  const nH = coords.map((c, k) => assertIdealHydrogens(r.firstFrame, c, `frame ${k}`));
  assert.ok(nH[0] > 400, `${nH[0]} hydrogens`);
  assert.equal(r.report.counts.atoms, r.firstFrame.atoms.count);
  assert.equal(r.report.hydrogens?.added, nH[0]);
  assert.equal(r.report.notes.filter((n) => n.startsWith('hydrogens added')).length, 1, 'said once');
  assert.match(r.report.notes.join('\n'), /protonation decided on the first frame, applied to every frame/);
  // frame k alone, with frame 0's plan (and the trajectory's refinement): the same atoms at the same coordinates
  const frame = (k: number): Structure => ({ ...top, coords: top.models[k], models: [top.models[k]] });
  const plan = (await backmapStructure(frame(0), { model: 'template', refine: true })).protonation!;
  assert.ok(plan && plan.protein.length === byResidue(DEMO).length);
  for (let k = 0; k < 3; k++) {
    const alone = await backmapStructure(frame(k), { model: 'template', refine: true, protonation: plan });
    assert.deepEqual(alone.structure.atoms.name, r.firstFrame.atoms.name);
    assert.deepEqual(alone.structure.atoms.resName, r.firstFrame.atoms.resName);
    assert.deepEqual(Array.from(alone.structure.coords), Array.from(coords[k]), `frame ${k}`);
  }
  // frames 1:3 alone take the plan of frame 0 (shards of one run agree)
  const shard = await backmapTrajectory({ topology: top, out: join(tmp, 'shard.pdb'), model: 'template', keepFrames: true, frames: '1:3' });
  assert.deepEqual(shard.firstFrame.atoms.name, r.firstFrame.atoms.name);
  assert.deepEqual(shard.firstFrame.models.map((c) => Array.from(c)), coords.slice(1).map((c) => Array.from(c)));
  assert.ok(shard.report.timings.protonation !== undefined, 'frame 0 backmapped to decide on');
  // --no-hydrogens: heavy atoms only, as before
  const heavy = await backmapTrajectory({ topology: top, out: join(tmp, 'heavy.pdb'), model: 'template', hydrogens: false });
  assert.equal(heavy.firstFrame.atoms.element.filter((e) => e === 'H').length, 0);
  assert.equal(heavy.firstFrame.atoms.count + nH[0], r.firstFrame.atoms.count);
  assert.equal(heavy.report.hydrogens, undefined);
});

test('1UBQ CG trajectory (../shared, frames 0:3, shipped model): XTC frames match the written topology, ideal hydrogens, frame k = frame k alone', { skip: !existsSync(join(UBQ, 'traj_protein.xtc')) && '../shared/data/cgsim/1UBQ absent' }, async () => {
  const topPath = join(UBQ, 'topol_protein.pdb');
  const xtc = join(UBQ, 'traj_protein.xtc');
  const out = join(tmp, 'ubq.xtc');
  const r = await backmapTrajectory({ topology: topPath, trajectory: xtc, out, frames: '0:3' });
  assert.equal(r.frames, 3);
  const written = readStructureFile(r.topologyOut!);
  assert.equal(written.atoms.count, r.firstFrame.atoms.count);
  const reader = openTrajectory(out);
  const frames: Float64Array[] = [];
  try {
    assert.equal(reader.natoms, written.atoms.count);
    for (let f = reader.next(); f; f = reader.next()) frames.push(Float64Array.from(f.coords));
  } finally {
    reader.close();
  }
  assert.equal(frames.length, 3);
  // the same run as a multi-model PDB (kept coordinates): ideal hydrogens per frame, each = that frame alone
  const pdb = await backmapTrajectory({ topology: topPath, trajectory: xtc, out: join(tmp, 'ubq.pdb'), frames: '0:3', keepFrames: true });
  const models = modelAtoms(join(tmp, 'ubq.pdb'));
  for (const m of models.slice(1)) assert.deepEqual(m, models[0]);
  const top = readStructureFile(topPath);
  const input = (k: number): Structure => ({ ...top, coords: frames0[k], models: [frames0[k]] });
  const src = openTrajectory(xtc);
  const frames0: Float64Array[] = [];
  try {
    for (let f = src.next(); f && frames0.length < 3; f = src.next()) frames0.push(Float64Array.from(f.coords));
  } finally {
    src.close();
  }
  const plan = (await backmapStructure(input(0), { refine: true })).protonation!;
  for (let k = 0; k < 3; k++) {
    const c = pdb.firstFrame.models[k];
    assert.ok(assertIdealHydrogens(pdb.firstFrame, c, `1UBQ frame ${k}`) > 600);
    const alone = await backmapStructure(input(k), { refine: true, protonation: plan });
    assert.deepEqual(alone.structure.atoms.name, pdb.firstFrame.atoms.name);
    assert.deepEqual(Array.from(alone.structure.coords), Array.from(c), `1UBQ frame ${k}`);
    // XTC keeps 3 decimals of nm: 0.005 Å
    for (let i = 0; i < c.length; i++) assert.ok(Math.abs(frames[k][i] - c[i]) < 0.006, `XTC frame ${k} coordinate ${i}`);
  }
});

test('a stretched peptide bond between residues numbered in sequence (a rough backmap) is not a chain break: no OXT mid-chain', () => {
  /** AGA with residue 2's N pulled to 3.0 Å from residue 1's C (over PEPTIDE_MAX, under STRETCHED_PEPTIDE_MAX). */
  const stretched = () => {
    const s = buildPeptide('AGA');
    const at = (name: string, seq: number) => s.atoms.name.findIndex((x, i) => x === name && s.atoms.resSeq[i] === seq);
    const c1 = at('C', 1), n2 = at('N', 2);
    const d = [0, 1, 2].map((k) => s.coords[3 * n2 + k] - s.coords[3 * c1 + k]);
    const len = Math.hypot(d[0], d[1], d[2]);
    for (let k = 0; k < 3; k++) s.coords[3 * n2 + k] = s.coords[3 * c1 + k] + (3.0 * d[k]) / len;
    return s;
  };
  const r = addHydrogens(stretched());
  assert.equal(r.report.termini.n, 1);
  assert.equal(r.report.termini.c, 1);
  assert.equal(r.structure.atoms.name.filter((x) => x === 'OXT' || x === 'OT2').length, 1, 'one C-terminal oxygen pair');
  // Not in sequence (residues 2–3 renumbered 5–6): the same geometry is a break.
  const gap = stretched();
  const seq = Int32Array.from(gap.atoms.resSeq, (n) => (n >= 2 ? n + 3 : n));
  assert.equal(addHydrogens({ ...gap, atoms: { ...gap.atoms, resSeq: seq } }).report.termini.n, 2);
});
