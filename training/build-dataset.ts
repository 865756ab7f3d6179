// Builds a BMDS0001 training dataset from a chain list with the product's own mapping code.
// Usage: node --import tsx training/build-dataset.ts --list <tsv> --mapping martini3 --out training/data/x.bmds [--limit N] [--data-root DIR] [--no-iupac]
import { buildDataset } from '../src/core/dataset/build';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  const list = arg('list');
  const mapping = arg('mapping');
  const out = arg('out');
  if (!list || !mapping || !out) {
    console.error('usage: build-dataset.ts --list <tsv> --mapping <set> --out <file> [--limit N] [--data-root DIR] [--no-iupac] [--verbose]');
    process.exit(2);
  }
  const limit = arg('limit') ? Number(arg('limit')) : undefined;
  const verbose = process.argv.includes('--verbose');
  const s = await buildDataset({ list, mapping, out, dataRoot: arg('data-root'), limit, iupacNaming: !process.argv.includes('--no-iupac'), log: verbose ? (m) => console.log(m) : undefined });
  console.log(
    `${s.out}: ${s.samples} chains, ${s.beads} beads, ${s.atoms} atoms, ${s.bonds} bonds, ${s.angles} angles, R=${s.R}, ` +
      `${s.numTypes} types, ${(s.bytes / 1e6).toFixed(1)} MB in ${s.seconds.toFixed(1)} s; ` +
      `${s.skipped.length} skipped, ${s.droppedBenchmarkClusters} dropped as benchmark clusters`,
  );
  if (s.iupacNaming) {
    const parts = Object.entries(s.iupacNaming).map(([r, n]) => `${r} ${n.swapped}/${n.checked} (${((100 * n.swapped) / Math.max(1, n.checked)).toFixed(1)} %)`);
    console.log(`IUPAC naming: swapped ${parts.join(', ')}`);
  }
  for (const k of s.skipped.slice(0, 20)) console.log(`  skipped ${k.path}:${k.chain}: ${k.reason}`);
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
