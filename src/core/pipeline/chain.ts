/**
 * Chains of model stages (issue #28; the iterative backmapping of Kementzidis et al.): `backmap ucg.pdb --model
 * ucg-ca.onnx --then ca-model.onnx` runs UCG beads → C-alpha trace → all atoms. Each model's card says what it takes
 * and gives (`cardStage`); a chain is planned before anything runs, and a stage whose input is not the previous
 * stage's output is refused naming both models. A UCG stage runs here (src/core/ucg: its own slot table and
 * reconstruction); every other stage is the ordinary pipeline (`backmapStructure`) on the structure the previous
 * stage gave, so checks, refinement and the report are the usual ones. Hydrogens (and names) go on the last stage's
 * output only, with the first frame's protonation applied to every frame and sample (one set of atoms for all).
 * Multi-model inputs run frame by frame with every session opened once.
 */
import { statSync } from 'node:fs';
import { basename } from 'node:path';
import { InputError } from '../errors';
import type { Structure } from '../structure/types';
import { cardStage, describeStageEnd, type ModelCard } from '../model/contract';
import { listModelEntries, resolveModel } from '../model/registry';
import { ModelRunner } from '../model/runner';
import { releaseCachedSessions } from '../model/backmapper';
import { parseUcgMapping, type UcgMapping } from '../ucg/format';
import { looksUcg, readFrames, ucgBeadAtoms, type UcgResidue } from '../ucg/map';
import { beadChainIndex, reconstructUcg, ucgSlotTable, type UcgSlotTable } from '../ucg/stage';
import { relaxCaTrace } from '../ucg/relax';
import { gaussian, seededRandom } from '../random';
import { loadMappingChecked } from './plan';
import { backmapStructure } from './run';
import type { BackmapOptions, BackmapOutput, BackmapReport, BackmapStage, Hooks } from './options';
import type { ProtonationPlan } from '../hydrogens';
import { checkAbort } from './run';

export interface ChainStage {
  /** As the user named it (id or path). */
  name: string;
  onnxPath: string;
  card: ModelCard;
  takes: string;
  gives: string;
}

const stageLabel = (s: ChainStage, k: number) => `stage ${k + 1} "${s.card.id}" (${basename(s.onnxPath)})`;

/**
 * Resolves the models of a chain and checks that each stage takes what the one before gives. Nothing may follow a
 * stage that gives all atoms. Throws InputError naming both models.
 */
export function planChain(models: string[]): ChainStage[] {
  if (!models.length) throw new InputError('a chain needs at least one model', '--model');
  const stages = models.map((name) => {
    const { onnxPath, card } = resolveModel(name);
    const { takes, gives } = cardStage(card);
    return { name, onnxPath, card, takes, gives };
  });
  for (let k = 1; k < stages.length; k++) {
    const prev = stages[k - 1];
    const cur = stages[k];
    if (prev.gives === 'atoms')
      throw new InputError(
        `${stageLabel(prev, k - 1)} gives ${describeStageEnd(prev.gives)}: nothing can follow it, but ${stageLabel(cur, k)} is chained after it`,
        cur.onnxPath,
      );
    if (cur.takes !== prev.gives)
      throw new InputError(
        `${stageLabel(cur, k)} takes ${describeStageEnd(cur.takes)}, but ${stageLabel(prev, k - 1)} gives ${describeStageEnd(prev.gives)}: ` +
          'chain a model whose input is the previous stage\'s output',
        cur.onnxPath,
      );
  }
  return stages;
}

/** True when a run needs the chain path: more than one model, or a first model that is a UCG stage. */
export function needsChain(models: string[]): boolean {
  if (models.length > 1) return true;
  const m = models[0];
  if (!m || m === 'auto' || m === 'template') return false;
  try {
    return cardStage(resolveModel(m).card).takes === 'ucg';
  } catch {
    return false;
  }
}

/** A UCG stage opened once: its mapping, slot table and session. */
interface OpenUcgStage {
  mapping: UcgMapping;
  residues: UcgResidue[];
  table: UcgSlotTable;
  chains: Int32Array;
  runner: ModelRunner;
  /** C-alpha trace relaxation over the frames (relax.ts). */
  relaxed: { frames: number; maxMove: number; violations: number };
}

async function openUcgStage(stage: ChainStage, k: number, opts: BackmapOptions): Promise<OpenUcgStage> {
  const info = stage.card.ucg;
  if (!info) throw new InputError(`${stageLabel(stage, k)} takes UCG beads but its card carries no UCG mapping (retrain it with backmap train)`, stage.onnxPath);
  const mapping = parseUcgMapping(info.text, `${basename(stage.onnxPath)}: ${info.file}`);
  if (mapping.hash !== stage.card.mapping.hash) throw new InputError(`the UCG mapping in the card of ${stageLabel(stage, k)} does not match its hash (the card was edited)`, stage.onnxPath);
  const residues = info.residues;
  const table = ucgSlotTable(residues, mapping.beads.length, info.target, info.target === 'atoms' ? loadMappingChecked('ca') : undefined);
  if (table.R !== stage.card.R) throw new InputError(`${stageLabel(stage, k)} predicts ${stage.card.R} slots per bead but its UCG mapping needs ${table.R}`, stage.onnxPath);
  const runner = await ModelRunner.load(stage.onnxPath, { device: opts.device ?? 'auto', strict: opts.strictDevice, log: opts.log });
  return { mapping, residues, table, chains: beadChainIndex(residues, mapping.beads.length), runner, relaxed: { frames: 0, maxMove: 0, violations: 0 } };
}

/** One frame through a UCG stage; `input` holds the stage's beads in mapping order (checked once, `ucgBeadAtoms`). */
async function runUcgStage(open: OpenUcgStage, stage: ChainStage, input: Structure, timings: Record<string, number>): Promise<Structure> {
  const n = open.mapping.beads.length;
  const pos = input.coords.subarray(0, 3 * n);
  for (let i = 0; i < pos.length; i++)
    if (!Number.isFinite(pos[i])) throw new InputError(`bead ${open.mapping.beads[Math.floor(i / 3)].name} has a non-finite coordinate`, input.source, input.atoms.sourceLine[Math.floor(i / 3)] || undefined);
  const types = Int32Array.from({ length: n }, (_, b) => b);
  const pred = await open.runner.predictArrays(pos, types, types, open.chains, timings, input.source);
  const out = reconstructUcg(open.table, open.residues, pos, pred.vectors, input.source, `${describeStageEnd(stage.gives)} from ${basename(input.source)} by ${stage.card.id}`);
  // A C-alpha trace goes on to a model trained on real traces: no CA atoms on top of each other (relax.ts).
  if (stage.gives === 'ca') {
    const t = performance.now();
    const r = relaxCaTrace(out);
    timings.relaxTrace = (timings.relaxTrace ?? 0) + performance.now() - t;
    open.relaxed.frames++;
    open.relaxed.maxMove = Math.max(open.relaxed.maxMove, r.maxMove);
    open.relaxed.violations += r.violationsBefore;
  }
  return out;
}

export interface ChainOptions extends BackmapOptions {
  /**
   * Structures drawn per frame (default 1: the deterministic prediction). From the second on, the C-alpha trace of a
   * UCG stage is perturbed before the next stage: a smooth random deformation along the chain (Gaussian kernel as
   * wide as the stage's residues per bead) scaled so its rms equals the stage's own validation Cα RMSD (its card),
   * then relaxed to a valid trace. So the samples spread as far as the stage is measured to err; sample 1 stays the
   * deterministic one. Frame-major output: frame 1's samples, then frame 2's, ….
   */
  samples?: number;
  /** Seed of the sampling (default 1). */
  seed?: number;
}

/** The UCG stage's measured error: the median validation Cα RMSD of its card (Å), 1 Å when the card does not say. */
export function stageError(card: ModelCard): number {
  const v = (card.training?.validation as { all?: [number, number] } | undefined)?.all?.[0];
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : 1;
}

/** One sample of the trace (see `ChainOptions.samples`): smooth noise of rms `stageError`, then a valid trace again. */
function perturbTrace(trace: Structure, open: OpenUcgStage, stage: ChainStage, rng: () => number): void {
  const n = trace.atoms.count;
  const width = Math.max(1, open.residues.length / open.mapping.beads.length);
  const xi = Float64Array.from({ length: 3 * n }, () => gaussian(rng));
  const d = new Float64Array(3 * n);
  const reach = Math.ceil(3 * width);
  for (let i = 0; i < n; i++)
    for (let j = Math.max(0, i - reach); j <= Math.min(n - 1, i + reach); j++) {
      if (trace.atoms.chainId[i] !== trace.atoms.chainId[j]) continue;
      const w = Math.exp(-0.5 * ((i - j) / width) ** 2);
      for (let c = 0; c < 3; c++) d[3 * i + c] += w * xi[3 * j + c];
    }
  let ss = 0;
  for (const v of d) ss += v * v;
  const scale = stageError(stage.card) / Math.sqrt(ss / Math.max(1, n) || 1);
  for (let i = 0; i < 3 * n; i++) trace.coords[i] += d[i] * scale;
  relaxCaTrace(trace);
}

export interface ChainOutput extends BackmapOutput {
  /** One structure per input model (the first is `structure`). */
  frames: Structure[];
  stages: BackmapStage[];
}

/**
 * Runs the chain on every model of `input` (a multi-model PDB is a trajectory of frames). The first stage must take
 * what the input holds: UCG beads for a UCG stage, else the checks of the ordinary pipeline apply.
 */
export async function backmapChain(input: Structure, stages: ChainStage[], opts: ChainOptions = {}, hooks: Hooks = {}): Promise<ChainOutput> {
  const first = stages[0];
  if (first.takes === 'ucg' && !looksUcg(input))
    throw new InputError(`${stageLabel(first, 0)} takes UCG beads (made by 'backmap map --mapping <file.ucg.yaml>'), but ${basename(input.source)} holds ${input.atoms.resName[0] ?? 'no'} residues`, input.source, input.atoms.sourceLine[0] || undefined);
  if (first.takes !== 'ucg' && looksUcg(input))
    throw new InputError(`${stageLabel(first, 0)} takes ${describeStageEnd(first.takes)}, but ${basename(input.source)} holds UCG beads: start the chain with a UCG model`, input.source);
  const opened: (OpenUcgStage | null)[] = [];
  const stageStats: BackmapStage[] = stages.map((s) => ({ model: s.card.id, takes: s.takes, gives: s.gives, seconds: 0, beads: 0, atoms: 0 }));
  const frames: Structure[] = [];
  let lastReport: BackmapReport | null = null;
  let lastTorsions: Float32Array | null = null;
  // The first frame's protonation, for every later frame and sample (their atoms must be the first frame's).
  let protonation: ProtonationPlan | undefined = opts.protonation;
  const timings: Record<string, number> = {};
  try {
    for (let k = 0; k < stages.length; k++) opened.push(stages[k].takes === 'ucg' ? await openUcgStage(stages[k], k, opts) : null);
    // Only the first stage takes UCG beads (no stage gives them): its beads are checked once for every frame.
    if (opened[0]) ucgBeadAtoms(input, opened[0].mapping, stageLabel(first, 0));
    const models = input.models.length ? input.models : [input.coords];
    const samples = Math.max(1, Math.floor(opts.samples ?? 1));
    const rng = seededRandom(opts.seed ?? 1);
    /** One frame (one sample of it) through every stage. */
    const runStages = async (f: number, sample: number): Promise<Structure> => {
      const first = f + sample === 0;
      let cur: Structure = { ...input, coords: models[f], models: [models[f]] };
      for (let k = 0; k < stages.length; k++) {
        const t0 = performance.now();
        const beadsIn = cur.atoms.count;
        const open = opened[k];
        if (open) {
          cur = await runUcgStage(open, stages[k], cur, timings);
          if (sample > 0 && stages[k].gives === 'ca') perturbTrace(cur, open, stages[k], rng);
        } else {
          // Later frames of the same chain: keep the session open (cached) and skip the per-frame metrics. Hydrogens
          // on the last stage only: a stage before it gives the next one heavy atoms under the engine's names.
          const last = k === stages.length - 1;
          const out = await backmapStructure(
            cur,
            {
              ...opts,
              ...(last ? { protonation } : { hydrogens: false, names: undefined, protonation: undefined }),
              model: stages[k].onnxPath,
              cacheSession: models.length > 1 || opts.cacheSession,
              skipMetrics: !first || opts.skipMetrics,
              reference: first ? opts.reference : undefined,
            },
            first ? hooks : { signal: hooks.signal },
          );
          if (last) protonation ??= out.protonation;
          cur = out.structure;
          if (first) {
            lastReport = out.report;
            lastTorsions = out.torsions;
          }
        }
        const st = stageStats[k];
        st.seconds += (performance.now() - t0) / 1000;
        if (first) {
          st.beads = beadsIn;
          st.atoms = cur.atoms.count;
        }
      }
      return cur;
    };
    for (let f = 0; f < models.length; f++)
      for (let sample = 0; sample < samples; sample++) {
        checkAbort(hooks.signal);
        const out = await runStages(f, sample);
        if (frames.length && out.atoms.count !== frames[0].atoms.count)
          throw new InputError(`frame ${f + 1}: ${out.atoms.count} atoms, but the first frame has ${frames[0].atoms.count}: every frame of a chain must have the same atoms`, input.source);
        frames.push(out);
        hooks.progress?.('frames', (f * samples + sample + 1) / (models.length * samples), `frame ${f + 1} of ${models.length}${samples > 1 ? `, sample ${sample + 1} of ${samples}` : ''}`);
      }
  } finally {
    for (const o of opened) if (o) await o.runner.release();
    if (input.models.length > 1) await releaseCachedSessions();
  }
  const out = frames[0];
  const ucgOpen = opened.find((o) => o);
  const report: BackmapReport = lastReport ?? {
    input: input.source,
    provider: ucgOpen?.runner.provider ?? 'cpu',
    providerAttempts: ucgOpen?.runner.attempts ?? [],
    modelId: stages.map((s) => s.card.id).join(' → '),
    mappingId: stages[0].card.mapping.id,
    modelNote: 'chain of UCG stages',
    timings,
    counts: { beads: input.atoms.count, residues: opened[opened.length - 1]?.residues.length ?? 0, atoms: out.atoms.count, inputParticles: input.atoms.count, chunks: 1 },
    unknown: [],
    clashPercent: NaN,
    clash: null,
    bondOutliers: NaN,
    angleOutliers: NaN,
    bondAngle: null,
    ramachandranOutliers: NaN,
    ramachandran: null,
    refine: { enabled: { backbone: false, clashes: false, sidechains: false } },
    notes: [],
  };
  if (lastReport) {
    report.input = input.source;
    report.modelId = stages.map((s) => s.card.id).join(' → ');
    report.modelNote = `chain of ${stages.length} stages: ${stages.map((s) => `${s.card.id} (${describeStageEnd(s.takes)} → ${describeStageEnd(s.gives)})`).join(', then ')}`;
    report.counts.inputParticles = input.atoms.count;
  }
  report.stages = stageStats;
  if ((opts.samples ?? 1) > 1)
    report.notes.push(`${opts.samples} structures per frame (frame-major): the first is the deterministic prediction, the others sample the C-alpha trace within the UCG stage's validation error`);
  opened.forEach((o, k) => {
    if (o?.relaxed.frames)
      report.notes.push(
        `stage ${k + 1} (${stages[k].card.id}): the predicted C-alpha trace was relaxed to CA–CA 3.80 Å and no CA pair closer than 4.0 Å ` +
          `(${o.relaxed.violations} violation(s) over ${o.relaxed.frames} frame(s), largest move ${o.relaxed.maxMove.toFixed(2)} Å)`,
      );
  });
  if (frames.length > 1) report.trajectory = { frames: frames.length, seconds: stageStats.reduce((s, x) => s + x.seconds, 0) };
  out.title = `backmapped from ${input.source} by ${stages.map((s) => s.card.id).join(' → ')}`;
  if (report.hydrogens && frames.length > 1) report.notes.push('protonation decided on the first frame, applied to every frame');
  return { structure: out, report, torsions: lastTorsions, frames, stages: stageStats, ...(protonation ? { protonation } : {}) };
}

/**
 * The chain for a UCG structure from the installed models (shipped, `modelDirs`, BACKMAP_MODEL_PATH): a UCG stage
 * whose mapping has exactly the file's beads, then — when it gives a C-alpha trace — the C-alpha model to follow it,
 * preferring a model of the user's folders trained on the same residues (`backmap train --mapping ca --init
 * ca-protein` on the protein's frames) over the shipped `ca-protein`. Among several UCG stages, one that gives a
 * C-alpha trace and then the newest file. Null when the input is not UCG beads; InputError when no model takes them.
 */
export function chooseChain(input: Structure, modelDirs?: string[]): { stages: ChainStage[]; note: string } | null {
  if (!looksUcg(input)) return null;
  const entries = listModelEntries(modelDirs);
  const names = Array.from({ length: input.atoms.count }, (_, i) => input.atoms.name[i]).join(' ');
  const firsts = entries.filter((e) => {
    if (cardStage(e.card).takes !== 'ucg' || !e.card.ucg) return false;
    const m = parseUcgMapping(e.card.ucg.text, e.card.ucg.file);
    return m.beads.map((b) => b.name).join(' ') === names;
  });
  if (!firsts.length)
    throw new InputError(
      `${basename(input.source)} holds ${input.atoms.count} UCG beads, but no installed model takes them (train one on the protein's frames: backmap train <frames> --mapping <file.ucg.yaml> --target ca -o <model.onnx>, in a models folder of the workspace)`,
      input.source,
    );
  const mtime = (p: string) => statSync(p).mtimeMs;
  firsts.sort((a, b) => Number(cardStage(b.card).gives === 'ca') - Number(cardStage(a.card).gives === 'ca') || mtime(b.onnxPath) - mtime(a.onnxPath));
  const first = firsts[0];
  const chain = [first];
  let note = `UCG stage ${first.card.id} (${basename(first.onnxPath)}) takes the file's ${input.atoms.count} beads`;
  if (cardStage(first.card).gives === 'ca') {
    const residues = new Set(first.card.molecules ?? []);
    const followers = entries.filter((e) => cardStage(e.card).takes === 'ca');
    const own = (e: (typeof entries)[number]) => e.source === 'folder' && (e.card.molecules ?? []).length > 0 && [...residues].every((r) => e.card.molecules!.includes(r));
    followers.sort((a, b) => Number(own(b)) - Number(own(a)) || Number(b.source === 'folder') - Number(a.source === 'folder') || mtime(b.onnxPath) - mtime(a.onnxPath));
    if (followers.length) {
      chain.push(followers[0]);
      note += `, then ${followers[0].card.id} (${own(followers[0]) ? 'trained on this protein' : followers[0].source === 'shipped' ? 'shipped C-alpha model' : 'C-alpha model of your folder'}) rebuilds the atoms`;
    } else note += '; no C-alpha model is installed, so the output is the C-alpha trace';
  }
  return { stages: planChain(chain.map((e) => e.onnxPath)), note };
}

/**
 * The chain a run takes, or null for the ordinary pipeline: `models` when given (the CLI's --model … --then …, the
 * editor's choice); else, for UCG beads, the installed chain that takes them (`model` auto, its note logged) or the
 * model named (a UCG stage alone: its C-alpha trace); else a UCG stage named for other input (refused by
 * `backmapChain`, naming the model and the file). The template backmapper cannot take UCG beads: refused here.
 */
export function chainForInput(input: Structure, opts: { models?: string[]; model?: string; modelDirs?: string[] }, log?: (m: string) => void): ChainStage[] | null {
  if (opts.models?.length) return planChain(opts.models);
  const model = opts.model || 'auto';
  if (looksUcg(input)) {
    if (model === 'auto') {
      // Not null: the input is UCG beads. No installed model that takes them: chooseChain's InputError says what to train.
      const chosen = chooseChain(input, opts.modelDirs)!;
      log?.(chosen.note);
      return chosen.stages;
    }
    if (model === 'template')
      throw new InputError(
        `${input.source} holds UCG beads, which the template backmapper cannot rebuild (it places fragments on the beads of whole residues): use model auto, or a UCG model (backmap train --mapping <file.ucg.yaml> --target ca)`,
        input.source,
      );
    return planChain([model]);
  }
  return needsChain([model]) ? planChain([model]) : null;
}

/**
 * A chain's input: every model of `top` (a multi-model PDB is frames), or the selected frames of its trajectory,
 * each checked finite and made whole (`readFrames`); a single structure as it is.
 */
export function chainInput(top: Structure, trajectory?: string, sel: { frames?: string; stride?: number; maxFrames?: number } = {}): Structure {
  const many = !!trajectory || top.models.length > 1 || sel.frames !== undefined;
  const frames = many ? readFrames(top, trajectory, sel).frames : [top.coords];
  return { ...top, coords: frames[0], models: frames };
}
