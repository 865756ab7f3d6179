#!/usr/bin/env node
// npm run train -- <model-id> [--budget-min 40] [--device cpu|cuda] [--threads 2] [--no-export] [--rebuild] [--one-stage]
//                  [extra train.py flags]
// Builds the dataset with the TypeScript core if missing, trains with /usr/bin/python3 (torch), exports ONNX + card.
// A preset with `continue` stages trains them one after another, each warm-started (--init) from the previous
// checkpoint; the user's extra flags apply to every stage, --one-stage runs only the first.
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = dirname(dirname(fileURLToPath(import.meta.url)));
const python = process.env.BACKMAP_PYTHON || '/usr/bin/python3';

// The shipped CPU recipes (see models/<id>.json "training" for what each shipped model actually ran).
const PRESETS = {
  'martini3-protein': {
    mapping: 'martini3',
    // The full cluster-disjoint pool (1,840 chains): the core list left the side chains data-limited.
    list: 'train_pool_complete.tsv',
    args: ['--features', '64', '--layers', '3', '--cutoff', '8', '--k-max', '28', '--batch-beads', '800', '--noise', '0.08', '--outward', '0.15', '--procs', '2', '--threads', '1', '--eval-every-min', '20', '--budget-min', '90'],
    // The shipped model is this run continued five times (--init), each with a fresh schedule at a lower peak rate:
    // 90 + 108 + 128 + 112 + 45 + 85 min, the last two drawing every sequence cluster equally (--cluster-weight 1).
    continue: [
      ['--lr', '1e-3', '--seed', '1235', '--budget-min', '108'],
      ['--lr', '7e-4', '--seed', '1236', '--budget-min', '128'],
      ['--lr', '3e-4', '--seed', '1237', '--budget-min', '112'],
      ['--lr', '3e-4', '--seed', '1239', '--budget-min', '45', '--cluster-weight', '1'],
      ['--lr', '2e-4', '--seed', '1240', '--budget-min', '85', '--cluster-weight', '1'],
    ],
  },
  'ca-protein': {
    mapping: 'ca',
    // The core list (38k beads) overfits the C-alpha model; the full cluster-disjoint pool does not.
    list: 'train_pool_complete.tsv',
    args: ['--features', '48', '--layers', '3', '--cutoff', '10', '--k-max', '24', '--batch-beads', '600', '--outward', '0', '--threads', '2', '--budget-min', '21'],
    // The shipped model is this run continued once (--init): 21 + 75 min, the second stage data-parallel.
    continue: [['--procs', '2', '--threads', '1', '--eval-every-min', '20', '--lr', '1e-3', '--seed', '1235', '--budget-min', '75']],
  },
  // Lipids and sterols (src/core/dataset/lipids.ts): the CHARMM36 bilayers, the +z leaflet of each held out.
  'martini3-lipids': {
    mapping: 'martini3',
    dataset: 'charmm36-membranes',
    build: ['training/build-lipid-dataset.ts'],
    // A small, fast network (48 features, 2 layers, 7 Å / 16 neighbours): on the dense bilayer the protein-sized
    // one (64 features, 3 layers, 10 Å / 32) took 13 s per step on the shared 2-core machine (docs/experiments.md).
    args: ['--features', '48', '--layers', '2', '--cutoff', '7', '--k-max', '16', '--batch-beads', '1000', '--noise', '0.1', '--outward', '0', '--split-chain', '0', '--lr', '3e-3', '--procs', '2', '--threads', '1', '--eval-every-min', '6', '--budget-min', '25'],
    reference: ['--input', 'test/core/forward/fixtures/popc-chl1.pdb', '--molecules-as-chains'],
    export: ['--molecule-kinds', 'lipid,sterol'],
  },
};

const argv = process.argv.slice(2);
const id = argv.find((a) => !a.startsWith('-'));
if (!id || !PRESETS[id]) {
  console.error(`usage: npm run train -- <${Object.keys(PRESETS).join('|')}> [--budget-min N] [--device cuda] [--rebuild] [--no-export] [--one-stage]`);
  process.exit(2);
}
const preset = PRESETS[id];
const rest = argv.filter((a) => a !== id && a !== '--rebuild' && a !== '--no-export' && a !== '--one-stage');
const list = process.env.BACKMAP_TRAIN_LIST || join(repo, '..', 'shared', 'data', 'splits', preset.list ?? 'none.tsv'); // unused by presets with their own builder
// One dataset file per model and list, so a changed list never reuses a stale dataset.
const data = join(repo, 'training', 'data', `${id}.${preset.dataset ?? basename(list, '.tsv')}.bmds`);

const run = (cmd, args) => {
  console.log(`$ ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: repo });
  if (r.status !== 0) process.exit(r.status ?? 1);
};

if (preset.build && (!existsSync(data) || argv.includes('--rebuild'))) {
  run(process.execPath, ['--import', 'tsx', ...preset.build, '--mapping', preset.mapping, '--out', data]);
} else if (!existsSync(data) || argv.includes('--rebuild')) {
  if (!existsSync(list)) {
    console.error(`training list not found: ${list} (needs ../shared/data)`);
    process.exit(1);
  }
  // --no-iupac: both shipped models were trained on the files' own atom names (training/README.md says why).
  run(process.execPath, ['--import', 'tsx', 'training/build-dataset.ts', '--list', list, '--mapping', preset.mapping, '--no-iupac', '--out', data]);
}
// Later flags win in argparse, so user flags override the preset.
const stages = [[], ...(argv.includes('--one-stage') ? [] : (preset.continue ?? []))];
const runs = join(repo, 'training', 'runs', id);
let checkpoint = null;
stages.forEach((stageArgs, k) => {
  const outDir = stages.length > 1 ? join(runs, `stage${k + 1}`) : runs;
  const init = checkpoint ? ['--init', checkpoint] : [];
  run(python, ['training/train.py', '--model-id', id, '--data', data, '--out-dir', outDir, ...preset.args, ...stageArgs, ...init, ...rest]);
  checkpoint = join(outDir, 'checkpoint.pt');
});
if (!argv.includes('--no-export')) {
  const ref = join(repo, 'training', 'data', preset.reference ? `${id}-reference.bmds` : `${preset.mapping}-demo.bmds`);
  run(process.execPath, ['--import', 'tsx', 'training/reference-input.ts', '--mapping', preset.mapping, '--out', ref, ...(preset.reference ?? [])]);
  run(python, ['training/export.py', '--model-id', id, '--data', data, '--checkpoint', checkpoint, '--reference-input', ref, ...(preset.export ?? [])]);
}
