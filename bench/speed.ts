/**
 * Engine speed benchmark (`npm run bench:speed`): heavy atoms/s, frames/s and peak memory (max RSS of a fresh
 * process per row) per route: the template backmapper and every shipped model, on every execution provider that
 * runs here (the others are attempted and reported). Rows: one ~1,000-residue protein, 34k and 100k beads (time per
 * stage: parse, assign, graph, inference, rebuild, refine, write), a 1,000-frame trajectory of a 300-residue protein,
 * a whole membrane system (the lipid route), and the one-off CLI start-up (wall time of a fresh
 * `node dist/cli.js backmap` of the 1,000-residue protein). Ends with a summary table per route. Prints markdown.
 *
 *   node --import tsx bench/speed.ts [--residues 1000] [--sizes 34000,100000] [--frames 1000] [--refine-max 34000]
 *                                    [--skip-structures] [--skip-trajectory] [--skip-membrane] [--skip-cli]
 *                                    [--models template,martini3-protein] [--json out.json] [--cli-runs 3]
 *                                    [--chunk-size N]   (most beads per inference chunk, halo included; default: the engine's)
 *                                    [--membrane 100000]
 *
 * Membrane row (issue 31): a whole synthetic CG system of ~N beads written as GRO without chain ids: a POPC
 * bilayer (a Martini 3 POPC made with our mapping from the NMRlipids CHARMM36 bilayer in ../shared; without
 * ../shared the row has no lipids), transmembrane-length helices in the water, Martini W water and 1 % NA/CL,
 * backmapped whole (lipids by the template or a lipid model, water placed, ions named) with its peak RSS.
 * Inputs are synthetic but realistic: ideal-geometry helices (buildPeptide) mapped to CG (mapToCg): the protein is
 * one helical chain, the larger systems 30-residue helices tiled in space as separate chains; trajectory frames
 * are perturbed copies written with the io writer. The CLI row needs `npm run build` (dist/cli.js).
 */
import { fork, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync, statSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { basename, join } from 'node:path';
import { buildPeptide } from '../src/core/chemistry/peptide';
import { loadMappingSet } from '../src/core/mapping/load';
import { mapToCg } from '../src/core/forward';
import { StructureBuilder } from '../src/core/structure/builder';
import type { Structure } from '../src/core/structure/types';
import { formatPdb } from '../src/core/structure/pdb';
import { formatGro } from '../src/core/structure/gro';
import { selectAtoms } from '../src/core/pipeline/molecules';
import { sharedDataRoot } from '../src/core/dataset/tsv';
import { readStructureFile } from '../src/core/structure/read';
import { writeStructureFile } from '../src/core/structure/write';
import { listModels } from '../src/core/model/registry';
import { modelMoleculeKinds } from '../src/core/model/contract';
import { backmapStructure, backmapTrajectory } from '../src/core/pipeline';
import { probeAll, type ConcreteDevice } from '../src/core/model/providers';

const args = process.argv.slice(2);
const opt = (name: string, def?: string): string | undefined => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const flag = (name: string) => args.includes(`--${name}`);

const SEQ =
  'MKTAYIAKQRQISFVKSHFSRQLEERLGLIEVQAPILSRVGDGTQDNLSGAEKAVQVKVKALPDAQFEVVHSLAKWKRQTLGQHDFSAGEGLYTHMKALRPDEDRLSPLHSVYVDQWDWERVMGDGERQFSTLKSTVEAIWAGIKATEAAVSEEFGLAPFLPDQIHFVHSQELLSRYPDLDAKGRERAIAKDLGAVFLVGIGGKLSDGHRHDVRAPDYDDWSTPSELGHAGLNGDILVWNPVLEDAFELSSMGIRVDADTLKHQLALTGDEDRLELEWHQALLRGEMPQTIGGGIGQSRLTMLLLQLPHIGQVQAGVWPAAVRESVPALLKE';
const CHAIN_IDS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** ~`beads` CG beads: 30-residue helices (each its own chain) on a 3D grid, 18 × 18 × 50 Å apart (no overlaps). */
export function tiledCg(mapping: string, beads: number): Structure {
  const set = loadMappingSet(mapping);
  const tiles: Structure[] = [];
  for (let k = 0; k < 10; k++) {
    const seq = SEQ.slice(k * 30, k * 30 + 30);
    tiles.push(mapToCg(buildPeptide(seq, { phi: -63, psi: -42 }), set).cg);
  }
  const b = new StructureBuilder(beads + 1024);
  const perSide = Math.max(1, Math.ceil(Math.cbrt(beads / (tiles[0].atoms.count * 4))));
  let t = 0;
  while (b.count < beads) {
    const tile = tiles[t % tiles.length];
    const gx = t % (perSide * 2);
    const gy = Math.floor(t / (perSide * 2)) % (perSide * 2);
    const gz = Math.floor(t / (perSide * perSide * 4));
    const chain = CHAIN_IDS[t % CHAIN_IDS.length];
    const a = tile.atoms;
    for (let i = 0; i < a.count && b.count < beads + a.count; i++)
      b.addAtom({
        name: a.name[i],
        resName: a.resName[i],
        chainId: chain,
        resSeq: a.resSeq[i] + 30 * (Math.floor(t / CHAIN_IDS.length) % 1000),
        x: tile.coords[3 * i] + gx * 18,
        y: tile.coords[3 * i + 1] + gy * 18,
        z: tile.coords[3 * i + 2] + gz * 50,
      });
    t++;
  }
  return b.build(`tiled-${beads}`);
}

/** One protein of `residues` residues: a single ideal helix (chain A) mapped with `mapping`. */
export function proteinCg(mapping: string, residues: number): Structure {
  const seq = SEQ.repeat(Math.ceil(residues / SEQ.length)).slice(0, residues);
  return mapToCg(buildPeptide(seq, { phi: -63, psi: -42, chainId: 'A' }), loadMappingSet(mapping)).cg;
}

/** One Martini 3 POPC (CG beads, centred, tails along −z) mapped from the CHARMM36 NMRlipids bilayer, or null. */
function cgPopc(): Structure | null {
  const root = sharedDataRoot();
  const file = root && join(root, 'raw', 'membranes', 'nmrlipids_charmm36_popc_chol', 'POPCchol', 'chol0pct', 'POPC_0CHL.gro.gz');
  if (!file || !existsSync(file)) return null;
  const aa = readStructureFile(file);
  const a = aa.atoms;
  const end = a.resSeq.findIndex((r, i) => i > 0 && r !== a.resSeq[0]);
  const keep = Int32Array.from({ length: end }, (_, i) => i);
  try {
    const cg = mapToCg(selectAtoms(aa, keep), loadMappingSet('martini3')).cg;
    // Head (first bead) up: flip so that the head's z is above the tail's, then centre.
    const n = cg.atoms.count;
    const flip = cg.coords[2] < cg.coords[3 * (n - 1) + 2] ? 1 : -1;
    const c = [0, 1, 2].map((k) => cg.coords.filter((_, i) => i % 3 === k).reduce((x, y) => x + y, 0) / n);
    for (let i = 0; i < n; i++) for (let k = 0; k < 3; k++) cg.coords[3 * i + k] = (cg.coords[3 * i + k] - c[k]) * (k === 2 ? -flip : 1);
    return cg;
  } catch {
    return null;
  }
}

/**
 * ~`beads` CG beads of a membrane system in a square box: a POPC bilayer at z = 0 (8 Å lipid spacing, 12 % of the
 * beads), 30-residue helices in the water (8 %), W water on a 4.7 Å grid above and below, 1 % of the waters as
 * NA/CL. Written as GRO: no chain ids, residue numbers over 99,999 wrap as GROMACS writes them.
 */
export function membraneCg(beads: number): Structure {
  const lipid = cgPopc();
  const protein = tiledCg('martini3', Math.round(beads * 0.08));
  // Lipids (2 leaflets × (L/8)² × 12 beads) ≈ 12 % of the beads.
  const L = Math.max(60, 8 * Math.sqrt((0.12 * beads) / 24));
  // The helices keep tiledCg's layout (18 × 18 × 50 Å apart, no overlaps) in the upper water, from z = 30 Å.
  const pb = [Infinity, Infinity, Infinity, -Infinity, -Infinity, -Infinity];
  for (let i = 0; i < protein.atoms.count; i++)
    for (let k = 0; k < 3; k++) {
      const v = protein.coords[3 * i + k] + (k === 2 ? 30 : 0);
      pb[k] = Math.min(pb[k], v);
      pb[k + 3] = Math.max(pb[k + 3], v);
    }
  const b = new StructureBuilder(beads + 4096);
  let resSeq = 0;
  // Protein helices first (as CHARMM-GUI orders a system), shifted into the upper water.
  const pa = protein.atoms;
  let last = '';
  for (let i = 0; i < pa.count; i++) {
    const key = `${pa.chainId[i]}${pa.resSeq[i]}`;
    if (key !== last) resSeq++;
    last = key;
    b.addAtom({ name: pa.name[i], resName: pa.resName[i], resSeq, x: protein.coords[3 * i], y: protein.coords[3 * i + 1], z: 30 + protein.coords[3 * i + 2] });
  }
  if (lipid) {
    const nL = Math.floor(L / 8);
    for (const leaflet of [1, -1])
      for (let gx = 0; gx < nL; gx++)
        for (let gy = 0; gy < nL; gy++) {
          resSeq++;
          for (let i = 0; i < lipid.atoms.count; i++)
            b.addAtom({ name: lipid.atoms.name[i], resName: 'POPC', resSeq, x: gx * 8 + 4 + lipid.coords[3 * i], y: gy * 8 + 4 + leaflet * lipid.coords[3 * i + 1], z: leaflet * (lipid.coords[3 * i + 2] + 14) });
        }
  }
  // Water (and ions) fill |z| > 22 Å up to the bead count.
  let w = 0;
  for (let layer = 0; b.count < beads; layer++)
    for (const sign of [1, -1]) {
      const z = sign * (22 + layer * 4.7);
      for (let gx = 0; gx < Math.floor(L / 4.7) && b.count < beads; gx++)
        for (let gy = 0; gy < Math.floor(L / 4.7) && b.count < beads; gy++) {
          const x = gx * 4.7 + 1;
          const y = gy * 4.7 + 1;
          if (x > pb[0] - 3 && x < pb[3] + 3 && y > pb[1] - 3 && y < pb[4] + 3 && z > pb[2] - 3 && z < pb[5] + 3) continue;
          const ion = w % 100 === 50 ? 'NA' : w % 100 === 99 ? 'CL' : null;
          b.addAtom({ name: ion ?? 'W', resName: ion ?? 'W', resSeq: ++resSeq, x, y, z });
          w++;
        }
    }
  const zmin = Math.min(...b.build('m').coords.filter((_, i) => i % 3 === 2));
  const built = b.build(`membrane-${beads}`, 'synthetic membrane system', { a: L, b: L, c: L, alpha: 90, beta: 90, gamma: 90 });
  for (let i = 0; i < built.atoms.count; i++) built.coords[3 * i + 2] -= zmin - 1;
  built.box!.c = Math.max(L, Math.max(...built.coords.filter((_, i) => i % 3 === 2)) + 2);
  return built;
}

interface RunResult {
  model: string;
  refine: boolean;
  device: string;
  provider: string;
  beads: number;
  atoms: number;
  timings: Record<string, number>;
  totalMs: number;
  cpuMs: number;
  maxRssMB: number;
  chunks: number;
  error?: string;
}

/** One measured run in this (fresh) process; prints its JSON on the last line. */
async function one(): Promise<void> {
  const beads = Number(opt('one'));
  const model = opt('model', 'template')!;
  const device = (opt('device', 'cpu') ?? 'cpu') as ConcreteDevice;
  const mapping = opt('mapping', 'martini3')!;
  const refine = opt('refine', 'off') === 'on';
  const dir = mkdtempSync(join(tmpdir(), 'bm-speed-'));
  try {
    const membrane = opt('system') === 'membrane';
    const cg = membrane ? membraneCg(beads) : opt('system') === 'protein' ? proteinCg(mapping, beads) : tiledCg(mapping, beads);
    const cgPath = join(dir, membrane ? 'cg.gro' : 'cg.pdb');
    writeFileSync(cgPath, membrane ? formatGro(cg) : formatPdb(cg));
    // CPU time as well as wall time: this machine is shared, and wall time stretches with the load.
    const cpu0 = process.cpuUsage();
    let t = performance.now();
    const input = readStructureFile(cgPath);
    const parse = performance.now() - t;
    const chunkSize = opt('chunk-size') ? Number(opt('chunk-size')) : undefined;
    // The membrane system is backmapped as a user would: the backmapper per molecule class chosen by the engine.
    // Heavy atoms by default (the figures compare with the heavy-atom peers); `--hydrogens on` adds them as the CLI does.
    const hydrogens = opt('hydrogens', 'off') === 'on';
    const out = await backmapStructure(input, { model: membrane && model === 'auto' ? undefined : model, mapping: membrane ? undefined : mapping, device, refine, skipMetrics: true, parseMs: parse, chunkSize, hydrogens });
    t = performance.now();
    writeStructureFile(join(dir, 'aa.pdb'), out.structure, { force: true });
    const write = performance.now() - t;
    const cpu = process.cpuUsage(cpu0);
    const cpuMs = (cpu.user + cpu.system) / 1000;
    const timings = { ...out.report.timings, write };
    const totalMs = Object.values(timings).reduce((a, b) => a + b, 0);
    const r: RunResult = {
      model,
      refine,
      device,
      provider: out.report.provider,
      beads: out.report.counts.beads,
      // heavy atoms written (hydrogens, when added, are not counted in the rates)
      atoms: out.structure.atoms.count - (out.report.hydrogens?.added ?? 0),
      timings,
      totalMs,
      cpuMs,
      maxRssMB: process.resourceUsage().maxRSS / 1024,
      chunks: out.report.counts.chunks,
    };
    console.log(JSON.stringify(r));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function runChild<T = RunResult>(extra: string[], heapMB: number): Promise<T | { error: string }> {
  return new Promise((resolve) => {
    const child = fork(process.argv[1], extra, {
      execArgv: ['--import', 'tsx', `--max-old-space-size=${heapMB}`],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    let out = '';
    let err = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (err += d));
    child.on('exit', (code, signal) => {
      const last = out.trim().split('\n').pop() ?? '';
      try {
        resolve(JSON.parse(last));
      } catch {
        resolve({ error: `exit ${code ?? signal}: ${(err.trim().split('\n').slice(-3).join(' ') || last).slice(0, 300)}` });
      }
    });
  });
}

interface TrajResult {
  frames: number;
  seconds: number;
  fps: number;
  cpuS: number;
  atoms: number;
  bytes: number;
  provider: string;
  maxRssMB: number;
}

/** One trajectory backmap in this (fresh) process: `--traj <topology> <trajectory>`; prints its JSON last. */
async function oneTrajectory(): Promise<void> {
  const i = args.indexOf('--traj');
  const [top, xtc] = [args[i + 1], args[i + 2]];
  const out = opt('out')!;
  const c0 = process.cpuUsage();
  const r = await backmapTrajectory({ topology: top, trajectory: xtc, out, model: opt('model')!, mapping: opt('mapping'), device: opt('device', 'cpu') as ConcreteDevice, refine: opt('refine') === 'on', skipMetrics: true, force: true, hydrogens: false });
  const c1 = process.cpuUsage(c0);
  const res: TrajResult = {
    frames: r.frames,
    seconds: r.seconds,
    fps: r.framesPerSecond,
    cpuS: (c1.user + c1.system) / 1e6,
    atoms: r.report.counts.atoms,
    bytes: statSync(out).size,
    provider: r.report.provider,
    maxRssMB: process.resourceUsage().maxRSS / 1024,
  };
  console.log(JSON.stringify(res));
}

/**
 * The one-off CLI: wall time of fresh `node dist/cli.js backmap <input> -o out.pdb` processes (median of `runs`),
 * and the peak RSS of the median run (read at exit by a preload that writes it to a file).
 */
async function cliStartup(cli: string, input: string, extra: string[], dir: string, runs: number): Promise<{ wall: number; rss: number; line: string } | { error: string }> {
  const preload = join(dir, 'rss-at-exit.cjs');
  writeFileSync(preload, "process.on('exit', () => require('fs').writeFileSync(process.env.BM_RSS_FILE, String(process.resourceUsage().maxRSS)));\n");
  const out: { wall: number; rss: number; line: string }[] = [];
  for (let k = 0; k < runs; k++) {
    const rssFile = join(dir, `rss-${k}`);
    const t = performance.now();
    const r = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, ['--require', preload, cli, 'backmap', input, '-o', join(dir, 'cli-out.pdb'), '--force', '--no-hydrogens', ...extra], { env: { ...process.env, BM_RSS_FILE: rssFile } });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('exit', (code) => resolve({ code, stdout, stderr }));
    });
    const wall = performance.now() - t;
    if (r.code !== 0) return { error: `exit ${r.code}: ${r.stderr.trim().split('\n').slice(-2).join(' ').slice(0, 300)}` };
    out.push({ wall, rss: existsSync(rssFile) ? Number((await import('node:fs')).readFileSync(rssFile, 'utf8')) / 1024 : NaN, line: r.stdout.trim() });
  }
  out.sort((a, b) => a.wall - b.wall);
  return out[out.length >> 1];
}

const f1 = (x: number | undefined) => (x === undefined ? '–' : x >= 100 ? x.toFixed(0) : x.toFixed(1));
const rate = (atoms: number, ms: number) => ((atoms / ms) * 1000).toFixed(0);

async function main(): Promise<void> {
  const residues = Number(opt('residues', '1000'));
  const sizes = (opt('sizes', '34000,100000') ?? '').split(',').filter(Boolean).map(Number);
  const frames = Number(opt('frames', '1000'));
  // Refinement is off by default for single structures (on for trajectories): measured both ways up to this size.
  const refineMax = Number(opt('refine-max', '34000'));
  const lines: string[] = [];
  const print = (s = '') => {
    lines.push(s);
    console.log(s);
  };
  print(`# Engine speed (${new Date().toISOString()}, ${cpus().length} CPU cores, Node ${process.version}, load average ${(await import('node:os')).loadavg().map((x) => x.toFixed(1)).join(' ')})`);
  print();
  print('## Execution providers');
  print();
  print('| provider | runs here | reason |');
  print('|---|---|---|');
  const probes = await probeAll();
  for (const p of probes) print(`| ${p.device} | ${p.available ? 'yes' : 'no'} | ${p.reason || ''} |`);
  print();
  const devices = probes.filter((p) => p.available).map((p) => p.device);
  const cards = listModels();
  const wanted = opt('models');
  // Protein routes (structures, trajectory, CLI); a lipid model runs on the membrane row.
  const backmappers: { id: string; mapping: string; label: string }[] = [
    { id: 'template', mapping: 'martini3', label: 'template' },
    ...cards.filter((c) => modelMoleculeKinds(c).includes('amino-acid')).map((c) => ({ id: c.id, mapping: c.mapping.id, label: c.id })),
  ].filter((b) => !wanted || wanted.split(',').includes(b.id));
  const lipidModels = cards.filter((c) => !modelMoleculeKinds(c).includes('amino-acid')).map((c) => c.id);
  if (flag('fixture') || (!cards.length && !flag('no-fixture'))) {
    // No trained model: time the engine's model path (graph, ONNX session, chunking) with the untrained
    // 2-layer test fixture. Its cost is not that of a real network; the row is labelled as such.
    const { writeTinyModel } = await import('../test/core/model/tiny-model');
    const fixtureDir = mkdtempSync(join(tmpdir(), 'bm-fixture-'));
    process.on('exit', () => rmSync(fixtureDir, { recursive: true, force: true }));
    const onnx = writeTinyModel(fixtureDir, loadMappingSet('martini3'), 'fixture-2layer', 7, 32);
    backmappers.push({ id: onnx, mapping: 'martini3', label: 'fixture-2layer (untrained test model)' });
    print('No shipped model in models/: the template backmapper and the untrained 2-layer test fixture (model path: graph + onnxruntime + chunking) are measured.\n');
  }
  // Summary per route and device: what the last table prints.
  const summary = new Map<string, Record<string, string>>();
  const put = (route: string, col: string, value: string) => summary.set(route, { ...(summary.get(route) ?? {}), [col]: value });
  const routeOf = (label: string, provider: string) => (provider === 'js' ? label : `${label} (${provider})`);
  const all: RunResult[] = [];
  if (!flag('skip-structures')) {
    print('## Structures: time per stage (ms) and peak memory');
    print();
    print('| backmapper | provider | input | refine | beads | heavy atoms | chunks | parse | assign | graph | inference | rebuild | refine | write | total (wall) | heavy atoms/s (wall) | CPU time | heavy atoms per CPU-s | peak RSS (MB) |');
    print('|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
    const inputs: { label: string; system: string; n: number }[] = [
      ...(residues > 0 ? [{ label: `protein (${residues} res.)`, system: 'protein', n: residues }] : []),
      ...sizes.map((n) => ({ label: `${n / 1000}k beads`, system: 'tiled', n })),
    ];
    for (const bm of backmappers)
      for (const device of bm.id === 'template' ? (['cpu'] as ConcreteDevice[]) : devices)
        for (const input of inputs)
          for (const refine of input.system === 'protein' || input.n <= refineMax ? ['off', 'on'] : ['off']) {
            const r = await runChild(['--one', String(input.n), '--system', input.system, '--model', bm.id, '--device', device, '--mapping', bm.mapping, '--refine', refine, ...(opt('chunk-size') ? ['--chunk-size', opt('chunk-size')!] : [])], 4096);
            if ('error' in r && !('beads' in r)) {
              print(`| ${bm.label} | ${device} | ${input.label} | ${refine} | – | – | failed: ${r.error.replace(/\|/g, '/')} |`);
              continue;
            }
            const x = r as RunResult;
            all.push(x);
            const t = x.timings;
            print(
              `| ${bm.label} | ${x.provider} | ${input.label} | ${x.refine ? 'on' : 'off'} | ${x.beads} | ${x.atoms} | ${x.chunks} | ${f1(t.parse)} | ${f1(t.assign)} | ${f1(t.graph)} | ${f1(t.inference)} | ${f1(t.rebuild)} | ${f1(t.refine)} | ${f1(t.write)} | ${f1(x.totalMs)} | ${rate(x.atoms, x.totalMs)} | ${f1(x.cpuMs)} | ${rate(x.atoms, x.cpuMs)} | ${x.maxRssMB.toFixed(0)} |`,
            );
            put(routeOf(bm.label, x.provider), `${input.label}${x.refine ? ', refined' : ''}`, `${rate(x.atoms, x.totalMs)} /s, ${x.maxRssMB.toFixed(0)} MB`);
          }
    print();
    print(`Template runs use the template backmapper in JavaScript (no ONNX session); model runs use the listed provider. "refine" = backbone descent + clash relief (off by default for single structures). Metrics are off. Total = parse + assign + model load + graph + inference + rebuild + refine + write (in one process, after start-up: see the CLI table). The protein is one ${residues}-residue helix; the larger systems are 30-residue helices tiled in space. Peak RSS is the whole process, one fresh process per row (Node heap limit 4 GB).`);
    print();
  }
  if (!flag('skip-membrane')) {
    const sizes = (opt('membrane', '100000') ?? '').split(',').filter(Boolean).map(Number);
    print('## Membrane system: protein + POPC bilayer + water + ions (GRO, no chain ids)');
    print();
    print('| backmappers | beads | heavy atoms | chunks | parse | assign | graph | inference | rebuild | solvent | hydrogens | write | total (wall) | heavy atoms/s (wall) | CPU time | peak RSS (MB) |');
    print('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const [model, withH] of [['auto', false], ['auto', true], ['template', false]] as const)
      for (const size of sizes) {
        const r = await runChild(['--one', String(size), '--system', 'membrane', '--model', model, '--device', 'cpu', '--refine', 'off', '--hydrogens', withH ? 'on' : 'off'], 4096);
        if ('error' in r && !('beads' in r)) {
          print(`| ${model} | ${size} | – | – | failed: ${r.error.replace(/\|/g, '/')} |`);
          continue;
        }
        const x = r as RunResult;
        const t = x.timings;
        const label = (model === 'auto' ? `auto (model per class${lipidModels.length ? `: ${lipidModels.join(', ')} for lipids` : ''})` : 'template') + (withH ? ', hydrogens on' : '');
        print(`| ${label} | ${x.beads} | ${x.atoms} | ${x.chunks} | ${f1(t.parse)} | ${f1(t.assign)} | ${f1(t.graph)} | ${f1(t.inference)} | ${f1(t.rebuild)} | ${f1(t.solvent)} | ${withH ? f1(t.hydrogens) : '–'} | ${f1(t.write)} | ${f1(x.totalMs)} | ${rate(x.atoms, x.totalMs)} | ${f1(x.cpuMs)} | ${x.maxRssMB.toFixed(0)} |`);
        put((model === 'auto' ? `membrane: ${lipidModels.length ? lipidModels.join(', ') : 'auto'} + martini3-protein` : 'membrane: template') + (withH ? ' + hydrogens' : ''), `membrane ${size / 1000}k beads`, `${rate(x.atoms, x.totalMs)} /s, ${x.maxRssMB.toFixed(0)} MB`);
      }
    print();
    print('Beads counted as the report counts them (solute beads, water beads, ions); heavy atoms include every water oxygen placed. "solvent" = ion naming and water placement (cell list).');
    print();
  }
  if (!flag('skip-trajectory')) {
    print(`## Trajectory throughput (300-residue protein, ${frames} frames)`);
    print();
    print('| backmapper | provider | output | refine | frames | seconds (wall) | frames/s (wall) | heavy atoms/s | CPU s | frames per CPU-s | peak RSS (MB) |');
    print('|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|');
    const dir = mkdtempSync(join(tmpdir(), 'bm-traj-'));
    try {
      const io = await import('../src/core/trajectory/index');
      for (const bm of backmappers) {
        const tag = basename(bm.id).replace(/\.onnx$/, '');
        const set = loadMappingSet(bm.mapping);
        const aa = buildPeptide(SEQ.slice(0, 300), { phi: -63, psi: -42, chainId: 'A' });
        const cg = mapToCg(aa, set).cg;
        const top = join(dir, `${tag}-top.pdb`);
        writeFileSync(top, formatPdb(cg));
        const xtc = join(dir, `${tag}-in.xtc`);
        const w = io.createTrajectoryWriter(xtc, cg.atoms.count, 'xtc');
        let seed = 12345;
        const rnd = () => ((seed = (seed * 16807) % 2147483647) / 2147483647) * 2 - 1;
        for (let f = 0; f < frames; f++) {
          const c = new Float32Array(cg.coords.length);
          for (let i = 0; i < c.length; i++) c[i] = cg.coords[i] + 0.3 * rnd();
          w.write({ index: f, time: f * 10, step: f * 1000, coords: c, box: null });
        }
        w.close();
        for (const device of bm.id === 'template' ? (['cpu'] as ConcreteDevice[]) : devices)
          for (const [outExt, refine] of [
            ['xtc', true],
            ['xtc', false],
            ['pdb', true],
          ] as const) {
            const out = join(dir, `${tag}-${device}-${refine ? 'r' : 'n'}.${outExt}`);
            const r = await runChild<TrajResult>(['--traj', top, xtc, '--out', out, '--model', bm.id, '--mapping', bm.mapping, '--device', device, '--refine', refine ? 'on' : 'off'], 4096);
            if ('error' in r) {
              print(`| ${bm.label} | ${device} | ${outExt} | ${refine ? 'on' : 'off'} | – | failed: ${r.error.replace(/\|/g, '/')} |`);
              continue;
            }
            print(`| ${bm.label} | ${r.provider} | ${outExt} (${(r.bytes / 1e6).toFixed(1)} MB) | ${refine ? 'on' : 'off'} | ${r.frames} | ${r.seconds.toFixed(1)} | ${r.fps.toFixed(1)} | ${rate(r.atoms * r.frames, r.seconds * 1000)} | ${r.cpuS.toFixed(1)} | ${(r.frames / r.cpuS).toFixed(1)} | ${r.maxRssMB.toFixed(0)} |`);
            if (outExt === 'xtc') put(routeOf(bm.label, r.provider), `trajectory${refine ? ', refined' : ''}`, `${r.fps.toFixed(1)} frames/s, ${r.maxRssMB.toFixed(0)} MB`);
          }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    print();
  }
  if (!flag('skip-cli')) {
    const cli = join(__dirname, '..', 'dist', 'cli.js');
    const runs = Number(opt('cli-runs', '3'));
    print(`## One-off CLI start-up (\`node dist/cli.js backmap <${residues}-residue protein> -o out.pdb\`, fresh process, median of ${runs})`);
    print();
    if (!existsSync(cli)) print(`${cli} is missing: run \`npm run build\` first.`);
    else {
      print('| backmapper | input beads | wall (s) | peak RSS (MB) |');
      print('|---|---:|---:|---:|');
      const dir = mkdtempSync(join(tmpdir(), 'bm-cli-'));
      try {
        for (const bm of backmappers.filter((b) => !b.id.endsWith('.onnx'))) {
          const cg = proteinCg(bm.mapping, residues);
          const input = join(dir, `${bm.id}-in.pdb`);
          writeFileSync(input, formatPdb(cg));
          // The model a user gets for this input without options (auto), or the template asked for.
          const r = await cliStartup(cli, input, bm.id === 'template' ? ['--model', 'template', '--mapping', bm.mapping] : [], dir, runs);
          if ('error' in r) {
            print(`| ${bm.label} | ${cg.atoms.count} | failed: ${r.error.replace(/\|/g, '/')} |`);
            continue;
          }
          print(`| ${bm.label} | ${cg.atoms.count} | ${(r.wall / 1000).toFixed(2)} | ${r.rss.toFixed(0)} |`);
          put(bm.id === 'template' ? bm.label : routeOf(bm.label, / on (\S+) →/.exec(r.line)?.[1] ?? 'cpu'), 'CLI start-up', `${(r.wall / 1000).toFixed(2)} s`);
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
      print();
      print('Wall time from spawning `node` to its exit: Node start-up, loading the bundle, reading the input, the mapping set, the model session, inference, rebuild, metrics and writing the PDB.');
    }
    print();
  }
  if (summary.size) {
    const cols = [...new Set([...summary.values()].flatMap((r) => Object.keys(r)))];
    print('## Summary per route (heavy atoms/s end to end and peak RSS; trajectories frames/s)');
    print();
    print(`| route | ${cols.join(' | ')} |`);
    print(`|---|${cols.map(() => '---:').join('|')}|`);
    for (const [route, row] of summary) print(`| ${route} | ${cols.map((c) => row[c] ?? '–').join(' | ')} |`);
    print();
  }
  const json = opt('json');
  if (json) writeFileSync(json, JSON.stringify({ lines, runs: all }, null, 1));
}

// Run as a script (imported, e.g. for `membraneCg`, it does nothing).
if (process.argv[1] && /speed\.ts$/.test(process.argv[1])) {
  const child = opt('one') ? one : flag('traj') ? oneTrajectory : undefined;
  if (child)
    void child().catch((e) => {
      console.log(JSON.stringify({ error: String(e?.stack ?? e) }));
      process.exit(1);
    });
  else void main();
}
