// Builds the martini3-lipids training file from the CHARMM36 bilayers in ../shared/data/raw/membranes
// (src/core/dataset/lipids.ts: the +z leaflet of every membrane is held out).
// Usage: node --import tsx training/build-lipid-dataset.ts [--mapping martini3] [--out training/data/martini3-lipids.charmm36-membranes.bmds] [--data-root DIR]
import { buildLipidDataset } from '../src/core/dataset/lipids';
import { sharedDataRoot } from '../src/core/dataset/tsv';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const dataRoot = arg('data-root') ?? sharedDataRoot();
if (!dataRoot) {
  console.error('shared data folder not found (set BACKMAP_SHARED_DATA or pass --data-root)');
  process.exit(1);
}
const t0 = Date.now();
const s = buildLipidDataset({
  dataRoot,
  mapping: arg('mapping') ?? 'martini3',
  out: arg('out') ?? 'training/data/martini3-lipids.charmm36-membranes.bmds',
  log: (m) => console.log(m),
});
console.log(`${s.out}: ${s.samples} patches, ${s.beads} beads, ${(s.bytes / 1e6).toFixed(1)} MB in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
console.log(`training lipids: ${JSON.stringify(s.trainLipids)}; held out: ${JSON.stringify(s.heldOutLipids)}`);
