/**
 * The backmapping pipeline: parse → assign (CG beads to the mapping) → model choice → inference (ONNX model or
 * the model-free template, spatially chunked) → reconstruct → refine → report. Used in-process by the CLI and
 * tests and inside the inference worker (src/engine/worker.ts) by the extension.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { InputError } from '../core/errors';
import type { MappingSet } from '../core/mapping/types';
import type { Frame, Structure } from '../core/structure/types';
import { residuesOf } from '../core/structure/builder';
import { assignCg, type CgSystem } from '../core/cg';
import { loadMappingSet, listBundledMappingSets } from '../core/mapping/load';
import { reconstruct } from '../core/reconstruct';
import { templateVectors } from '../core/template';
import { mapToCg } from '../core/forward';
import { ModelRunner } from '../core/model/runner';
import { listModels, modelsRoot, resolveModel } from '../core/model/registry';
import { bondAngleStats, clashReport, compareStructures, ramachandranOutliers, type BondAngleStats, type ClashReport, type RamaResult } from '../core/metrics';
import { readStructureFile } from '../core/structure/read';
import { writePdb } from '../core/structure/pdb';
import { assertWritable, writeStructureFile } from '../core/structure/write';
import { OutputFile } from '../core/io/output-file';
import { ByteWriter } from '../core/io/bytes';
import type { BackmapSettings, Device, RefineSettings } from '../shared/worker-protocol';
import { planChunks, subSystem } from './chunking';
import { refineStructure, type RefineReport } from './refine';
import { ProviderUnavailableError, conciseReason, loadOrt, type ProviderAttempt } from './providers';
import { buildGraph } from '../core/model/contract';
import { CancelledError } from './errors';

export { CancelledError } from './errors';

export type { Device, RefineSettings } from '../shared/worker-protocol';

export interface BackmapOptions extends BackmapSettings {
  /** All-atom reference for per-residue RMSD. */
  reference?: Structure;
  /** A pre-loaded mapping set (overrides `mapping`). */
  mappingSet?: MappingSet;
  /** Unavailable explicit device → error instead of the documented CPU fallback. */
  strictDevice?: boolean;
  /** Time already spent reading the input (reported as the parse stage). */
  parseMs?: number;
  /** Keep the model session for later calls (the worker caches one per model + device). */
  cacheSession?: boolean;
  /** Skip the quality metrics (trajectories compute them for the first frame only). */
  skipMetrics?: boolean;
  log?: (message: string) => void;
}

export interface Hooks {
  /** fraction in [0, 1]; `detail` e.g. "frame 12 of 89" for trajectories. */
  progress?(stage: string, fraction: number, detail?: string): void;
  signal?: AbortSignal;
}

export interface UnknownResidue {
  resName: string;
  bead?: string;
  chainId?: string;
  resSeq?: number;
  file: string;
  line: number;
}

export interface ResidueRmsd {
  chainId: string;
  resSeq: number;
  iCode: string;
  resName: string;
  rmsd: number;
  rmsd_bb: number;
  rmsd_sc: number;
}

export interface BackmapReport {
  input: string;
  /** 'cpu', 'cuda', 'webgpu', … for a model; 'js' for the template backmapper. */
  provider: string;
  providerAttempts: ProviderAttempt[];
  /** Model id, or 'template'. */
  modelId: string;
  mappingId: string;
  /** Why this model/mapping was chosen (auto mode), or why the template was used. */
  modelNote: string;
  timings: Record<string, number>;
  counts: { beads: number; residues: number; atoms: number; inputParticles: number; chunks: number };
  unknown: UnknownResidue[];
  /** % of residues with a heavy atom < 1.2 Å from another residue's (metrics' definition). */
  clashPercent: number;
  clash: ClashReport | null;
  bondOutliers: number;
  angleOutliers: number;
  bondAngle: BondAngleStats | null;
  ramachandranOutliers: number;
  ramachandran: RamaResult | null;
  refine: RefineReport & { enabled: RefineSettings };
  rmsd?: { bb: number; sc: number; all: number; matched: number; perResidue: ResidueRmsd[] };
  notes: string[];
}

export interface BackmapOutput {
  structure: Structure;
  report: BackmapReport;
  /** Per output residue (cos φ, sin φ, cos ψ, sin ψ) predicted by the model; null for the template. */
  torsions: Float32Array | null;
}

const now = () => performance.now();
const checkAbort = (signal?: AbortSignal) => {
  if (signal?.aborted) throw new CancelledError();
};
// Lets cancellation and progress messages through between heavy synchronous stages.
const yieldToLoop = () => new Promise<void>((r) => setImmediate(r));

// ------------------------------------------------------------------------------------------ mapping / model choice

const setCache = new Map<string, MappingSet>();
function cachedSet(id: string): MappingSet {
  let s = setCache.get(id);
  if (!s) {
    s = loadMappingSet(id);
    setCache.set(id, s);
  }
  return s;
}

/** Fraction of the CG particles whose (residue, bead) names the set knows. */
export function mappingCoverage(cg: Structure, set: MappingSet, residueNameMap?: Record<string, string>): number {
  const a = cg.atoms;
  if (!a.count) return 0;
  let known = 0;
  for (let i = 0; i < a.count; i++) {
    const rn = residueNameMap?.[a.resName[i]] ?? a.resName[i];
    const mol = set.molecules.get(rn) ?? set.molecules.get(rn.toUpperCase());
    if (mol && mol.beadIndex.has(a.name[i])) known++;
  }
  return known / a.count;
}

interface CardLike {
  id: string;
  mapping?: string | { id: string; hash?: string };
  cutoff?: number;
  K?: number;
  architecture?: Record<string, unknown>;
  receptiveField?: number;
  [k: string]: unknown;
}

const cardMapping = (c: CardLike): string => (typeof c.mapping === 'object' && c.mapping ? c.mapping.id : String(c.mapping ?? ''));

/** Receptive field of a message-passing model: layers × cutoff (Å), from the model card. */
export function receptiveField(card: CardLike): number {
  if (typeof card.receptiveField === 'number') return card.receptiveField;
  const arch = card.architecture ?? {};
  const layers = Number(arch.layers ?? arch.num_layers ?? arch.numLayers ?? arch.n_layers ?? card.layers ?? NaN);
  const cutoff = Number(card.cutoff ?? arch.cutoff ?? NaN);
  if (Number.isFinite(layers) && Number.isFinite(cutoff)) return layers * cutoff;
  // A card without its depth: assume a deep model (6 layers) rather than risk a halo that is too small.
  return 6 * (Number.isFinite(cutoff) ? cutoff : 10);
}

/**
 * Reach of the template backmapper (src/core/template.ts): a residue's vectors depend on its own beads and the
 * backbone beads of up to two residues on either side in the same chain segment (plus whether the next residue
 * exists, for the C-terminus) — sequence neighbours, not a spatial neighbourhood.
 */
export const TEMPLATE_SEQUENCE_REACH = 2;
export const TEMPLATE_SPATIAL_REACH = 0;

export interface ModelChoice {
  kind: 'model' | 'template';
  modelId: string;
  card?: CardLike;
  set: MappingSet;
  note: string;
}

function safeListModels(): CardLike[] {
  try {
    return listModels() as unknown as CardLike[];
  } catch {
    return [];
  }
}

/** " (model card X.json is there but X.onnx is missing)" when a card for `mappingId` lacks its network file. */
function missingModelFiles(mappingId: string): string {
  const root = modelsRoot();
  if (!root) return ' (no models folder)';
  const missing: string[] = [];
  for (const f of readdirSync(root)) {
    if (!f.endsWith('.json') || existsSync(join(root, f.replace(/\.json$/, '.onnx')))) continue;
    try {
      const card = JSON.parse(readFileSync(join(root, f), 'utf8')) as CardLike;
      if (cardMapping(card) === mappingId) missing.push(`${f.replace(/\.json$/, '')}.onnx`);
    } catch {
      // not a card
    }
  }
  return missing.length ? ` (model card found but ${missing.join(', ')} missing from ${root})` : '';
}

/** Picks model and mapping set for `cg` from `opts.model` ('auto' | 'template' | id | path) and `opts.mapping`. */
export function chooseModel(cg: Structure, opts: BackmapOptions): ModelChoice {
  const want = opts.model ?? 'auto';
  const rmap = opts.residueNameMap;
  const explicitSet = opts.mappingSet ?? (opts.mapping ? cachedSet(opts.mapping) : undefined);
  const bestBundled = (): { set: MappingSet; coverage: number } => {
    let best: { set: MappingSet; coverage: number } | undefined;
    for (const id of listBundledMappingSets()) {
      let set: MappingSet;
      try {
        set = cachedSet(id);
      } catch {
        continue;
      }
      const coverage = mappingCoverage(cg, set, rmap);
      if (!best || coverage > best.coverage) best = { set, coverage };
    }
    if (!best || best.coverage === 0)
      throw new InputError(
        'no bundled mapping set knows the residue and bead names of this CG structure (give a mapping with --mapping, or a residue name map)',
        cg.source,
        cg.atoms.sourceLine[0] || undefined,
      );
    return best;
  };
  if (want === 'template') {
    const set = explicitSet ?? bestBundled().set;
    return { kind: 'template', modelId: 'template', set, note: 'template backmapper requested' };
  }
  const cards = safeListModels();
  if (want !== 'auto') {
    let card = cards.find((c) => c.id === want);
    if (!card && (/\.onnx$/i.test(want) || /[\\/]/.test(want))) card = resolveModel(want).card as unknown as CardLike; // throws InputError naming the path
    if (card) {
      // The runner re-checks that the model was trained for this mapping (hash) when it predicts.
      const set = explicitSet ?? cachedSet(cardMapping(card));
      return { kind: 'model', modelId: want, card, set, note: `model ${card.id} requested (mapping '${set.id}')` };
    }
    throw new InputError(`unknown model '${want}' (shipped: ${cards.map((c) => c.id).join(', ') || 'none'}; or 'template', 'auto', a .onnx path)`, cg.source);
  }
  // auto: the shipped model whose mapping knows most of the input.
  let best: { card: CardLike; set: MappingSet; coverage: number } | undefined;
  for (const card of cards) {
    let set: MappingSet;
    try {
      set = cachedSet(cardMapping(card));
    } catch {
      continue;
    }
    if (explicitSet && set.id !== explicitSet.id) continue;
    const coverage = mappingCoverage(cg, set, rmap);
    if (coverage > 0 && (!best || coverage > best.coverage)) best = { card, set, coverage };
  }
  if (best) {
    const onnx = (best.card as { onnxPath?: string }).onnxPath;
    if (onnx && !existsSync(onnx)) {
      return {
        kind: 'template',
        modelId: 'template',
        set: best.set,
        note: `model ${best.card.id} matches mapping '${best.set.id}' but its file ${onnx} is missing: template backmapper used`,
      };
    }
    return {
      kind: 'model',
      modelId: best.card.id,
      card: best.card,
      set: best.set,
      note: `auto: ${best.card.id} (mapping '${best.set.id}' knows ${(best.coverage * 100).toFixed(1)} % of the CG particles)`,
    };
  }
  const fallback = explicitSet ? { set: explicitSet, coverage: mappingCoverage(cg, explicitSet, rmap) } : bestBundled();
  return {
    kind: 'template',
    modelId: 'template',
    set: fallback.set,
    note: `auto: no shipped model for mapping '${fallback.set.id}'${missingModelFiles(fallback.set.id)}; template backmapper used (mapping knows ${(fallback.coverage * 100).toFixed(1)} % of the CG particles)`,
  };
}

// ------------------------------------------------------------------------------------------ inference

/** A loaded backmapper: a model session (reused across frames) or the template. */
export interface Backmapper {
  choice: ModelChoice;
  provider: string;
  attempts: ProviderAttempt[];
  runner: ModelRunner | null;
  release(): Promise<void>;
}

type RunnerAttempt = { provider?: string; device?: string; ok: boolean; reason?: string };
const toAttempts = (list: RunnerAttempt[] | undefined): ProviderAttempt[] =>
  (list ?? []).map((a) => ({ device: (a.device ?? a.provider ?? 'cpu') as ProviderAttempt['device'], ok: a.ok, reason: a.reason ? conciseReason(new Error(a.reason)) : '' }));

/**
 * Opens the model session. `auto` is the runner's own order (CUDA when its library is installed, WebGPU, DirectML
 * on Windows, CoreML on macOS, then CPU). An explicit device that cannot run here falls back to CPU with the
 * reason recorded (documented behaviour), or throws `ProviderUnavailableError` with `strict`.
 */
export async function loadBackmapper(choice: ModelChoice, device: Device, opts: { strict?: boolean; log?: (m: string) => void } = {}): Promise<Backmapper> {
  if (choice.kind === 'template') return { choice, provider: 'js', attempts: [], runner: null, release: async () => {} };
  let runner: ModelRunner;
  let attempts: ProviderAttempt[] = [];
  try {
    runner = await ModelRunner.load(choice.modelId, { device });
  } catch (e) {
    const noProvider = e instanceof InputError && /no execution provider could run/.test(e.message);
    if (!noProvider || device === 'cpu' || device === 'auto') throw e;
    const reason = e.message.replace(/^.*no execution provider could run the model \((.*)\)$/s, '$1');
    if (opts.strict) throw new ProviderUnavailableError(device, reason);
    opts.log?.(`provider ${device} unavailable (${reason}); falling back to cpu`);
    attempts = [{ device, ok: false, reason: conciseReason(new Error(reason.replace(new RegExp(`^${device}: `), ''))) }];
    runner = await ModelRunner.load(choice.modelId, { device: 'cpu' });
  }
  attempts = [...attempts, ...toAttempts((runner as unknown as { attempts?: RunnerAttempt[] }).attempts)];
  const skipped = attempts.filter((a) => !a.ok).map((a) => `${a.device}: ${a.reason}`);
  opts.log?.(`model ${choice.modelId} runs on ${runner.provider}${skipped.length ? ` (not used: ${skipped.join('; ')})` : ''}`);
  if (!choice.card) choice.card = runner.card as unknown as CardLike;
  return {
    choice,
    provider: runner.provider,
    attempts,
    runner,
    release: async () => {
      await runner.release();
    },
  };
}

const sessionCache = new Map<string, Backmapper>();

/** A backmapper kept open across calls (one per model + device); `release()` on it is a no-op. */
export async function cachedBackmapper(choice: ModelChoice, device: Device, opts: { strict?: boolean; log?: (m: string) => void } = {}): Promise<Backmapper> {
  if (choice.kind === 'template') return loadBackmapper(choice, device, opts);
  const key = `${choice.modelId}\u0000${device}\u0000${opts.strict ? 1 : 0}`;
  let bm = sessionCache.get(key);
  if (!bm) {
    bm = await loadBackmapper(choice, device, opts);
    sessionCache.set(key, bm);
  } else opts.log?.(`reusing the ${bm.provider} session of ${choice.modelId}`);
  return { ...bm, choice: { ...choice, card: choice.card ?? bm.choice.card }, release: async () => {} };
}

/** Closes every cached model session. */
export async function releaseCachedSessions(): Promise<void> {
  const all = [...sessionCache.values()];
  sessionCache.clear();
  for (const bm of all) await bm.release();
}

const openBackmapper = (choice: ModelChoice, opts: BackmapOptions) =>
  (opts.cacheSession ? cachedBackmapper : loadBackmapper)(choice, opts.device ?? 'auto', { strict: opts.strictDevice, log: opts.log });

/** Vectors (and torsions) for the whole system, in chunks of at most `chunkSize` beads (halo included) when it is larger. */
export async function inferVectors(
  bm: Backmapper,
  system: CgSystem,
  chunkSize: number,
  hooks: Hooks = {},
  timings: Record<string, number> = {},
): Promise<{ vectors: Float32Array; torsions: Float32Array | null; chunks: number }> {
  const R = system.set.maxSlots;
  const n = system.beads.length;
  const run = async (sys: CgSystem): Promise<{ vectors: Float32Array; torsions: Float32Array | null }> => {
    let t = now();
    if (!bm.runner) {
      const vectors = templateVectors(sys);
      timings.inference = (timings.inference ?? 0) + now() - t;
      return { vectors, torsions: null };
    }
    // The contract's inputs are built here (not in predict) so that graph and inference are timed apart.
    const runner = bm.runner;
    runner.checkSystem(sys);
    const m = sys.beads.length;
    if (!m) return { vectors: new Float32Array(0), torsions: null };
    const types = new BigInt64Array(m);
    const res = new Int32Array(m);
    const chain = new Int32Array(m);
    for (let i = 0; i < m; i++) {
      const b = sys.beads[i];
      types[i] = BigInt(b.typeId);
      res[i] = b.residue;
      chain[i] = sys.residues[b.residue].chainIndex;
    }
    const card = runner.card;
    const g = buildGraph(sys.coords.subarray(0, 3 * m), res, chain, card.cutoff, card.K, sys.set.folder || sys.set.id);
    timings.graph = (timings.graph ?? 0) + now() - t;
    t = now();
    const T = loadOrt().Tensor;
    const out = await runner.runRaw({
      pos: new T('float32', Float32Array.from(sys.coords.subarray(0, 3 * m)), [m, 3]),
      bead_type: new T('int64', types, [m]),
      nbr: new T('int64', g.nbr, [m, g.k]),
      nbr_mask: new T('float32', g.mask, [m, g.k]),
      res_offset: new T('int64', g.resOffset, [m, g.k]),
    });
    timings.inference = (timings.inference ?? 0) + now() - t;
    const vectors = out.vectors.data as Float32Array;
    if (vectors.length !== m * R * 3) throw new Error(`model returned ${vectors.length} vector values for ${m} beads × ${R} slots`);
    return { vectors, torsions: out.torsions ? (out.torsions.data as Float32Array) : null };
  };
  if (!chunkSize || n <= chunkSize) {
    hooks.progress?.('inference', 0);
    const r = await run(system);
    hooks.progress?.('inference', 1);
    return { ...r, chunks: 1 };
  }
  const residueOf = new Int32Array(n);
  const chainOf = new Int32Array(n);
  system.beads.forEach((b, i) => {
    residueOf[i] = b.residue;
    chainOf[i] = system.residues[b.residue].chainIndex;
  });
  const residueBeads = system.residues.map((r) => Int32Array.from(r.beads));
  const isModel = !!bm.runner;
  const chunks = planChunks(system.coords, {
    coreBeads: chunkSize,
    // The model's memory follows the beads it sees at once, halo included.
    maxBeads: chunkSize,
    halo: isModel ? receptiveField(bm.choice.card ?? { id: '' }) : TEMPLATE_SPATIAL_REACH,
    residueOf,
    chainOf,
    residueBeads,
    // model: the res_offset clamp (3); template: the residues it reads on either side
    sequenceReach: isModel ? 3 : TEMPLATE_SEQUENCE_REACH,
  });
  const vectors = new Float32Array(n * R * 3);
  let torsions: Float32Array | null = null;
  for (let c = 0; c < chunks.length; c++) {
    checkAbort(hooks.signal);
    const { core, beads } = chunks[c];
    const { system: sub } = subSystem(system, beads);
    const out = await run(sub);
    if (out.torsions && !torsions) torsions = new Float32Array(n * 4);
    // chunk-local index of each core bead (both lists ascending)
    let k = 0;
    for (const g of core) {
      while (beads[k] !== g) k++;
      vectors.set(out.vectors.subarray(k * R * 3, (k + 1) * R * 3), g * R * 3);
      if (out.torsions && torsions) torsions.set(out.torsions.subarray(k * 4, k * 4 + 4), g * 4);
    }
    hooks.progress?.('inference', (c + 1) / chunks.length);
    await yieldToLoop();
  }
  return { vectors, torsions, chunks: chunks.length };
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

function refineSettings(value: BackmapSettings['refine'], defaultOn: boolean): RefineSettings {
  if (value === undefined) return { backbone: defaultOn, clashes: defaultOn, sidechains: false };
  if (typeof value === 'boolean') return { backbone: value, clashes: value, sidechains: false };
  return { backbone: value.backbone ?? defaultOn, clashes: value.clashes ?? defaultOn, sidechains: value.sidechains ?? false };
}

// ------------------------------------------------------------------------------------------ one structure

interface Prepared {
  choice: ModelChoice;
  system: CgSystem;
  unknown: UnknownResidue[];
}

function prepare(input: Structure, opts: BackmapOptions): Prepared {
  if (!input.atoms.count) throw new InputError('the CG structure has no particles', input.source);
  const choice = chooseModel(input, opts);
  const { system, unknown } = assignCg(input, choice.set, { residueNameMap: opts.residueNameMap, partial: opts.partial ?? true });
  return {
    choice,
    system,
    unknown: unknown.map((u) => ({ resName: u.resName, bead: u.bead, chainId: u.chainId, resSeq: u.resSeq, file: u.file, line: u.line })),
  };
}

/** Backmaps one frame's bead coordinates (already in `system.coords`). */
async function backmapSystem(
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

function metricsOf(structure: Structure, reference: Structure | undefined, report: BackmapReport): void {
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

function emptyReport(input: Structure, choice: ModelChoice, bm: Backmapper | null, unknown: UnknownResidue[], refine: RefineSettings): BackmapReport {
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

const DEFAULT_CHUNK = 20000;

/**
 * Backmaps one CG structure (model 0 of a multi-model input). Refinement is off by default for a single
 * structure (`refine: true` or per part to enable) and on by default for trajectories.
 */
export async function backmapStructure(input: Structure, opts: BackmapOptions = {}, hooks: Hooks = {}): Promise<BackmapOutput> {
  const timings: Record<string, number> = {};
  if (opts.parseMs !== undefined) timings.parse = opts.parseMs;
  checkAbort(hooks.signal);
  let t = now();
  hooks.progress?.('assign', 0);
  const { choice, system, unknown } = prepare(input, opts);
  timings.assign = now() - t;
  hooks.progress?.('assign', 1);
  checkAbort(hooks.signal);
  t = now();
  hooks.progress?.('model', 0);
  const bm = await openBackmapper(choice, opts);
  timings.model = now() - t;
  hooks.progress?.('model', 1);
  try {
    checkAbort(hooks.signal);
    const refine = refineSettings(opts.refine, false);
    const res = await backmapSystem(bm, system, refine, opts.chunkSize ?? DEFAULT_CHUNK, timings, hooks, () => bm.release());
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

/** Reads a file and backmaps it; the read time is reported as the parse stage. */
export async function backmapFile(path: string, opts: BackmapOptions = {}, hooks: Hooks = {}): Promise<BackmapOutput> {
  const t = now();
  hooks.progress?.('parse', 0);
  const input = readStructureFile(path);
  return backmapStructure(input, { ...opts, parseMs: now() - t }, hooks);
}

// ------------------------------------------------------------------------------------------ all-atom → CG

export interface MapToCgOptions {
  chain?: string;
  residueNameMap?: Record<string, string>;
}

/** In-process "Map all-atom structure to CG…": the CG structure plus the forward report. */
export function mapStructureToCg(aa: Structure, mapping: string | MappingSet, opts: MapToCgOptions = {}) {
  const set = typeof mapping === 'string' ? cachedSet(mapping) : mapping;
  const t = now();
  const result = mapToCg(aa, set, opts);
  return { cg: result.cg, system: result.system, report: result.report, mappingId: set.id, ms: now() - t };
}

// ------------------------------------------------------------------------------------------ trajectories

export interface TrajectoryOptions extends BackmapOptions {
  /** CG topology (PDB/GRO/CIF); its models are the frames when `trajectory` is absent. */
  topology: string | Structure;
  /** XTC/TRR/DCD of the CG system (natoms must equal the topology's). */
  trajectory?: string;
  /** Output: .pdb → multi-model PDB; .xtc/.trr/.dcd → binary trajectory plus `<out>.topology.pdb`. */
  out: string;
  format?: 'pdb' | 'xtc' | 'trr' | 'dcd';
  force?: boolean;
  maxFrames?: number;
  stride?: number;
}

export interface TrajectoryResult {
  frames: number;
  framesPerSecond: number;
  seconds: number;
  out: string;
  topologyOut?: string;
  /** Report of the first frame (with metrics); timings summed over all frames. */
  report: BackmapReport;
}

function outFormatOf(path: string, format?: TrajectoryOptions['format']): 'pdb' | 'xtc' | 'trr' | 'dcd' {
  if (format) return format;
  const ext = extname(path).toLowerCase().slice(1);
  if (ext === 'pdb' || ext === 'xtc' || ext === 'trr' || ext === 'dcd') return ext;
  throw new InputError(`cannot tell the trajectory output format from '${path}' (use .pdb, .xtc, .trr or .dcd)`, path);
}

type TrajectoryModule = typeof import('../core/trajectory/index');

/** Number of frames when it is cheap to know (multi-model input, or the XTC frame index), else null. */
function frameCount(top: Structure, trajectory: string | undefined, io: TrajectoryModule | null): number | null {
  if (!trajectory) return top.models.length;
  try {
    if (io && /\.xtc$/i.test(trajectory)) return io.countXtcFrames(trajectory);
  } catch {
    // counting is only for progress; the reader reports real problems
  }
  return null;
}

/** Frames of a multi-model topology or of a binary trajectory, one at a time. */
function* frameSource(top: Structure, trajectory: string | undefined, io: TrajectoryModule | null): Generator<Frame> {
  if (!trajectory) {
    for (let m = 0; m < top.models.length; m++) yield { index: m, time: 0, step: m, coords: top.models[m], box: top.box };
    return;
  }
  const reader = io!.openTrajectory(trajectory);
  try {
    if (reader.natoms !== top.atoms.count)
      throw new InputError(`trajectory has ${reader.natoms} particles but the topology ${top.source} has ${top.atoms.count}`, trajectory);
    for (let f = reader.next(); f; f = reader.next()) yield f;
  } finally {
    reader.close();
  }
}

function protectedPaths(opts: TrajectoryOptions): string[] {
  return [typeof opts.topology === 'string' ? opts.topology : '', opts.trajectory ?? ''].filter(Boolean);
}

/**
 * Backmaps every frame (reusing the model session and the CG assignment) and streams the result to a
 * multi-model PDB or a binary trajectory (+ topology PDB). Refinement is on by default (real simulation frames).
 */
export async function backmapTrajectory(opts: TrajectoryOptions, hooks: Hooks = {}): Promise<TrajectoryResult> {
  const t0 = now();
  const timings: Record<string, number> = {};
  let t = now();
  const top = typeof opts.topology === 'string' ? readStructureFile(opts.topology) : opts.topology;
  timings.parse = now() - t;
  const format = outFormatOf(opts.out, opts.format);
  // Loaded on use: multi-model PDB in and out never needs the binary trajectory codecs.
  const io: TrajectoryModule | null = opts.trajectory || format !== 'pdb' ? await import('../core/trajectory/index') : null;
  const protect = protectedPaths(opts);
  // The same checks as structure outputs: an input reached through a symlink or another spelling is caught too.
  assertWritable(opts.out, { force: opts.force, protect });
  t = now();
  const { choice, system, unknown } = prepare(top, opts);
  timings.assign = now() - t;
  t = now();
  const bm = await openBackmapper(choice, opts);
  timings.model = now() - t;
  const refine = refineSettings(opts.refine, true);
  const stride = Math.max(1, opts.stride ?? 1);
  const maxFrames = opts.maxFrames ?? Infinity;
  let frames = 0;
  let firstReport: BackmapReport | null = null;
  let topologyOut: string | undefined;
  // Multi-model PDB output: streamed through a fixed buffer into a file renamed into place at the end.
  let pdbOut: { file: OutputFile; w: ByteWriter } | null = null;
  let writer: { write(frame: Frame): void; close(): void; abort?(): void } | null = null;
  let failed = true;
  const stride0 = Math.max(1, opts.stride ?? 1);
  const available = frameCount(top, opts.trajectory, io);
  const total = Math.min(opts.maxFrames ?? Infinity, available === null ? Infinity : Math.ceil(available / stride0));
  let chunks = 0;
  const sources = system.beads.map((b) => b.source);
  try {
    let seen = 0;
    for (const frame of frameSource(top, opts.trajectory, io)) {
      if (frames >= maxFrames) break;
      if (seen++ % stride) continue;
      checkAbort(hooks.signal);
      const fc = frame.coords;
      for (let b = 0; b < sources.length; b++) {
        const s = sources[b];
        const x = fc[3 * s];
        const y = fc[3 * s + 1];
        const z = fc[3 * s + 2];
        if (!Number.isFinite(x) || !Number.isFinite(y) || !Number.isFinite(z))
          throw new InputError(`frame ${frame.index + 1}: particle ${s + 1} has non-finite coordinates`, opts.trajectory ?? top.source);
        system.coords[3 * b] = x;
        system.coords[3 * b + 1] = y;
        system.coords[3 * b + 2] = z;
      }
      const res = await backmapSystem(bm, system, refine, opts.chunkSize ?? DEFAULT_CHUNK, timings, {});
      chunks = Math.max(chunks, res.chunks);
      if (!firstReport) {
        firstReport = emptyReport(top, choice, bm, unknown, refine);
        firstReport.refine = { ...res.refine, enabled: refine };
        if (!opts.skipMetrics) {
          t = now();
          metricsOf(res.structure, opts.reference, firstReport);
          timings.metrics = now() - t;
        }
        firstReport.counts = { beads: system.beads.length, residues: system.residues.length, atoms: res.structure.atoms.count, inputParticles: top.atoms.count, chunks };
      }
      t = now();
      if (format === 'pdb') {
        if (!pdbOut) {
          const file = new OutputFile(opts.out);
          pdbOut = { file, w: new ByteWriter(1 << 22, file.sink) };
        }
        writePdb(pdbOut.w, res.structure, { models: [res.structure.coords], model: frames + 1 });
      } else {
        if (!writer) {
          writer = io!.createTrajectoryWriter(opts.out, res.structure.atoms.count, format, { force: opts.force, protect });
          topologyOut = opts.out.replace(/\.[^.]+$/, '') + '.topology.pdb';
          writeStructureFile(topologyOut, res.structure, { force: opts.force, protect });
        }
        writer!.write({ index: frames, time: frame.time, step: frame.step, coords: res.structure.coords, box: frame.box });
      }
      timings.write = (timings.write ?? 0) + now() - t;
      frames++;
      // Unknown length: a fraction that approaches 1 without reaching it.
      const fraction = Number.isFinite(total) ? frames / total : frames / (frames + 100);
      hooks.progress?.('frames', fraction, `frame ${frames}${Number.isFinite(total) ? ` of ${total}` : ''}`);
      await yieldToLoop();
    }
    if (pdbOut) {
      pdbOut.w.str('END\n');
      pdbOut.w.flush();
      pdbOut.file.commit();
    }
    failed = false;
  } finally {
    // A failed or cancelled run leaves no half-written PDB or binary trajectory behind.
    if (pdbOut && failed) pdbOut.file.discard();
    if (writer) {
      if (failed && writer.abort) writer.abort();
      else writer.close();
    }
    await bm.release();
  }
  if (!frames || !firstReport) throw new InputError('no frames to backmap', opts.trajectory ?? top.source);
  const seconds = (now() - t0) / 1000;
  firstReport.timings = timings;
  firstReport.notes.push(`${frames} frames, ${(frames / seconds).toFixed(2)} frames/s`);
  return { frames, framesPerSecond: frames / seconds, seconds, out: opts.out, topologyOut, report: firstReport };
}
