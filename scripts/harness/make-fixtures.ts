// Writes the test workspace used by the extension-host and UI tests into <dir>: structures made here (ideal peptide
// from the metrics engineer's builder, mapped to CG with the project's own mapping sets) and mapping files with known
// defects. Nothing is read from ../shared. Usage: node --import tsx scripts/harness/make-fixtures.ts <dir>
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildPeptide } from '../../src/core/chemistry/peptide';
import { mapToCg } from '../../src/core/forward';
import { loadMappingSet } from '../../src/core/mapping/load';
import { formatPdb } from '../../src/core/structure/pdb';
import { createTrajectoryWriter } from '../../src/core/trajectory';
import { BAD_MAPPING, FIXTURE_SEQUENCE, TRAJECTORY_FRAMES } from './fixture-data';

const dir = resolve(process.argv[2] ?? 'test/fixtures/workspace');
mkdirSync(dir, { recursive: true });
const aa = buildPeptide(FIXTURE_SEQUENCE, { source: 'fixture' });
writeFileSync(join(dir, 'aa.pdb'), formatPdb(aa));
mkdirSync(join(dir, 'reference'), { recursive: true });
writeFileSync(join(dir, 'reference', 'aa-reference.pdb'), formatPdb(aa));
const cg = mapToCg(aa, loadMappingSet('martini3')).cg;
writeFileSync(join(dir, 'cg.pdb'), formatPdb(cg));
// A short CG trajectory of that topology: TRAJECTORY_FRAMES rigid shifts of the beads (deterministic).
const w = createTrajectoryWriter(join(dir, 'cg.xtc'), cg.atoms.count, 'xtc');
for (let f = 0; f < TRAJECTORY_FRAMES; f++) {
  const coords = Float32Array.from(cg.coords, (x, i) => x + (i % 3 === 0 ? 0.5 * f : 0));
  w.write({ index: f, time: 10 * f, step: 1000 * f, coords, box: null });
}
w.close();
writeFileSync(join(dir, 'ca.pdb'), formatPdb(mapToCg(aa, loadMappingSet('ca')).cg));
mkdirSync(join(dir, 'mappings', 'bad'), { recursive: true });
writeFileSync(join(dir, 'mappings', 'bad', 'ala.yaml'), BAD_MAPPING);
// Not under mappings/ and not *.map.yaml: only the content check can recognise it.
writeFileSync(join(dir, 'detect-me.yaml'), 'molecule: ALA\natoms:\n  N: BB P2AA\n  CA: BB P1A\n  C: BB P2AB\n  O: BB P3BA\n  CB: SC1 P1A\n');
writeFileSync(join(dir, 'plain.yaml'), 'name: not a mapping\nsteps: 3\n');
console.log(`fixtures written to ${dir}`);
