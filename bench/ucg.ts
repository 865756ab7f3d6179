/**
 * `npm run bench:ucg`: ultra-coarse proteins backmapped in one step and in two (issue #28; Kementzidis et al., "An
 * Iterative Framework for Generative Backmapping of Coarse Grained Proteins"), at bead sizes of about 18, 9.5 and 3.6
 * residues per bead. For every data set and bead size:
 *   - the UCG mapping: `coarsenStructure` (contiguous segments) on the training frames;
 *   - 2-step: a UCG → C-alpha stage (`backmap train --target ca`) then a C-alpha → atoms stage fine-tuned from the
 *     shipped ca-protein on the same training frames (`--mapping ca --init ca-protein`; one per data set, it does not
 *     depend on the UCG mapping);
 *   - 1-step: UCG → heavy atoms directly (`backmap train` on the UCG mapping, target atoms) with the 2-step's whole
 *     training time (both stages), so the comparison never favours the 2-step run by budget;
 *   - every test frame (never seen in training or validation) mapped to UCG beads and backmapped; metrics against the
 *     frame itself, as placed (the beads fix the frame): heavy-atom RMSD, Cα RMSD, normalised graph edit distance of
 *     the bond graph, clash score (% of residues with a heavy atom < 1.2 Å from another residue's), Ramachandran
 *     agreement (src/core/metrics.ts `paperMetrics`); means over test frames. Both outputs get the same refinement
 *     (backbone + clash relief, the default for frames of a trajectory).
 * Frames: the first 80 % train (its last tenth validates, as `backmap train` does), a gap of 10 %, the last 10 % test.
 * C-alpha-only data sets (ACTR's three force fields, PED00055's trace) are scored at the C-alpha level: the UCG →
 * C-alpha stage alone (Cα RMSD), and ACTR's model (trained on a99SBdisp) is also scored on the other force fields.
 *
 *   node --import tsx bench/ucg.ts [--minutes 2] [--samples 8] [--jobs 2] [--sets folded,ped151,ped55,actr] [--sizes 18,9.5,3.6] [--keep <dir> [--reuse]] [--json out.json]
 *
 * Data: `folded`, the project's implicit-solvent MD of 1OYV chain A (115 residues; scripts/ucg/folded-md.py, written to
 * training/data/ucg-md/1OYV; skipped with a note when absent); `ped151` and `ped55`, the PED ensembles GenZProt
 * ships, and `actr`, the Martini3-IDP paper's C-alpha ensembles (../shared/data/raw/idp; skipped when absent).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { sharedDataRoot } from '../src/core/dataset/tsv';
import { readStructureFile } from '../src/core/structure/read';
import type { Structure } from '../src/core/structure/types';
import { trainModel } from '../src/core/training';
import { coarsenStructure } from '../src/core/ucg/coarsen';
import { parseUcgMapping } from '../src/core/ucg/format';
import { readFrames, mapUcgFrames } from '../src/core/ucg/map';
import { backmapChain, planChain } from '../src/core/pipeline/chain';
import { refineStructure } from '../src/core/refine';
import { paperMetrics } from '../src/core/metrics';

const args = process.argv.slice(2);
const opt = (name: string, def?: string): string | undefined => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const minutes = Number(opt('minutes', '2'));
const SAMPLES = Number(opt('samples', '8'));
const JOBS = Number(opt('jobs', '2'));
const REUSE = args.includes('--reuse');
const TEST_FRAMES = 50;
const SAMPLED_FRAMES = 20;
const sets = (opt('sets', 'folded,ped151,ped55,actr') ?? '').split(',').filter(Boolean);
const sizes = (opt('sizes', '18,9.5,3.6') ?? '').split(',').map(Number);
const ROOT = join(__dirname, '..');
const shared = sharedDataRoot();
const keep = opt('keep');
const work = keep ?? mkdtempSync(join(tmpdir(), 'bench-ucg-'));
mkdirSync(work, { recursive: true });

interface DataSet {
  id: string;
  what: string;
  topology: string;
  trajectory?: string;
  /** All-atom frames (2-step and 1-step), or C-alpha only (stage 1 alone). */
  allAtom: boolean;
  /** Extra test sets: another force field's frames (C-alpha level). */
  transfer?: { id: string; topology: string; trajectory: string }[];
}

/** A gzipped PDB unpacked into the work folder (the readers take .pdb.gz, but multi-model gz files are read whole anyway). */
function unpacked(path: string): string {
  if (!path.endsWith('.gz')) return path;
  const out = join(work, path.split('/').pop()!.replace(/\.gz$/, ''));
  if (!existsSync(out)) writeFileSync(out, gunzipSync(readFileSync(path)));
  return out;
}

function dataSets(): DataSet[] {
  const out: DataSet[] = [];
  const md = join(ROOT, 'training/data/ucg-md/1OYV');
  if (sets.includes('folded')) {
    if (existsSync(join(md, 'traj.dcd'))) out.push({ id: 'folded', what: '1OYV chain A, 115 residues, OpenMM Amber14/OBC2 MD (scripts/ucg/folded-md.py)', topology: join(md, 'topology.pdb'), trajectory: join(md, 'traj.dcd'), allAtom: true });
    else console.log(`skipped folded: no MD at ${md} (run scripts/ucg/folded-md.py, see training/README.md)`);
  }
  const idp = shared ? join(shared, 'raw/idp') : '';
  if (!shared) {
    console.log('skipped ped151, ped55, actr: ../shared/data is absent');
    return out;
  }
  if (sets.includes('ped151')) out.push({ id: 'ped151', what: 'PED00151, 46 residues, 60 all-atom conformers (GenZProt data)', topology: unpacked(join(idp, 'genzprot/data/PED00151val.pdb.gz')), allAtom: true });
  if (sets.includes('ped55')) out.push({ id: 'ped55', what: 'PED00055, 87 residues, 55 C-alpha conformers (GenZProt data)', topology: unpacked(join(idp, 'genzprot/data/PED00055_CA_trace.pdb.gz')), allAtom: false });
  if (sets.includes('actr')) {
    const a = join(idp, 'martini3idp_ca_ensembles/ACTR');
    const ff = (f: string) => ({ id: `actr-${f}`, topology: join(a, `pnas2018b-ACTR-${f}-protein.gro`), trajectory: join(a, `pnas2018b-ACTR-${f}-protein-merge-skip10.xtc`) });
    const own = ff('a99SBdisp');
    out.push({ id: 'actr', what: 'ACTR, 71 residues, C-alpha MD (a99SBdisp; transfer to a03ws, Charmm36m)', topology: own.topology, trajectory: own.trajectory, allAtom: false, transfer: [ff('a03ws'), ff('Charmm36m')] });
  }
  return out;
}

/** Frame index ranges: train = first 80 %, test = last 10 %. */
function split(n: number): { train: string; test: string; nTrain: number; nTest: number } {
  const nTrain = Math.floor(n * 0.8);
  const testStart = n - Math.max(1, Math.floor(n * 0.1));
  return { train: `0:${nTrain}`, test: `${testStart}:${n}`, nTrain, nTest: n - testStart };
}

interface Row {
  set: string;
  size: number;
  beads: number;
  method: string;
  frames: number;
  rmsdHeavy: number;
  rmsdCa: number;
  ged: number;
  clash: number;
  rama: number;
  trainMin: number;
}

const mean = (xs: number[]) => {
  const f = xs.filter(Number.isFinite);
  return f.length ? f.reduce((a, b) => a + b, 0) / f.length : NaN;
};

async function train(topology: string, trajectory: string | undefined, frames: string, mapping: string, out: string, extra: { target?: 'ca' | 'atoms'; init?: string; minutes: number }) {
  if (REUSE && existsSync(out)) {
    // --reuse: a model of an earlier run in the --keep folder; its card says how long it trained.
    const card = JSON.parse(readFileSync(out.replace(/\.onnx$/, '.json'), 'utf8')) as { training?: { wallMinutes?: number } };
    console.log(`  reused ${out.split('/').pop()}`);
    return Number(card.training?.wallMinutes ?? NaN);
  }
  const t0 = performance.now();
  const r = await trainModel({ topology, trajectory, frames, mapping, out, minutes: extra.minutes, target: extra.target, init: extra.init, force: true, warn: () => {} });
  console.log(`  trained ${out.split('/').pop()} in ${((performance.now() - t0) / 60000).toFixed(1)} min: validation ${r.validation?.median.toFixed(3) ?? 'n/a'} Å`);
  return (performance.now() - t0) / 60000;
}

type Scores = Omit<Row, 'set' | 'size' | 'beads' | 'method' | 'trainMin'>;

/** Metrics of every output frame against its reference frame; with `samples` > 1 also best-of-n (per frame, by heavy-atom RMSD). */
async function score(chain: string[], ucg: Structure, refs: Float64Array[], ref0: Structure, allAtom: boolean, refine: boolean, samples = 1): Promise<Scores & { best?: Scores }> {
  const stages = planChain(chain);
  const out = await backmapChain(ucg, stages, { device: 'cpu', refine: false, skipMetrics: true, samples, seed: 7, hydrogens: false });
  const m = out.frames.map((s, k) => {
    if (refine && allAtom) refineStructure(s, { backbone: true, clashes: true });
    const f = Math.floor(k / samples);
    const ref: Structure = { ...ref0, coords: refs[f], models: [refs[f]] };
    return paperMetrics(s, ref);
  });
  let best: Scores | undefined;
  if (samples > 1) {
    const pick = refs.map((_, f) => m.slice(f * samples, (f + 1) * samples).reduce((a, b) => (b.rmsdHeavy < a.rmsdHeavy ? b : a)));
    best = { frames: refs.length, rmsdHeavy: mean(pick.map((x) => x.rmsdHeavy)), rmsdCa: mean(pick.map((x) => x.rmsdCa)), ged: mean(pick.map((x) => x.ged)), clash: mean(pick.map((x) => x.clashPercent)), rama: mean(pick.map((x) => x.ramaAgreement)) };
  }
  return {
    best,
    frames: refs.length,
    rmsdHeavy: mean(m.map((x) => x.rmsdHeavy)),
    rmsdCa: mean(m.map((x) => x.rmsdCa)),
    ged: mean(m.map((x) => x.ged)),
    clash: mean(m.map((x) => x.clashPercent)),
    rama: mean(m.map((x) => x.ramaAgreement)),
  };
}

/** Runs the jobs, at most `n` at once. */
async function pool(jobs: (() => Promise<unknown>)[], n: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) await jobs[next++]();
  };
  await Promise.all(Array.from({ length: Math.max(1, n) }, worker));
}

const scoresOf = (s: Scores & { best?: Scores }): Scores => ({ frames: s.frames, rmsdHeavy: s.rmsdHeavy, rmsdCa: s.rmsdCa, ged: s.ged, clash: s.clash, rama: s.rama });

async function main() {
  const rows: Row[] = [];
  console.log(`bench:ucg — ${minutes} min per training stage, work folder ${work}`);
  for (const ds of dataSets()) {
    const dir = join(work, ds.id);
    mkdirSync(dir, { recursive: true });
    const top = readStructureFile(ds.topology);
    const all = readFrames(top, ds.trajectory);
    const sp = split(all.frames.length);
    console.log(`\n${ds.id}: ${ds.what}; ${all.frames.length} frames: train ${sp.train} (last tenth validates), test ${sp.test}${sp.nTest > TEST_FRAMES ? ` (every ${Math.ceil(sp.nTest / TEST_FRAMES)} frames)` : ''}`);
    const trainFrames = all.frames.slice(0, sp.nTrain);
    // At most TEST_FRAMES test frames (evenly spread over the last tenth); sampling on at most SAMPLED_FRAMES of them.
    const lastTenth = all.frames.slice(all.frames.length - sp.nTest);
    const testStep = Math.max(1, Math.ceil(lastTenth.length / TEST_FRAMES));
    const testFrames = lastTenth.filter((_, i) => i % testStep === 0);
    const residues = new Set(Array.from({ length: top.atoms.count }, (_, i) => (top.atoms.name[i] === 'CA' ? `${top.atoms.chainId[i]}:${top.atoms.resSeq[i]}` : ''))).size - 1;
    // Every training of the data set first, JOBS at a time (a UCG stage trains on one thread), then the scoring.
    const stage2 = join(dir, 'ca-atoms.onnx');
    const jobs: (() => Promise<number>)[] = [];
    const minutesOf = new Map<string, number>();
    const job = (out: string, run: () => Promise<number>) => jobs.push(async () => {
      const m = await run();
      minutesOf.set(out, m);
      return m;
    });
    // Stage 2 (C-alpha → atoms, fine-tuned on this protein): one per data set.
    if (ds.allAtom) job(stage2, () => train(ds.topology, ds.trajectory, sp.train, 'ca', stage2, { init: 'ca-protein', minutes }));
    const plans = sizes.map((size) => {
      const beads = Math.max(2, Math.round(residues / size));
      const mappingPath = join(dir, `${beads}.ucg.yaml`);
      const coarse = coarsenStructure({ ...top, coords: trainFrames[0], models: trainFrames }, { beads, name: `${ds.id}-${beads}`, file: mappingPath });
      writeFileSync(mappingPath, coarse.text);
      const s1 = join(dir, `${beads}-ucg-ca.onnx`);
      const one = join(dir, `${beads}-ucg-atoms.onnx`);
      job(s1, () => train(ds.topology, ds.trajectory, sp.train, mappingPath, s1, { target: 'ca', minutes }));
      if (ds.allAtom) job(one, () => train(ds.topology, ds.trajectory, sp.train, mappingPath, one, { target: 'atoms', minutes: 2 * minutes }));
      console.log(` ${beads} beads (${(residues / beads).toFixed(1)} residues per bead, CA spread ${coarse.spread.toFixed(1)} Å)`);
      return { beads, mappingPath, mapping: parseUcgMapping(coarse.text, mappingPath), s1, one };
    });
    await pool(jobs, JOBS);
    const stage2Min = minutesOf.get(stage2) ?? 0;
    for (const { beads, mapping, s1, one } of plans) {
      const ucgOf = (s: Structure, frames: Float64Array[]) => mapUcgFrames({ ...s, coords: frames[0], models: frames }, mapping).cg;
      const ucgTest = ucgOf(top, testFrames);
      const base = { set: ds.id, size: residues / beads, beads };
      const s1Min = minutesOf.get(s1) ?? NaN;
      if (!ds.allAtom) {
        rows.push({ ...base, method: 'UCG → Cα', trainMin: s1Min, ...scoresOf(await score([s1], ucgTest, testFrames, top, false, false)) });
        for (const t of ds.transfer ?? []) {
          const tt = readStructureFile(t.topology);
          const tf = readFrames(tt, t.trajectory);
          const tTest = tf.frames.slice(tf.frames.length - sp.nTest);
          rows.push({ ...base, set: t.id, method: 'UCG → Cα (transfer)', trainMin: s1Min, ...scoresOf(await score([s1], ucgOf(tt, tTest), tTest, tt, false, false)) });
        }
        continue;
      }
      rows.push({ ...base, method: '1-step', trainMin: minutesOf.get(one) ?? NaN, ...scoresOf(await score([one], ucgTest, testFrames, top, true, true)) });
      rows.push({ ...base, method: '2-step', trainMin: s1Min + stage2Min, ...scoresOf(await score([s1, stage2], ucgTest, testFrames, top, true, true)) });
      const last = rows.slice(-2);
      // Sampling (ChainOptions.samples): several structures per frame, the mean over all and the best per frame.
      const nS = Math.min(SAMPLED_FRAMES, testFrames.length);
      const sampled = await score([s1, stage2], { ...ucgTest, coords: ucgTest.models[0], models: ucgTest.models.slice(0, nS) }, testFrames.slice(0, nS), top, true, true, SAMPLES);
      rows.push({ ...base, method: `2-step, ${SAMPLES} samples: mean`, trainMin: s1Min + stage2Min, ...scoresOf(sampled) });
      if (sampled.best) rows.push({ ...base, method: `2-step, ${SAMPLES} samples: best of ${SAMPLES}`, trainMin: s1Min + stage2Min, ...sampled.best });
      console.log(`  ${beads} beads: 1-step ${last[0].rmsdHeavy.toFixed(2)} Å, 2-step ${last[1].rmsdHeavy.toFixed(2)} Å (heavy-atom RMSD, mean over ${last[1].frames} test frames)`);
    }
  }
  const f = (x: number, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
  console.log('\n| data set | residues/bead (beads) | method | test frames | heavy-atom RMSD (Å) | Cα RMSD (Å) | normalised GED | clash score (%) | Ramachandran agreement (%) | training (min) |');
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  for (const r of rows)
    console.log(`| ${r.set} | ${f(r.size, 1)} (${r.beads}) | ${r.method} | ${r.frames} | ${f(r.rmsdHeavy)} | ${f(r.rmsdCa)} | ${f(r.ged, 3)} | ${f(r.clash, 1)} | ${f(100 * r.rama, 0)} | ${f(r.trainMin, 1)} |`);
  console.log(`\nRMSDs as placed (no superposition: the beads fix the frame); means over test frames (sampling rows: over the first ${SAMPLED_FRAMES} of them). 2-step training time counts both stages (the C-alpha stage is shared by the bead sizes of a data set).`);
  const json = opt('json');
  if (json) writeFileSync(json, JSON.stringify({ minutes, rows }, null, 1));
  if (!keep) rmSync(work, { recursive: true, force: true });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
