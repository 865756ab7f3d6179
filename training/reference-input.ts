// Maps the project's demo protein (examples/demo-protein.pdb) with a mapping set into a one-sample BMDS0001 file:
// training/export.py runs PyTorch on it and stores inputs + outputs as models/<id>.reference.bin.
// Usage: node --import tsx training/reference-input.ts --mapping martini3 --out training/data/martini3-demo.bmds
//        [--input <all-atom file>] [--molecules-as-chains]   (the lipid model: test/core/forward/fixtures/popc-chl1.pdb,
//        every molecule its own chain as in its training data)
import { join } from 'node:path';
import { loadMappingSet } from '../src/core/mapping/load';
import { readStructureFile } from '../src/core/structure/read';
import { mapToCg } from '../src/core/forward';
import { targetVectors } from '../src/core/reconstruct';
import { packSamples, sampleFromSystem, datasetMeta } from '../src/core/dataset/build';
import { writeDataset } from '../src/core/dataset/format';
import { moleculesAsChains } from '../src/core/model/contract';

const arg = (n: string) => {
  const i = process.argv.indexOf(`--${n}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const mapping = arg('mapping');
const out = arg('out');
if (!mapping || !out) {
  console.error('usage: reference-input.ts --mapping <set> --out <file>');
  process.exit(2);
}
const input = arg('input') ?? join(__dirname, '..', 'examples', 'demo-protein.pdb');
const set = loadMappingSet(mapping);
const aa = readStructureFile(input);
const fr = mapToCg(aa, set);
if (process.argv.includes('--molecules-as-chains')) fr.system = moleculesAsChains(fr.system);
const s = sampleFromSystem(fr.system, targetVectors(fr.system, aa.coords, fr.slotAtoms), fr.slotAtoms, aa.coords);
const arrays = packSamples([s], set.maxSlots);
writeDataset(out, arrays, {
  ...datasetMeta(set, arrays),
  list: arg('input') ?? 'examples/demo-protein.pdb',
  chains: [{ path: arg('input') ?? 'examples/demo-protein.pdb', chain: 'A', beads: s.nBeads, atoms: s.nAtoms }],
});
console.log(`${out}: ${s.nBeads} beads from ${input}`);
