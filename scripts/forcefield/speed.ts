/**
 * Speed of the force-field minimisation on a large protein: tiles copies of a protein with hydrogens (each copy
 * its own chain, 45 Å apart on a grid) until it has at least --residues residues, then minimises it and prints
 * atoms, pairs, steps, evaluations, steps/s and seconds.
 * Usage: npx tsx scripts/forcefield/speed.ts <protein-with-H.pdb> [--residues 1000] [--steps N] [--tether k] [--cutoff 10] [--skin 2]
 */
import { readStructureFile } from '../../src/core/structure';
import { StructureBuilder, residuesOf } from '../../src/core/structure/builder';
import { buildTopology, ForceFieldEnergy, lbfgs, DEFAULT_TETHER } from '../../src/core/refine/forcefield';

const args = process.argv.slice(2);
const opt = (name: string, d: number): number => {
  const k = args.indexOf(name);
  return k >= 0 ? Number(args[k + 1]) : d;
};
const s = readStructureFile(args[0]);
const want = opt('--residues', 1000);
const per = residuesOf(s.atoms).length;
const copies = Math.ceil(want / per);
const side = Math.ceil(Math.cbrt(copies));
const b = new StructureBuilder(s.atoms.count * copies);
for (let c = 0; c < copies; c++) {
  const ox = 45 * (c % side), oy = 45 * (Math.floor(c / side) % side), oz = 45 * Math.floor(c / side / side);
  for (let i = 0; i < s.atoms.count; i++)
    b.addAtom({ name: s.atoms.name[i], resName: s.atoms.resName[i], resSeq: s.atoms.resSeq[i], chainId: String.fromCharCode(65 + (c % 26)), segId: `P${c}`, element: s.atoms.element[i], x: s.coords[3 * i] + ox, y: s.coords[3 * i + 1] + oy, z: s.coords[3 * i + 2] + oz });
}
const big = b.build('tiled');
let t = performance.now();
const top = buildTopology(big);
const tTop = (performance.now() - t) / 1000;
const ff = new ForceFieldEnergy(top, { tetherK: opt('--tether', DEFAULT_TETHER), cutoff: opt('--cutoff', 10), skin: opt('--skin', 2) });
const x = Float64Array.from(big.coords);
let evals = 0;
t = performance.now();
const r = lbfgs((y, g) => { evals++; return ff.evaluate(y, g).total; }, x, { movable: top.movable, rmsForce: 1, maxSteps: opt('--steps', 500) });
const sec = (performance.now() - t) / 1000;
console.log(JSON.stringify({ cutoff: ff.cutoff, skin: ff.skin, residues: residuesOf(big.atoms).length, atoms: big.atoms.count, frozen: top.frozen.length, pairs: ff.pairCount, topologySeconds: tTop, steps: r.steps, evaluations: evals, rebuilds: ff.rebuilds, seconds: sec, stepsPerSecond: r.steps / sec, msPerEvaluation: (sec * 1000) / evals, converged: r.converged }));
