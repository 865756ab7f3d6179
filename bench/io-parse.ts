/**
 * Parse/format speed of the structure readers on a synthetic system (default 1,000,000 atoms).
 * Usage: npx tsx bench/io-parse.ts [natoms]
 */
import { StructureBuilder } from '../src/core/structure/builder';
import { parsePdb, formatPdb } from '../src/core/structure/pdb';
import { parseGro, formatGro } from '../src/core/structure/gro';
import { parseMmcif, formatMmcif } from '../src/core/structure/mmcif';

const natoms = Number(process.argv[2] ?? 1_000_000);
const names = ['N', 'CA', 'C', 'O', 'CB', 'CG', 'CD', 'NE', 'CZ', 'NH1'];
const b = new StructureBuilder(natoms);
for (let i = 0; i < natoms; i++) {
  const r = Math.floor(i / names.length);
  b.addAtom({ name: names[i % names.length], resName: 'ARG', chainId: String.fromCharCode(65 + (Math.floor(r / 5000) % 26)), resSeq: (r % 5000) + 1, x: (i % 100) * 1.1, y: (Math.floor(i / 100) % 100) * 1.1, z: Math.floor(i / 10000) * 1.1, element: names[i % names.length][0] });
}
const s = b.build('synthetic', 'synthetic');
const time = (label: string, f: () => unknown) => {
  f(); // warm-up
  // Wall time and this process's CPU time (the machine may be shared: CPU time is the steadier figure).
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const reps = 3;
  for (let k = 0; k < reps; k++) f();
  const ms = (performance.now() - t0) / reps;
  const cu = process.cpuUsage(c0);
  const cpu = (cu.user + cu.system) / 1000 / reps;
  console.log(`${label.padEnd(12)} wall ${ms.toFixed(0).padStart(5)} ms (${(natoms / ms / 1000).toFixed(2)} M atoms/s)   cpu ${cpu.toFixed(0).padStart(5)} ms (${(natoms / cpu / 1000).toFixed(2)} M atoms/s)`);
};
let pdb = '', gro = '', cif = '';
time('formatPdb', () => (pdb = formatPdb(s)));
time('parsePdb', () => parsePdb(pdb, 'bench.pdb'));
time('formatGro', () => (gro = formatGro(s)));
time('parseGro', () => parseGro(gro, 'bench.gro'));
time('formatMmcif', () => (cif = formatMmcif(s)));
time('parseMmcif', () => parseMmcif(cif, 'bench.cif'));
console.log(`natoms ${natoms}; sizes: pdb ${(pdb.length / 1e6).toFixed(1)} MB, gro ${(gro.length / 1e6).toFixed(1)} MB, cif ${(cif.length / 1e6).toFixed(1)} MB`);
