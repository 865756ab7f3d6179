/**
 * Parse/format speed of the structure readers on a synthetic system (default 1,000,000 atoms).
 * Usage: npx tsx bench/io-parse.ts [natoms]
 */
import { StructureBuilder } from '../src/core/structure/builder';
import { parsePdb, formatPdb } from '../src/core/structure/pdb';
import { parseGro, formatGro } from '../src/core/structure/gro';
import { parseMmcif, formatMmcif } from '../src/core/structure/mmcif';
import { writeStructureFile } from '../src/core/structure/write';
import { compressCoords, decompressCoords } from '../src/core/trajectory/xtc-codec';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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
// Files are written streamed through a fixed 4 MB buffer (no string): the same records, to disk.
const dir = mkdtempSync(join(tmpdir(), 'bm-io-bench-'));
for (const ext of ['pdb', 'gro', 'cif']) time(`write .${ext}`, () => writeStructureFile(join(dir, `out.${ext}`), s, { force: true }));
rmSync(dir, { recursive: true, force: true });
console.log(`natoms ${natoms}; sizes: pdb ${(pdb.length / 1e6).toFixed(1)} MB, gro ${(gro.length / 1e6).toFixed(1)} MB, cif ${(cif.length / 1e6).toFixed(1)} MB`);

// XTC codec on a water-like system of the same size (nm, precision 1000).
{

  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const n = natoms - (natoms % 3);
  const c = new Float32Array(3 * n);
  for (let m = 0; m < n / 3; m++) {
    const x = rnd() * 20, y = rnd() * 20, z = rnd() * 20;
    c.set([x, y, z, x + 0.0957, y, z, x - 0.024, y + 0.0927, z], 9 * m);
  }
  let comp = compressCoords(c, n, 1000);
  const out = new Float32Array(3 * n);
  time('xtc compress', () => (comp = compressCoords(c, n, 1000)));
  time('xtc decompress', () => decompressCoords(comp.bytes, comp.bytes.length, n, 1000, comp.minint, comp.maxint, comp.smallidx, out, 10));
  console.log(`xtc frame: ${(comp.bytes.length / 1e6).toFixed(2)} MB compressed for ${n} atoms (${((comp.bytes.length * 8) / n).toFixed(1)} bits/atom)`);
}
