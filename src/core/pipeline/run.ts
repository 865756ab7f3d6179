/**
 * Running a plan: inference through the Backmapper (spatially chunked) → reconstruct → refine → metrics → report.
 * `backmapStructure` is what the CLI, the inference worker (editor), the demo and the benchmarks run.
 */
import { CancelledError } from '../errors';
import type { Structure } from '../structure/types';
import { residuesOf } from '../structure/builder';
import type { CgSystem } from '../cg';
import { reconstruct } from '../reconstruct';
import { bondAngleStats, bondGraphEditDistance, caRmsd, clashReport, compareStructures, hasPeptideBackbone, matchStructureResidues, ramachandranAgreement, ramachandranOutliers } from '../metrics';
import { openBackmapper, type Backmapper, type Prediction } from '../model/backmapper';
import { DEFAULT_CHUNK_SIZE, inferVectors } from '../model/chunking';
import { modelMoleculeKinds, type HydrogenTemplate } from '../model/contract';
import { placeTemplateHydrogens } from '../ligand-hydrogens';
import { relaxMoleculeBonds } from '../molecule-template';
import { minimiseSummary, minimiseWithForceField, type ForceFieldMinimiseOptions } from '../refine/forcefield';
import { refineStructure, type RefineReport } from '../refine';
import { choiceName, groupSystem, planBackmap, type BackmapPlan, type ModelChoice } from './plan';
import { addHydrogens, hydrogenSummary, type HydrogenReport, type ProtonationPlan } from '../hydrogens';
import {
  HYDROGENS_DEFAULT,
  refineSettings,
  type BackmapOptions,
  type BackmapOutput,
  type BackmapReport,
  type Hooks,
  type ModelUse,
  type MoleculeClass,
  type RefineSettings,
  type UnknownResidue,
} from './options';
import { subSystem } from '../model/chunking';
import { StructureBuilder } from '../structure/builder';
import { AMINO_ACID_NAMES } from '../chemistry/variants';
import { WATER_OUTPUT } from '../chemistry/solvent';
import { countSystem, moleculeTable, soluteClass } from './molecules';
import { rectangularBoxLengths, wrapIntoBox } from './pbc';
import { placeWaters } from './solvent';

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
  const structure = reconstruct(system, prediction.vectors, prediction.centres);
  const torsions = prediction.torsions ? residueTorsions(system, prediction.torsions, structure) : null;
  const report = refine.backbone || refine.clashes || refine.sidechains ? refineStructure(structure, { ...refine, torsions }) : {};
  return { structure, torsions, refine: report };
}

/** Whether a run has a hydrogen step: hydrogens on (the default), or force-field names asked for. */
export function hydrogensApply(opts: BackmapOptions): boolean {
  return (opts.hydrogens ?? HYDROGENS_DEFAULT) || opts.names !== undefined;
}

/** Whether a run minimises: asked for, with hydrogens (without them the force field would hold every residue). */
export function minimiseApplies(opts: BackmapOptions): boolean {
  return !!opts.minimise && (opts.hydrogens ?? HYDROGENS_DEFAULT);
}

/** The report's note when the minimisation was asked for without hydrogens. */
export const MINIMISE_NEEDS_HYDROGENS = 'no force-field minimisation: it needs the hydrogens, which were not asked for';

/** The force-field minimisation's options of a run (`opts.minimise`): the run's naming, the caller's tether and steps. */
export function minimiseSettings(opts: BackmapOptions): ForceFieldMinimiseOptions {
  return { names: opts.names ?? 'charmm', ...(typeof opts.minimise === 'object' ? opts.minimise : {}) };
}

/**
 * The hydrogen step of every run (one structure, each frame of a trajectory, a chain's last stage): hydrogens and
 * force-field names on the heavy-atom output, with `plan` (a first frame's decisions) when given; null when the run
 * has none (`hydrogensApply`). After the metrics, which are heavy-atom only and read the engine's names.
 */
export function hydrogenStep(
  structure: Structure,
  opts: BackmapOptions,
  plan?: ProtonationPlan,
  templates?: Record<string, HydrogenTemplate[]>,
): { structure: Structure; report: HydrogenReport; plan: ProtonationPlan } | null {
  if (!hydrogensApply(opts)) return null;
  const withH = opts.hydrogens ?? HYDROGENS_DEFAULT;
  const r = addHydrogens(structure, { hydrogens: withH, ph: opts.ph, names: opts.names, plan });
  if (!withH || !templates || !Object.keys(templates).length) return r;
  // Molecules of the user's models (ligands): their hydrogens as measured on the training frames (after the protein
  // step, so residues that already have hydrogens are left alone).
  const t = placeTemplateHydrogens(r.structure, templates, { residueNameMap: opts.residueNameMap });
  r.report.added += t.report.added;
  r.report.templated += t.report.residues;
  r.report.missing += t.report.missing;
  return { ...r, structure: t.structure };
}

/** Hydrogen templates in the cards of the models a plan runs (`backmap train` measures them on its frames). */
export function planHydrogenTemplates(plan: Pick<BackmapPlan, 'choice' | 'groups'>): Record<string, HydrogenTemplate[]> {
  const out: Record<string, HydrogenTemplate[]> = {};
  for (const c of [plan.choice, ...plan.groups.map((g) => g.choice)]) Object.assign(out, c.card?.hydrogens ?? {});
  return out;
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
  // A model predicts each bead of a lipid or sterol on its own: pull the bonds between its beads' atoms to the
  // molecule template's lengths (without it 30-50 % of tail C-C bonds fall outside 1.28-1.70 Å; docs/experiments.md).
  if (bm.kind === 'model' && bm.card && modelMoleculeKinds(bm.card).some((k) => k === 'lipid' || k === 'sterol')) relaxMoleculeBonds(system, inf.vectors);
  // A one-off backmap closes its session here: onnxruntime's arena is then freed before the all-atom structure is
  // built, so the peak is the larger of the two phases, not their sum.
  await afterInference?.();
  checkAbort(hooks.signal);
  let t = now();
  hooks.progress?.('rebuild', 0);
  const structure = reconstruct(system, inf.vectors, inf.centres);
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

/** Geometry checks of the output, and against the reference when there is one: RMSDs, Cα RMSD, bond-graph edit distance, Ramachandran agreement. */
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
    // One residue matching for every comparison (the alignment is the costly part when numbering differs).
    const matching = matchStructureResidues(structure, reference);
    const m = compareStructures(structure, reference, { matching });
    report.rmsd = { bb: m.rmsd_bb, sc: m.rmsd_sc, all: m.rmsd_all, matched: m.matched, perResidue: m.perResidue, residueMatch: m.residueMatch };
    const ca = caRmsd(structure, reference, { matching });
    const rama = ramachandranAgreement(structure, reference, { matching });
    // The bond graph needs a backbone on both sides (a C-alpha trace has no bonds to compare).
    const backbone = hasPeptideBackbone(structure) && hasPeptideBackbone(reference);
    report.comparison = {
      rmsdCa: ca.rmsd,
      ...(ca.superposed !== undefined ? { rmsdCaSuperposed: ca.superposed } : {}),
      caMatched: ca.matched,
      gedNormalized: backbone ? bondGraphEditDistance(structure, reference, { matching }).normalized : NaN,
      ramaAgreement: rama.agreement,
      ramaResidues: rama.residues,
    };
  }
}

export function emptyReport(input: Structure, choice: ModelChoice, bm: Backmapper | null, unknown: UnknownResidue[], refine: RefineSettings): BackmapReport {
  return {
    input: input.source,
    provider: bm?.provider ?? 'js',
    providerAttempts: bm?.attempts ?? [],
    modelId: choiceName(choice),
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
 * Output atom range of each residue of `system` in a structure reconstructed from it (residue order is kept;
 * a residue no bead predicted has an empty range).
 */
export function residueAtomRanges(structure: Structure, system: CgSystem): Int32Array {
  const a = structure.atoms;
  const res = system.residues;
  const ranges = new Int32Array(2 * res.length);
  let i = 0;
  for (let k = 0; k < res.length; k++) {
    const r = res[k];
    ranges[2 * k] = i;
    while (i < a.count && a.chainId[i] === r.chainId && a.resSeq[i] === r.resSeq && a.iCode[i] === r.iCode && a.resName[i] === r.resName) i++;
    ranges[2 * k + 1] = i;
  }
  return ranges;
}

/** Molecule of each residue for putting molecules back in the box: protein chain segments, else the residue. */
function moleculeOfResidues(system: CgSystem): Int32Array {
  const out = new Int32Array(system.residues.length);
  const chainMol = new Map<number, number>();
  let next = 0;
  system.residues.forEach((r, k) => {
    if (AMINO_ACID_NAMES.has(r.molecule.name) || AMINO_ACID_NAMES.has(r.resName)) {
      let m = chainMol.get(r.chainIndex);
      if (m === undefined) chainMol.set(r.chainIndex, (m = next++));
      out[k] = m;
    } else out[k] = next++;
  });
  return out;
}

/**
 * Puts molecules back in the box, whole, with their centre inside: the ones that were made whole (their beads moved
 * from the input's positions), and with `every` all of them, as GROMACS writes a wrapped system (whole systems,
 * where mdrun leaves whole molecules with their centre outside). A protein alone keeps its place: a crystal
 * structure's CRYST1 is a unit cell, not a simulation box. `input`: the coordinates the beads were read from (a
 * frame's, as read) and the box; `ranges` gives each system residue's atoms in `out`.
 * Returns how many molecules had been made whole.
 */
export function putBackInBox(input: { coords: ArrayLike<number>; box: Structure['box'] }, system: CgSystem, out: Structure, ranges: Int32Array, every = false): number {
  const L = rectangularBoxLengths(input.box);
  if (!L) return 0;
  const molOf = moleculeOfResidues(system);
  const moved = new Set<number>();
  system.residues.forEach((r, k) => {
    for (const b of r.beads) {
      const src = system.beads[b].source;
      for (let c = 0; c < 3; c++) if (Math.abs(system.coords[3 * b + c] - input.coords[3 * src + c]) > 1e-6) moved.add(molOf[k]);
    }
  });
  if (!moved.size && !every) return 0;
  const atoms = new Map<number, number[]>();
  system.residues.forEach((_, k) => {
    if (!every && !moved.has(molOf[k])) return;
    let l = atoms.get(molOf[k]);
    if (!l) atoms.set(molOf[k], (l = []));
    for (let i = ranges[2 * k]; i < ranges[2 * k + 1]; i++) l.push(i);
  });
  for (const idx of atoms.values()) wrapIntoBox(out.coords, idx, L);
  return moved.size;
}

/** Residues, atoms and molecules of a whole-system backmap. */
export interface WholeResult {
  structure: Structure;
  chunks: number;
  refine: RefineReport;
  provider: Backmapper | null;
  watersOut: number;
  crowded: number;
  wrapped: number;
  notes: string[];
}

/**
 * Whole systems: each group of the plan through its own backmapper (chunked), then ions on their beads and waters
 * placed around theirs clear of every solute heavy atom, merged in input order with chain ids, residue numbers
 * (waters numbered on from their first bead's) and the box kept; molecules made whole are put back in the box.
 */
export async function backmapWhole(
  input: Structure,
  plan: BackmapPlan,
  opts: BackmapOptions,
  refine: RefineSettings,
  timings: Record<string, number>,
  hooks: Hooks,
  // Trajectories open each group's backmapper once for every frame (their release is then the caller's).
  open: (choice: ModelChoice) => Promise<Backmapper> = (choice) => openChosen(choice, opts),
): Promise<WholeResult> {
  const { system } = plan;
  const chunkSize = opts.chunkSize ?? DEFAULT_CHUNK_SIZE;
  const notes: string[] = [];
  // Blocks of output atoms keyed by the input index of their first particle, merged in that order.
  interface Block {
    key: number;
    from?: { structure: Structure; start: number; end: number };
    /** Output residue name where it differs from the input's (a lipid or sterol written under its CHARMM36 name). */
    resName?: string;
    ion?: number;
    water?: number;
  }
  const blocks: Block[] = [];
  // Per system (the plan's, and those of groups of other mapping sets): the block of each residue.
  const residueBlock = new Map<CgSystem, Int32Array>();
  const blockOf = (s: CgSystem) => residueBlock.get(s) ?? residueBlock.set(s, new Int32Array(s.residues.length).fill(-1)).get(s)!;
  let chunks = 0;
  let refineReport: RefineReport = {};
  let provider: Backmapper | null = null;
  for (const group of plan.groups) {
    checkAbort(hooks.signal);
    const t = now();
    const bm = await open(group.choice);
    timings.model = (timings.model ?? 0) + now() - t;
    if (!provider || (provider.kind === 'template' && bm.kind === 'model')) provider = bm;
    try {
      const gs = groupSystem(plan, group);
      const whole = group.residues.length === gs.residues.length;
      let sub = gs;
      if (!whole) {
        const beads: number[] = [];
        for (const r of group.residues) beads.push(...gs.residues[r].beads);
        beads.sort((x, y) => x - y);
        sub = subSystem(gs, Int32Array.from(beads)).system;
      }
      const res = await backmapSystem(bm, sub, refine, chunkSize, timings, hooks, () => bm.release());
      chunks += res.chunks;
      // The first group's refinement is reported (the protein's, when there is one).
      if (group === plan.groups[0]) refineReport = res.refine;
      if (plan.groups.length > 1) notes.push(`${choiceName(group.choice)}: ${group.residues.length} residue(s)`);
      const ranges = residueAtomRanges(res.structure, sub);
      const rb = blockOf(gs);
      sub.residues.forEach((r, k) => {
        let key = Infinity;
        for (const b of r.beads) key = Math.min(key, sub.beads[b].source);
        rb[group.residues[k]] = blocks.length;
        const cls = soluteClass(r.molecule.name);
        const resName = (cls === 'lipid' || cls === 'sterol') && r.resName !== r.molecule.name ? r.molecule.name : undefined;
        blocks.push({ key, from: { structure: res.structure, start: ranges[2 * k], end: ranges[2 * k + 1] }, resName });
      });
    } finally {
      await bm.release();
    }
  }
  plan.solvent.ions.forEach((ion, k) => blocks.push({ key: ion.index, ion: k }));
  // The solute, assembled in input order, then put back in the box where molecules were made whole.
  const build = (withWater: Float64Array | null): Structure => {
    const order = blocks.slice().sort((x, y) => x.key - y.key);
    const a = input.atoms;
    const sb = new StructureBuilder(1024);
    let waterSeq = 0;
    let prevWater = false;
    let w = 0;
    for (const blk of order) {
      if (blk.from) {
        const s = blk.from.structure;
        const sa = s.atoms;
        for (let i = blk.from.start; i < blk.from.end; i++)
          sb.addAtom({ name: sa.name[i], resName: blk.resName ?? sa.resName[i], chainId: sa.chainId[i], resSeq: sa.resSeq[i], iCode: sa.iCode[i], element: sa.element[i], x: s.coords[3 * i], y: s.coords[3 * i + 1], z: s.coords[3 * i + 2] });
        prevWater = false;
      } else if (blk.ion !== undefined) {
        const { index: i, ion } = plan.solvent.ions[blk.ion];
        sb.addAtom({ name: ion.charmm, resName: ion.charmm, chainId: a.chainId[i], resSeq: a.resSeq[i], iCode: a.iCode[i], element: ion.element, x: input.coords[3 * i], y: input.coords[3 * i + 1], z: input.coords[3 * i + 2], hetero: true });
        prevWater = false;
      } else if (blk.water !== undefined && withWater) {
        const i = plan.solvent.waters[blk.water].index;
        if (!prevWater) waterSeq = a.resSeq[i];
        for (let k = 0; k < plan.solvent.waters[blk.water].water.waters; k++, w++)
          sb.addAtom({ name: WATER_OUTPUT.oxygen, resName: WATER_OUTPUT.resName, chainId: a.chainId[i], resSeq: waterSeq++, element: WATER_OUTPUT.element, x: withWater[3 * w], y: withWater[3 * w + 1], z: withWater[3 * w + 2], hetero: true });
        prevWater = true;
      }
    }
    return sb.build(input.source, '', input.box);
  };
  // Residue atom ranges in the merged solute, for putting molecules back in the box.
  const solute = build(null);
  const order = Array.from(blocks.keys()).sort((x, y) => blocks[x].key - blocks[y].key);
  const merged = order.map((k) => blocks[k]);
  const start = new Int32Array(blocks.length);
  let n = 0;
  for (const idx of order) {
    const blk = blocks[idx];
    start[idx] = n;
    n += blk.from ? blk.from.end - blk.from.start : blk.ion !== undefined ? 1 : 0;
  }
  let wrapped = 0;
  for (const s of new Set([system, ...plan.groups.map((g) => groupSystem(plan, g))])) {
    const rb = blockOf(s);
    const ranges = new Int32Array(2 * s.residues.length);
    s.residues.forEach((_, k) => {
      const b = rb[k];
      if (b < 0) return;
      const f = blocks[b].from!;
      ranges[2 * k] = start[b];
      ranges[2 * k + 1] = start[b] + f.end - f.start;
    });
    wrapped += putBackInBox(input, s, solute, ranges, true);
  }
  if (!plan.solvent.waters.length) return { structure: solute, chunks, refine: refineReport, provider, watersOut: 0, crowded: 0, wrapped, notes };
  // Waters around their beads, clear of the solute heavy atoms (periodic images near the faces included).
  const t = now();
  hooks.progress?.('solvent', 0);
  const heavy: number[] = [];
  for (let i = 0; i < solute.atoms.count; i++) if (solute.atoms.element[i] !== 'H') heavy.push(solute.coords[3 * i], solute.coords[3 * i + 1], solute.coords[3 * i + 2]);
  const W = plan.solvent.waters;
  const beads = new Float64Array(3 * W.length);
  const counts = new Int32Array(W.length);
  W.forEach((w, k) => {
    beads.set(input.coords.subarray(3 * w.index, 3 * w.index + 3), 3 * k);
    counts[k] = w.water.waters;
    blocks.push({ key: w.index, water: k });
  });
  const placed = placeWaters(beads, counts, Float64Array.from(heavy), rectangularBoxLengths(input.box));
  // The merged solute (wrapped back) replaces the per-group structures in the blocks, then the waters join.
  let k0 = 0;
  for (const blk of merged) {
    const len = blk.from ? blk.from.end - blk.from.start : blk.ion !== undefined ? 1 : 0;
    if (blk.from) blk.from = { structure: solute, start: k0, end: k0 + len };
    else if (blk.ion !== undefined) {
      blk.from = { structure: solute, start: k0, end: k0 + 1 };
      blk.ion = undefined;
    }
    k0 += len;
  }
  const structure = build(placed.oxygens);
  timings.solvent = (timings.solvent ?? 0) + now() - t;
  hooks.progress?.('solvent', 1);
  if (placed.crowded) notes.push(`${placed.crowded} water(s) could not be placed 2.2 Å from every solute heavy atom and 2.5 Å from other waters (placed at the clearest spot found)`);
  return { structure, chunks, refine: refineReport, provider, watersOut: placed.oxygens.length / 3, crowded: placed.crowded, wrapped, notes };
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
  const plan = planBackmap(input, opts);
  const { choice, system, unknown } = plan;
  timings.assign = now() - t;
  hooks.progress?.('assign', 1);
  checkAbort(hooks.signal);
  const refine = refineSettings(opts.refine, false);
  const finish = (structure: Structure, report: BackmapReport, torsions: Float32Array | null): BackmapOutput => {
    if (unknown.length) report.notes.push(`${unknown.length} CG particle(s) of residues or beads unknown to mapping '${choice.set.id}' were skipped`);
    if (!opts.skipMetrics) {
      t = now();
      hooks.progress?.('metrics', 0);
      metricsOf(structure, opts.reference, report);
      timings.metrics = now() - t;
      hooks.progress?.('metrics', 1);
    }
    // Hydrogens and force-field names after the metrics: those are heavy-atom only and read the engine's names.
    t = now();
    const prepared = hydrogenStep(structure, opts, opts.protonation, planHydrogenTemplates(plan));
    if (prepared) {
      structure = prepared.structure;
      report.hydrogens = prepared.report;
      report.counts.atoms = structure.atoms.count;
      report.notes.push(hydrogenSummary(prepared.report));
      timings.hydrogens = now() - t;
      if (minimiseApplies(opts)) {
        t = now();
        const m = minimiseWithForceField(structure, minimiseSettings(opts));
        structure = m.structure;
        report.forcefield = m.report;
        report.notes.push(minimiseSummary(m.report));
        timings.minimise = now() - t;
      }
    }
    if (opts.minimise && !minimiseApplies(opts)) report.notes.push(MINIMISE_NEEDS_HYDROGENS);
    structure.title = `backmapped from ${input.source} with ${report.modelId} (${report.mappingId})`;
    return { structure, report, torsions, ...(prepared ? { protonation: prepared.plan } : {}) };
  };
  // Proteins (and ligands) alone, one backmapper: the path every protein took before whole systems, unchanged.
  const proteinOnly = [...plan.moleculesIn.keys()].every((k) => k === 'protein' || k === 'ligand' || k === 'go-site' || k === 'unknown');
  if (plan.groups.length === 1 && !plan.groups[0].system && proteinOnly) {
    // One backmapper for every residue: the structure as reconstructed (molecules made whole go back in the box).
    t = now();
    hooks.progress?.('model', 0);
    const bm = await openChosen(choice, opts);
    timings.model = now() - t;
    hooks.progress?.('model', 1);
    try {
      checkAbort(hooks.signal);
      const res = await backmapSystem(bm, system, refine, opts.chunkSize ?? DEFAULT_CHUNK_SIZE, timings, hooks, () => bm.release());
      const report = emptyReport(input, choice, bm, unknown, refine);
      report.timings = timings;
      report.counts = { beads: system.beads.length, residues: system.residues.length, atoms: res.structure.atoms.count, inputParticles: input.atoms.count, chunks: res.chunks };
      report.refine = { ...res.refine, enabled: refine };
      const wrapped = putBackInBox(input, system, res.structure, residueAtomRanges(res.structure, system));
      if (wrapped) report.notes.push(`${wrapped} molecule(s) broken across the periodic box were made whole and put back in the box`);
      report.molecules = moleculeTable(plan.moleculesIn, outCounts(plan, system.residues.length ? countSystem(system) : new Map(), 0));
      report.models = [modelUse(choice, system.residues.length)];
      return finish(res.structure, report, res.torsions);
    } finally {
      await bm.release();
    }
  }
  const whole = await backmapWhole(input, plan, opts, refine, timings, hooks);
  return finish(whole.structure, wholeReport(input, plan, whole, refine, timings), null);
}

/** The report of a whole-system run (every group, water and ions): models used, counts, molecules per class. */
export function wholeReport(input: Structure, plan: BackmapPlan, whole: WholeResult, refine: RefineSettings, timings: Record<string, number>): BackmapReport {
  const { choice, system, unknown } = plan;
  const report = emptyReport(input, choice, whole.provider, unknown, refine);
  // The backmappers that ran (per class and mapping set), not the first choice by coverage.
  const used = [...new Set(plan.groups.map((g) => choiceName(g.choice)))];
  report.modelId = used.join(' + ') || 'none';
  report.mappingId = [...new Set([choice.set.id, ...plan.groups.map((g) => g.choice.set.id)])].join(' + ');
  if (plan.groups.length) report.modelNote = plan.groups.length === 1 ? plan.groups[0].choice.note : plan.groups.map((g) => `${choiceName(g.choice)}: ${g.choice.note}`).join('; ');
  else report.modelNote = choice.note;
  report.models = plan.groups.map((g) => modelUse(g.choice, g.residues.length));
  report.timings = timings;
  const solventBeads = plan.solvent.waters.length + plan.solvent.ions.length;
  const otherSets = plan.groups.filter((g) => g.system).map((g) => g.system!);
  report.counts = {
    beads: system.beads.length + otherSets.reduce((n, s) => n + s.beads.length, 0) + solventBeads,
    residues: system.residues.length + otherSets.reduce((n, s) => n + s.residues.length, 0) + plan.solvent.ions.length + whole.watersOut,
    atoms: whole.structure.atoms.count,
    inputParticles: input.atoms.count,
    chunks: whole.chunks,
  };
  report.refine = { ...whole.refine, enabled: refine };
  report.notes.push(...whole.notes);
  if (whole.wrapped) report.notes.push(`${whole.wrapped} molecule(s) broken across the periodic box were made whole and put back in the box`);
  const waterBeads = plan.solvent.waters.length;
  const solute = countSystem(system);
  for (const s of otherSets) for (const [c, n] of countSystem(s)) solute.set(c, (solute.get(c) ?? 0) + n);
  report.molecules = moleculeTable(plan.moleculesIn, outCounts(plan, solute, whole.watersOut), waterBeads ? { water: `water molecules (${waterBeads} CG bead(s))` } : {});
  return report;
}

/** A backmapper of the run for the report: card id, the file of a model of the user's, mapping, residues. */
function modelUse(choice: ModelChoice, residues: number): ModelUse {
  const source = choice.kind === 'template' ? 'template' : (choice.source ?? 'shipped');
  return { model: choiceName(choice), ...(source === 'folder' && choice.onnxPath ? { path: choice.onnxPath } : {}), source, mapping: choice.set.id, residues };
}

/** Molecules per class in the output: the system's residues, the ions, the waters placed. */
function outCounts(plan: BackmapPlan, solute: Map<MoleculeClass, number>, waters: number): Map<MoleculeClass, number> {
  const out = new Map(solute);
  if (plan.solvent.ions.length) out.set('ion', plan.solvent.ions.length);
  if (waters) out.set('water', waters);
  return out;
}
