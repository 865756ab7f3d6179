/**
 * Minimises a protein PDB with hydrogens under AMBER99SB-ILDN (src/core/refine/forcefield) and writes the result;
 * prints the report as JSON (per-residue table left out). For measurements (scripts/forcefield/measure.sh).
 * Usage: npx tsx scripts/forcefield/minimise-file.ts <in.pdb> <out.pdb> [--names amber|charmm|gromacs] [--tether k]
 *        [--steps N] [--force]
 */
import { readStructureFile, writeStructureFile } from '../../src/core/structure';
import { minimiseWithForceField } from '../../src/core/refine/forcefield';
import type { ForceFieldNaming } from '../../src/core/ffnames';

const args = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const k = args.indexOf(name);
  return k >= 0 ? args.splice(k, 2)[1] : undefined;
};
const names = (flag('--names') ?? 'amber') as ForceFieldNaming;
const tether = flag('--tether');
const steps = flag('--steps');
const force = args.includes('--force');
const [input, output] = args.filter((a) => a !== '--force');
if (!input || !output) throw new Error('usage: minimise-file <in.pdb> <out.pdb> [--names N] [--tether k] [--steps N] [--force]');
const s = readStructureFile(input);
const { structure, report } = minimiseWithForceField(s, { names, tether: tether === undefined ? undefined : Number(tether), maxSteps: steps === undefined ? undefined : Number(steps) });
writeStructureFile(output, structure, { force });
const { perResidue: _perResidue, ...rest } = report;
console.log(JSON.stringify({ file: input, ...rest, frozen: report.frozen.length, frozenFirst: report.frozen.slice(0, 3) }));
