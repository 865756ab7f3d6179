/**
 * Running a plan: inference through the Backmapper (spatially chunked) → reconstruct → refine → metrics → report.
 * `backmapStructure` is what the CLI, the inference worker (editor), the demo and the benchmarks run.
 */
import { CancelledError } from '../errors';
import type { Structure } from '../structure/types';
import { residuesOf } from '../structure/builder';
import type { CgSystem } from '../cg';
import { reconstruct } from '../reconstruct';
import { bondAngleStats, clashReport, compareStructures, ramachandranOutliers } from '../metrics';
import { openBackmapper, type Backmapper, type Prediction } from '../model/backmapper';
import { DEFAULT_CHUNK_SIZE, inferVectors } from '../model/chunking';
import { refineStructure, type RefineReport } from '../refine';
import { planBackmap, type ModelChoice } from './plan';
import { refineSettings, type BackmapOptions, type BackmapOutput, type BackmapReport, type Hooks, type RefineSettings, type UnknownResidue } from './options';

const now = () => performance.now();
export const checkAbort = (signal?: AbortSignal) => {
  if (signal?.aborted) throw new CancelledError();
};
// Lets cancellation and progress messages through between heavy synchronous stages.
export const yieldToLoop = () => new Promise<void>((r) => setImmediate(r));

/** The backmapper a plan chose, on the device asked for (a session kept open when `cacheSession`). */
export function openChosen(choice: ModelChoice, opts: BackmapOptions): Promise<Backmapper> {
  return openBackmapper(choice.kind === 'template' ? 'template' : choice.modelId, {
    device: opts.device ?? 'auto',
    strict: opts.strictDevice,
    cache: opts.cacheSession,
    log: opts.log,
  });
}

/**
 * Per output residue torsions from per-bead predictions (the residue's first bead). Output residues follow the
 * system's residue order (reconstruct keeps it), so both lists are walked together.
 */
export function residueTorsions(system: CgSystem, beadTorsions: Float32Array, out: Structure): Float32Array {
  const residues = residuesOf(out.atoms);
  const t = new Float32Array(residues.length * 4).fill(NaN);
  let cr = 0;
  residues.forEach((r, k) => {
    while (cr < system.residues.length) {
      const s = system.residues[cr];
      if (s.chainId === r.chainId && s.resSeq === r.resSeq && s.iCode === r.iCode && s.resName === r.resName) break;
      cr++;
    }
    if (cr >= system.residues.length) return;
    const b = system.residues[cr].beads[0];
    if (b !== undefined) for (let c = 0; c < 4; c++) t[4 * k + c] = beadTorsions[4 * b + c];
    cr++;
  });
  return t;
}

/**
 * All atoms from a prediction: reconstruct, then the refinement parts asked for (guided by the predicted torsions
 * when the backmapper gives them). The benchmarks call this on the same predictions the pipeline makes.
 */
export function rebuild(
  system: CgSystem,
  prediction: Prediction,
  refine: RefineSettings,
): { structure: Structure; torsions: Float32Array | null; refine: RefineReport } {
  const structure = reconstruct(system, prediction.vectors);
  const torsions = prediction.torsions ? residueTorsions(system, prediction.torsions, structure) : null;
  const report = refine.backbone || refine.clashes || refine.sidechains ? refineStructure(structure, { ...refine, torsions }) : {};
  return { structure, torsions, refine: report };
}

/** Backmaps one frame's bead coordinates (already in `system.coords`). */
export async function backmapSystem(
  bm: Backmapper,
  system: CgSystem,
  refine: RefineSettings,
  chunkSize: number,
  timings: Record<string, number>,
  hooks: Hooks,
  afterInference?: () => Promise<void>,
): Promise<{ structure: Structure; torsions: Float32Array | null; chunks: number; refine: RefineReport }> {
  const inf = await inferVectors(bm, system, chunkSize, hooks, timings);
  // A one-off backmap closes its session here: onnxruntime's arena is then freed before the all-atom structure is
  // built, so the peak is the larger of the two phases, not their sum.
  await afterInference?.();
  checkAbort(hooks.signal);
  let t = now();
  hooks.progress?.('rebuild', 0);
  const structure = reconstruct(system, inf.vectors);
  timings.rebuild = (timings.rebuild ?? 0) + now() - t;
  hooks.progress?.('rebuild', 1);
  checkAbort(hooks.signal);
  let torsions: Float32Array | null = null;
  if (inf.torsions) torsions = residueTorsions(system, inf.torsions, structure);
  t = now();
  let refineReport: RefineReport = {};
  if (refine.backbone || refine.clashes || refine.sidechains) {
    hooks.progress?.('refine', 0);
    await yieldToLoop();
    refineReport = refineStructure(structure, { ...refine, torsions });
    hooks.progress?.('refine', 1);
  }
  timings.refine = (timings.refine ?? 0) + now() - t;
  return { structure, torsions, chunks: inf.chunks, refine: refineReport };
}

/** Geometry checks of the output, and RMSD against the reference when there is one. */
export function metricsOf(structure: Structure, reference: Structure | undefined, report: BackmapReport): void {
  const clash = clashReport(structure);
  report.clash = clash;
  report.clashPercent = clash.percent;
  const ba = bondAngleStats(structure);
  report.bondAngle = ba;
  report.bondOutliers = ba.bonds.outliers;
  report.angleOutliers = ba.angles.outliers;
  const rama = ramachandranOutliers(structure);
  report.ramachandran = rama;
  report.ramachandranOutliers = rama.outliers;
  if (reference) {
    const m = compareStructures(structure, reference);
    report.rmsd = { bb: m.rmsd_bb, sc: m.rmsd_sc, all: m.rmsd_all, matched: m.matched, perResidue: m.perResidue };
  }
}

export function emptyReport(input: Structure, choice: ModelChoice, bm: Backmapper | null, unknown: UnknownResidue[], refine: RefineSettings): BackmapReport {
  return {
    input: input.source,
    provider: bm?.provider ?? 'js',
    providerAttempts: bm?.attempts ?? [],
    modelId: choice.modelId,
    mappingId: choice.set.id,
    modelNote: choice.note,
    timings: {},
    counts: { beads: 0, residues: 0, atoms: 0, inputParticles: input.atoms.count, chunks: 0 },
    unknown,
    clashPercent: NaN,
    clash: null,
    bondOutliers: NaN,
    angleOutliers: NaN,
    bondAngle: null,
    ramachandranOutliers: NaN,
    ramachandran: null,
    refine: { enabled: refine },
    notes: [],
  };
}

/**
 * Backmaps one CG structure (model 0 of a multi-model input), after every input check of `planBackmap`.
 * Refinement is off by default for a single structure (`refine: true` or per part to enable) and on by default
 * for trajectories.
 */
export async function backmapStructure(input: Structure, opts: BackmapOptions = {}, hooks: Hooks = {}): Promise<BackmapOutput> {
  const timings: Record<string, number> = {};
  if (opts.parseMs !== undefined) timings.parse = opts.parseMs;
  checkAbort(hooks.signal);
  let t = now();
  hooks.progress?.('assign', 0);
  const { choice, system, unknown } = planBackmap(input, opts);
  timings.assign = now() - t;
  hooks.progress?.('assign', 1);
  checkAbort(hooks.signal);
  t = now();
  hooks.progress?.('model', 0);
  const bm = await openChosen(choice, opts);
  timings.model = now() - t;
  hooks.progress?.('model', 1);
  try {
    checkAbort(hooks.signal);
    const refine = refineSettings(opts.refine, false);
    const res = await backmapSystem(bm, system, refine, opts.chunkSize ?? DEFAULT_CHUNK_SIZE, timings, hooks, () => bm.release());
    const report = emptyReport(input, choice, bm, unknown, refine);
    report.timings = timings;
    report.counts = { beads: system.beads.length, residues: system.residues.length, atoms: res.structure.atoms.count, inputParticles: input.atoms.count, chunks: res.chunks };
    report.refine = { ...res.refine, enabled: refine };
    if (unknown.length) report.notes.push(`${unknown.length} CG particle(s) of residues or beads unknown to mapping '${choice.set.id}' were skipped`);
    if (!opts.skipMetrics) {
      t = now();
      hooks.progress?.('metrics', 0);
      metricsOf(res.structure, opts.reference, report);
      timings.metrics = now() - t;
      hooks.progress?.('metrics', 1);
    }
    res.structure.title = `backmapped from ${input.source} with ${choice.modelId} (${choice.set.id})`;
    return { structure: res.structure, report, torsions: res.torsions };
  } finally {
    await bm.release();
  }
}
