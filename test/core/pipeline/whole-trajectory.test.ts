/**
 * Whole-system trajectories: a CG system of a protein, a POPC/cholesterol patch, the project's test ligand LIG (a
 * user model of another mapping set, test/fixtures/ligand) and Martini water and ions, three frames as a multi-model
 * PDB. Every frame is backmapped with every group (protein model, lipid model, the user's ligand model); each frame's
 * output equals backmapping that frame alone; water and ions are placed only when asked for.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { backmapStructure, backmapTrajectory, mapStructureToCg, type BackmapOptions } from '../../../src/core/pipeline';
import { readStructureFile } from '../../../src/core/structure/read';
import { StructureBuilder, residuesOf } from '../../../src/core/structure/builder';
import type { InputWarning } from '../../../src/core/errors';
import type { Structure } from '../../../src/core/structure/types';
import { listModels } from '../../../src/core/model/registry';

const ROOT = join(__dirname, '..', '..', '..');
const LIG = join(ROOT, 'test', 'fixtures', 'ligand');
const tmp = mkdtempSync(join(tmpdir(), 'backmap-whole-traj-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const shipped = new Set(listModels().map((c) => c.id));
const skip = !(shipped.has('martini3-protein') && shipped.has('martini3-lipids')) && 'shipped martini3 models absent';

/** Protein + LIG + lipids + another LIG + 6 water beads + 2 ions, in a 120 Å box. */
function system(): Structure {
  const sb = new StructureBuilder(1024);
  const add = (s: Structure, shift: [number, number, number], chainId?: string, resSeq0 = 0) => {
    for (let i = 0; i < s.atoms.count; i++)
      sb.addAtom({ name: s.atoms.name[i], resName: s.atoms.resName[i], chainId: chainId ?? s.atoms.chainId[i], resSeq: s.atoms.resSeq[i] + resSeq0, element: '', x: s.coords[3 * i] + shift[0], y: s.coords[3 * i + 1] + shift[1], z: s.coords[3 * i + 2] + shift[2] });
  };
  const lig = mapStructureToCg(readStructureFile(join(LIG, 'frames.pdb')), join(LIG, 'lig')).cg;
  add(mapStructureToCg(readStructureFile(join(ROOT, 'examples', 'demo-protein.pdb')), 'martini3').cg, [30, 30, 30], 'A');
  add(lig, [40, 40, 20], 'L');
  add(mapStructureToCg(readStructureFile(join(ROOT, 'test', 'core', 'forward', 'fixtures', 'popc-chl1.pdb')), 'martini3').cg, [60, 0, 0], 'M');
  add(lig, [10, 70, 40], 'L', 1);
  for (let w = 0; w < 6; w++) sb.addAtom({ name: 'W', resName: 'W', chainId: 'W', resSeq: w + 1, element: '', x: 90 + 5 * w, y: 90, z: 90 });
  sb.addAtom({ name: 'NA', resName: 'ION', chainId: 'I', resSeq: 1, element: '', x: 100, y: 80, z: 80 });
  sb.addAtom({ name: 'CL', resName: 'ION', chainId: 'I', resSeq: 2, element: '', x: 80, y: 100, z: 80 });
  return sb.build('whole-traj.pdb', '', { a: 120, b: 120, c: 120, alpha: 90, beta: 90, gamma: 90 });
}

test('every group is backmapped in every frame, each frame as backmapped alone; solvent only when asked', { skip }, async () => {
  const top = system();
  let seed = 3;
  const r = () => (seed = (seed * 16807) % 2147483647) / 2147483647 - 0.5;
  const models = [0, 1, 2].map((k) => (k === 0 ? top.coords : top.coords.map((x) => x + 0.3 * r())));
  const cg: Structure = { ...top, models };
  const common: BackmapOptions = { modelDirs: [LIG], refine: false, skipMetrics: true, device: 'cpu' };
  const warnings: InputWarning[] = [];
  const res = await backmapTrajectory({ ...common, topology: cg, out: join(tmp, 'out.pdb'), keepFrames: true, warn: (w) => warnings.push(w) });
  assert.equal(res.frames, 3);
  const out = readStructureFile(join(tmp, 'out.pdb'));
  const names = new Set(residuesOf(out.atoms).map((x) => x.resName));
  for (const n of ['LIG', 'POPC', 'CHL1', 'ALA']) assert.ok(names.has(n), `${n} in every frame`);
  assert.equal(names.has('TIP3'), false);
  assert.match(warnings.map((w) => w.message).join('\n'), /6 water bead\(s\) and 2 ion\(s\) are skipped/);
  // CHL1 goes to the template (martini3-lipids' card leaves it out).
  assert.deepEqual(res.report.models?.map((m) => m.model).sort(), ['lig-tiny', 'martini3-lipids', 'martini3-protein', 'template']);
  // Frame 2 on its own, solvent left out the same way, with frame 0's protonation: the same atoms at the same places.
  const frame = (k: number): Structure => selectSolute({ ...top, coords: models[k], models: [models[k]] });
  const protonation = (await backmapStructure(frame(0), common)).protonation;
  assert.ok(protonation);
  const alone = await backmapStructure(frame(2), { ...common, protonation });
  assert.equal(alone.structure.atoms.count, out.atoms.count);
  assert.deepEqual(Array.from(out.models[2]).map((x) => x.toFixed(3)), Array.from(alone.structure.coords).map((x) => x.toFixed(3)));
  // With solvent: waters (4 per W bead) and ions in every frame.
  const withSolvent = await backmapTrajectory({ ...common, topology: cg, out: join(tmp, 'solvated.pdb'), solvent: true });
  const sol = readStructureFile(join(tmp, 'solvated.pdb'));
  assert.equal(withSolvent.frames, 3);
  assert.equal(residuesOf(sol.atoms).filter((x) => x.resName === 'TIP3').length, 24);
  // TIP3P waters with their hydrogens (O, H1, H2), ions one atom each
  assert.equal(sol.atoms.count, out.atoms.count + 3 * 24 + 2);
});

/** The structure without its water and ion particles. */
function selectSolute(s: Structure): Structure {
  const sb = new StructureBuilder(1024);
  for (let i = 0; i < s.atoms.count; i++) {
    if (s.atoms.resName[i] === 'W' || s.atoms.resName[i] === 'ION') continue;
    sb.addAtom({ name: s.atoms.name[i], resName: s.atoms.resName[i], chainId: s.atoms.chainId[i], resSeq: s.atoms.resSeq[i], element: '', x: s.coords[3 * i], y: s.coords[3 * i + 1], z: s.coords[3 * i + 2] });
  }
  return sb.build(s.source, '', s.box);
}
