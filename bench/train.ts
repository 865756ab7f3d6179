/**
 * `npm run bench:train`: the user-trained model flow measured (issue 27). For each worked example: `backmap train`
 * on the first frames of an all-atom MD, then every held-out frame (never seen in training or validation) mapped
 * with the same mapping and backmapped with the trained model, heavy-atom RMSD against the frame itself (no
 * superposition: the beads fix the frame). Baseline: the first training frame's atoms fitted rigidly (Kabsch) onto
 * each held-out frame's beads, which is what a template backmapper given the topology can do.
 *
 *   node --import tsx bench/train.ts [--minutes 5] [--examples neca,lig] [--keep <dir>] [--json out.json]
 *
 * Examples: `neca`, HEroBM's NECA all-atom MD (../shared/data/raw/herobm/data/NECA/md, 1,001 frames; skipped when
 * ../shared is absent) with the project's own mapping (examples/mappings/neca), trained on frames 0:800 and
 * scored on 800:1001; `lig`, the project-made test ligand (test/fixtures/ligand, 120 frames), trained on 0:96 and
 * scored on 96:120. The CLI itself runs the train / map / backmap commands of the flow on the first held-out
 * frames, and their output must equal the in-process run's.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../src/cli/main';
import { sharedDataRoot } from '../src/core/dataset/tsv';
import { loadMappingSet } from '../src/core/mapping/load';
import { mapCoords, mapToCg } from '../src/core/forward';
import { readStructureFile } from '../src/core/structure/read';
import { writeStructureFile } from '../src/core/structure/write';
import type { Structure } from '../src/core/structure/types';
import { frameSource, parseFrameRange, selectFrames } from '../src/core/trajectory/frames';
import * as trajectoryIo from '../src/core/trajectory/index';
import { makeWhole } from '../src/core/pipeline/pbc';
import { backmapStructure, mapStructureToCg } from '../src/core/pipeline';
import { compareStructures } from '../src/core/metrics';
import { kabsch } from '../src/core/geometry/kabsch';

const args = process.argv.slice(2);
const opt = (name: string, def?: string): string | undefined => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const minutes = Number(opt('minutes', '5'));
const ROOT = join(__dirname, '..');

interface Example {
  id: string;
  topology: string;
  trajectory?: string;
  mapping: string;
  train: string;
  heldOut: string;
  source: string;
}

const shared = sharedDataRoot();
const EXAMPLES: Example[] = [
  {
    id: 'neca',
    topology: shared ? join(shared, 'raw/herobm/data/NECA/md/neca.gro') : '',
    trajectory: shared ? join(shared, 'raw/herobm/data/NECA/md/neca.xtc') : '',
    mapping: join(ROOT, 'examples/mappings/neca'),
    train: '0:800',
    heldOut: '800:',
    source: "HEroBM's NECA all-atom MD (1,001 frames)",
  },
  { id: 'lig', topology: join(ROOT, 'test/fixtures/ligand/frames.pdb'), mapping: join(ROOT, 'test/fixtures/ligand/lig'), train: '0:96', heldOut: '96:', source: 'project-made test ligand (120 frames)' },
];

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * (s.length - 1) + 0.5))];
};
const median = (xs: number[]) => quantile(xs, 0.5);
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
async function cli(...argv: string[]): Promise<string> {
  let out = '';
  let err = '';
  const code = await runCli(argv, { out: (t) => void (out += t), err: (t) => void (err += t) });
  if (code !== 0) throw new Error(`backmap ${argv.join(' ')} exited ${code}:\n${err}`);
  return out + err;
}

async function runExample(ex: Example, dir: string) {
  const model = join(dir, `${ex.id}.onnx`);
  const t0 = Date.now();
  const trainOut = await cli('train', ex.topology, ...(ex.trajectory ? ['--trajectory', ex.trajectory] : []), '--frames', ex.train, '--mapping', ex.mapping, '-o', model, '--minutes', String(minutes), '--force');
  const wall = (Date.now() - t0) / 60000;
  const card = JSON.parse(readFileSync(model.replace(/\.onnx$/, '.json'), 'utf8'));
  const top = readStructureFile(ex.topology);
  const set = loadMappingSet(ex.mapping);
  const fw = mapToCg(top, set);
  // The template baseline's atoms: the first training frame, made whole.
  let templateAtoms: Float64Array | null = null;
  const rmsd: number[] = [];
  const base: number[] = [];
  let cliChecked = 0;
  const work: Structure = { ...top, coords: new Float64Array(top.coords.length), models: [] };
  work.models = [work.coords];
  for (const f of selectFrames(frameSource(top, ex.trajectory, trajectoryIo), parseFrameRange('0:1'))) {
    templateAtoms = Float64Array.from(f.coords);
    makeWhole({ ...work, box: f.box ?? top.box }, templateAtoms);
  }
  const templateBeads = mapCoords(fw, templateAtoms!);
  for (const f of selectFrames(frameSource(top, ex.trajectory, trajectoryIo), parseFrameRange(ex.heldOut))) {
    work.coords.set(f.coords);
    work.box = f.box ?? top.box;
    const ref = work; // compareStructures scores heavy atoms only
    const mapped = mapStructureToCg(work, set, { checkInputs: false });
    const out = await backmapStructure(mapped.cg, { model, cacheSession: true, skipMetrics: true, hydrogens: false });
    rmsd.push(compareStructures(out.structure, ref).rmsd_all);
    // Baseline: template atoms moved rigidly onto this frame's beads.
    const beads = mapped.system.coords;
    const fit = kabsch(templateBeads, beads);
    const moved = new Float64Array(templateAtoms!.length);
    for (let i = 0; i < moved.length / 3; i++) {
      const [x, y, z] = [templateAtoms![3 * i], templateAtoms![3 * i + 1], templateAtoms![3 * i + 2]];
      const R = fit.R;
      moved[3 * i] = R[0] * x + R[1] * y + R[2] * z + fit.t[0];
      moved[3 * i + 1] = R[3] * x + R[4] * y + R[5] * z + fit.t[1];
      moved[3 * i + 2] = R[6] * x + R[7] * y + R[8] * z + fit.t[2];
    }
    base.push(compareStructures({ ...work, coords: moved, models: [moved] }, ref).rmsd_all);
    // The flow through the CLI on the first held-out frames: the same numbers.
    if (cliChecked < 3) {
      const frame = join(dir, `${ex.id}-frame.pdb`);
      writeStructureFile(frame, work, { force: true });
      await cli('map', frame, '--mapping', ex.mapping, '-o', join(dir, `${ex.id}-cg.pdb`), '--force');
      await cli('backmap', join(dir, `${ex.id}-cg.pdb`), '--model', model, '--no-hydrogens', '-o', join(dir, `${ex.id}-out.pdb`), '--force');
      const viaCli = compareStructures(readStructureFile(join(dir, `${ex.id}-out.pdb`)), ref).rmsd_all;
      if (Math.abs(viaCli - rmsd[rmsd.length - 1]) > 2e-3) throw new Error(`${ex.id}: CLI flow gives ${viaCli} Å, in-process ${rmsd[rmsd.length - 1]} Å`);
      cliChecked++;
    }
  }
  const val = card.training.validation?.all?.[0];
  return {
    id: ex.id,
    source: ex.source,
    train: ex.train,
    heldOut: ex.heldOut,
    frames: rmsd.length,
    trainFrames: card.training.frames.train,
    steps: card.training.steps,
    epochs: card.training.epochs,
    trainMinutes: card.training.wallMinutes,
    wallMinutes: wall,
    hardware: card.training.hardware,
    parameters: card.architecture.parameters,
    validation: val,
    model: { median: median(rmsd), mean: mean(rmsd), p90: quantile(rmsd, 0.9) },
    template: { median: median(base), mean: mean(base), p90: quantile(base, 0.9) },
    trainLog: trainOut.trim().split('\n').pop(),
  };
}

async function main() {
  const want = (opt('examples') ?? 'neca,lig').split(',');
  const keep = opt('keep');
  const dir = keep ?? mkdtempSync(join(tmpdir(), 'backmap-bench-train-'));
  const rows = [];
  try {
    for (const ex of EXAMPLES.filter((e) => want.includes(e.id))) {
      if (!ex.topology || !existsSync(ex.topology)) {
        console.log(`${ex.id}: skipped (${ex.source} not found; needs ../shared/data)`);
        continue;
      }
      console.error(`${ex.id}: training ${minutes} min on frames ${ex.train} …`);
      rows.push(await runExample(ex, dir));
    }
  } finally {
    if (!keep) rmSync(dir, { recursive: true, force: true });
  }
  console.log(`\n## backmap train: held-out frames, heavy-atom RMSD (Å, median / mean / 90th percentile)\n`);
  console.log('| example | train frames | held-out frames | training | validation (median) | trained model | template (rigid fit of frame 0) |');
  console.log('|---|---|---|---|---|---|---|');
  for (const r of rows)
    console.log(
      `| ${r.id}: ${r.source} | ${r.train} (${r.trainFrames} + validation) | ${r.heldOut} (${r.frames}) | ${r.trainMinutes} min, ${r.epochs} epochs, ${r.steps} steps, ${r.parameters} parameters (${r.hardware}) | ${r.validation?.toFixed(3)} | ` +
        `**${r.model.median.toFixed(3)}** / ${r.model.mean.toFixed(3)} / ${r.model.p90.toFixed(3)} | ${r.template.median.toFixed(3)} / ${r.template.mean.toFixed(3)} / ${r.template.p90.toFixed(3)} |`,
    );
  const json = opt('json');
  if (json) writeFileSync(json, JSON.stringify(rows, null, 2));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
