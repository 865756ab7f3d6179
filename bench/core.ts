/**
 * `npm run bench:core`: throughput and memory of the core geometry on systems from 1k to 1M CG beads.
 *
 * Systems are made by replicating the project's demo protein (examples/demo-protein.pdb, built by
 * `buildDemoProtein()`) on a 3-D grid (60 Å apart, one chain per copy). Each size runs in its own
 * child process so that the peak RSS it reports (`process.resourceUsage().maxRSS`) belongs to that
 * size alone. Stages timed per size:
 *   map       mapToCg (all-atom → CG, with the report and the CSR matrix)   → heavy atoms/s, beads/s
 *   template  templateVectors + reconstruct (model-free backmapping)        → heavy atoms/s out
 *   mapCoords re-mapping one more frame with the CSR matrix (trajectory path) → atoms/s
 *   nbr       cellListNeighbors on the beads (cutoff 10 Å, K 32: the model's neighbour input)
 *   metrics   compareStructures (symmetric) + clashReport of the backmapped structure (≤ 100k beads)
 *
 *   node --import tsx bench/core.ts [--sizes 1000,10000,100000,1000000] [--mapping martini3|ca] [--json out.json]
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { buildDemoProtein } from '../src/core/chemistry/demo-protein';
import { loadMappingSet } from '../src/core/mapping/load';
import { mapToCg, mapCoords } from '../src/core/forward';
import { templateVectors } from '../src/core/template';
import { reconstruct } from '../src/core/reconstruct';
import { cellListNeighbors } from '../src/core/geometry/neighbors';
import { compareStructures, clashReport } from '../src/core/metrics';
import type { Structure, AtomTable } from '../src/core/structure/types';

interface Row {
  mapping: string;
  beads: number;
  atoms: number;
  copies: number;
  buildS: number;
  mapS: number;
  templateS: number;
  mapCoordsS: number;
  nbrS: number;
  metricsS: number | null;
  /** CPU seconds (user + system) of the same stages: robust when the machine is shared. */
  mapCpu: number;
  templateCpu: number;
  mapCoordsCpu: number;
  nbrCpu: number;
  backmappedAtoms: number;
  rmsdAll: number | null;
  peakRssMB: number;
  heapMB: number;
  /** RSS right after building the input (the input's own footprint). */
  inputRssMB: number;
}

/** `copies` translated copies of `s` on a cubic grid, chain ids C0, C1, … (struct-of-arrays, no per-atom objects). */
export function replicate(s: Structure, copies: number, spacing = 60): Structure {
  const n = s.atoms.count;
  const N = n * copies;
  const A = s.atoms;
  const side = Math.ceil(Math.cbrt(copies));
  const atoms: AtomTable = {
    count: N,
    serial: new Int32Array(N),
    name: new Array<string>(N),
    altLoc: new Array<string>(N).fill(''),
    resName: new Array<string>(N),
    chainId: new Array<string>(N),
    resSeq: new Int32Array(N),
    iCode: new Array<string>(N).fill(''),
    element: new Array<string>(N),
    occupancy: new Float32Array(N).fill(1),
    bFactor: new Float32Array(N),
    hetero: new Uint8Array(N),
    segId: new Array<string>(N).fill(''),
    sourceLine: new Int32Array(N),
  };
  const coords = new Float64Array(3 * N);
  for (let c = 0; c < copies; c++) {
    const ox = spacing * (c % side), oy = spacing * (Math.floor(c / side) % side), oz = spacing * Math.floor(c / (side * side));
    const chain = `C${c}`;
    const o = c * n;
    for (let i = 0; i < n; i++) {
      const k = o + i;
      atoms.serial[k] = k + 1;
      atoms.name[k] = A.name[i];
      atoms.resName[k] = A.resName[i];
      atoms.chainId[k] = chain;
      atoms.resSeq[k] = A.resSeq[i];
      atoms.element[k] = A.element[i];
      coords[3 * k] = s.coords[3 * i] + ox;
      coords[3 * k + 1] = s.coords[3 * i + 1] + oy;
      coords[3 * k + 2] = s.coords[3 * i + 2] + oz;
    }
  }
  return { source: `demo-protein x${copies}`, title: '', atoms, coords, models: [coords], box: null };
}

const mb = (b: number) => b / 1048576;
const now = () => performance.now() / 1000;
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

function runChild(mappingId: string, targetBeads: number): Row {
  const set = loadMappingSet(mappingId);
  const demo = buildDemoProtein();
  const beadsPerCopy = mapToCg(demo, set).system.beads.length;
  const copies = Math.max(1, Math.round(targetBeads / beadsPerCopy));
  let t = now();
  const aa = replicate(demo, copies);
  const buildS = now() - t;
  const inputRssMB = mb(process.memoryUsage().rss);

  let c = cpu();
  t = now();
  const fw = mapToCg(aa, set);
  const mapS = now() - t;
  const mapCpu = cpu() - c;
  const beads = fw.system.beads.length;

  c = cpu();
  t = now();
  const frame = mapCoords(fw, aa.coords);
  const mapCoordsS = now() - t;
  const mapCoordsCpu = cpu() - c;
  if (frame.length !== 3 * beads) throw new Error('mapCoords length mismatch');

  c = cpu();
  t = now();
  const vectors = templateVectors(fw.system);
  const out = reconstruct(fw.system, vectors);
  const templateS = now() - t;
  const templateCpu = cpu() - c;

  c = cpu();
  t = now();
  const nb = cellListNeighbors(fw.system.coords, 10, 32);
  const nbrS = now() - t;
  const nbrCpu = cpu() - c;
  if (nb.count.length !== beads) throw new Error('neighbour count mismatch');

  let metricsS: number | null = null;
  let rmsdAll: number | null = null;
  if (beads <= 150_000) {
    t = now();
    rmsdAll = compareStructures(out, aa, { symmetric: true }).rmsd_all;
    clashReport(out);
    metricsS = now() - t;
  }
  const heapMB = mb(process.memoryUsage().heapUsed);
  return {
    mapping: mappingId, beads, atoms: aa.atoms.count, copies, buildS, mapS, templateS, mapCoordsS, nbrS, metricsS,
    mapCpu, templateCpu, mapCoordsCpu, nbrCpu,
    backmappedAtoms: out.atoms.count, rmsdAll, peakRssMB: process.resourceUsage().maxRSS / 1024, heapMB, inputRssMB,
  };
}

function fmtRate(n: number, s: number): string {
  const r = n / s;
  return r >= 1e6 ? `${(r / 1e6).toFixed(2)} M` : `${(r / 1e3).toFixed(0)} k`;
}

function main(): void {
  const args = process.argv.slice(2);
  const opt = (name: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const child = opt('--child');
  const mapping = opt('--mapping') ?? 'martini3';
  if (child) {
    process.stdout.write('ROW ' + JSON.stringify(runChild(mapping, Number(child))) + '\n');
    return;
  }
  const sizes = (opt('--sizes') ?? '1000,10000,100000,1000000').split(',').map(Number);
  const rows: Row[] = [];
  for (const size of sizes) {
    const r = spawnSync(process.execPath, ['--max-old-space-size=12000', '--import', 'tsx', __filename, '--child', String(size), '--mapping', mapping], {
      encoding: 'utf8',
      maxBuffer: 1 << 24,
    });
    const line = (r.stdout ?? '').split('\n').find((l) => l.startsWith('ROW '));
    if (r.status !== 0 || !line) {
      console.error(`size ${size}: child failed (status ${r.status})\n${r.stderr?.slice(-2000)}`);
      continue;
    }
    const row = JSON.parse(line.slice(4)) as Row;
    rows.push(row);
    console.error(`done ${mapping} ${row.beads} beads`);
  }
  const lines = [
    `Core throughput (${mapping}; demo protein replicated; Node ${process.version}; ${process.platform}/${process.arch}; single thread; load average ${loadavg().map((x) => x.toFixed(1)).join(' ')} on ${cpus().length} CPUs)`,
    'Rates per CPU-second (user+system of this process; wall-clock seconds in brackets, which include waiting for a shared CPU).',
    '',
    '| beads | heavy atoms | map s CPU (wall) | map atoms/s | map beads/s | template backmap s CPU (wall) | backmap atoms/s | mapCoords atoms/s | neighbours s CPU (10 Å, K 32) | metrics s (wall) | template RMSD Å | peak RSS MB | input RSS MB | heap MB |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of rows)
    lines.push(
      `| ${r.beads.toLocaleString('en-US')} | ${r.atoms.toLocaleString('en-US')} | ${r.mapCpu.toFixed(2)} (${r.mapS.toFixed(2)}) | ${fmtRate(r.atoms, r.mapCpu)} | ${fmtRate(r.beads, r.mapCpu)} | ${r.templateCpu.toFixed(2)} (${r.templateS.toFixed(2)}) | ${fmtRate(r.backmappedAtoms, r.templateCpu)} | ${fmtRate(r.atoms, r.mapCoordsCpu)} | ${r.nbrCpu.toFixed(2)} | ${r.metricsS === null ? '–' : r.metricsS.toFixed(2)} | ${r.rmsdAll === null ? '–' : r.rmsdAll.toFixed(3)} | ${r.peakRssMB.toFixed(0)} | ${r.inputRssMB.toFixed(0)} | ${r.heapMB.toFixed(0)} |`,
    );
  if (rows.length >= 2) {
    const a = rows[rows.length - 2], b = rows[rows.length - 1];
    lines.push('', `Memory growth between the two largest sizes: ${((b.peakRssMB - a.peakRssMB) / (b.atoms - a.atoms) * 1e6).toFixed(0)} MB per million heavy atoms (peak RSS).`);
  }
  const table = lines.join('\n');
  console.log(table);
  const json = opt('--json');
  if (json) writeFileSync(json, JSON.stringify(rows, null, 2));
}

// run only as a script (the replicate() helper is importable)
if (require.main === module) main();
