/**
 * Writes frames of a CG trajectory as single CG PDB files, so each can be backmapped as a single structure (with
 * hydrogens). Usage: npx tsx scripts/forcefield/cg-frames.ts <topology> <trajectory> <out-dir> <frame> [<frame>…]
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { readStructureFile, writeStructureFile } from '../../src/core/structure';
import { openTrajectory } from '../../src/core/trajectory';

const [top, traj, outDir, ...frames] = process.argv.slice(2);
if (!top || !traj || !outDir || frames.length === 0) throw new Error('usage: cg-frames <topology> <trajectory> <out-dir> <frame>…');
const want = new Set(frames.map(Number));
const s = readStructureFile(top);
mkdirSync(outDir, { recursive: true });
const reader = openTrajectory(traj);
try {
  let k = 0;
  for (let f = reader.next(); f; f = reader.next(), k++) {
    if (!want.has(k)) continue;
    const coords = Float64Array.from(f.coords);
    writeStructureFile(join(outDir, `frame${k}.pdb`), { ...s, coords, models: [coords] }, { force: true });
  }
} finally {
  reader.close();
}
