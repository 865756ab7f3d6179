/**
 * Planning a run: input → mapping set → backmapper, with every input check on the way (coordinates in the wrong
 * unit, reader warnings, the mapping-warning policy, unknown residues and beads). The CLI, the inference worker
 * (editor) and the benchmarks all plan through here, so a check holds in every front end.
 *
 * Whole systems: the input is split into molecules (molecules.ts): water and ions go to solvent.ts, Go-Martini
 * virtual sites are skipped with a note, and the residues the mapping set knows are grouped by backmapper (a
 * trained model whose card knows every bead type of the molecule, else the template), each group run on its own.
 * Residues the chosen set does not know but another model's set does (a ligand model of the user's, trained with
 * `backmap train` and found in a model folder) form groups of their own, assigned with that model's set.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { InputError, type InputWarning } from '../errors';
import type { MappingSet, MoleculeMapping } from '../mapping/types';
import type { Structure } from '../structure/types';
import { residuesOf } from '../structure/builder';
import { readStructureFile, detectUnitProblem, readWarnings } from '../structure/read';
import { assignCg, resolveMolecule, type CgSystem } from '../cg';
import { subSystem } from '../model/chunking';
import { loadMappingSet, listBundledMappingSets, resolveMappingFolder, validateMappingFolder } from '../mapping/load';
import { listModelEntries, modelsRoot, resolveModel, type ModelEntry, type ModelProblem } from '../model/registry';
import { cachedSet, mappingSetOfCard } from '../model/card-mapping';
import { cardStage, type ModelCard } from '../model/contract';
import type { BackmapOptions, InputPolicy, MoleculeClass, UnknownResidue } from './options';
import { countSystem, countUnknown, selectAtoms, splitCg, GO_SITE_NAMES, type CgSplit } from './molecules';
import { AMINO_ACID_NAMES, variantGroup } from '../chemistry/variants';

// ------------------------------------------------------------------------------------------ reading inputs

/** What a structure is expected to hold: its unit check and the kind check differ. */
export type StructureKind = 'all-atom' | 'cg';

const where = (file: string, line?: number) => (line ? `${file}:${line}` : file);

/** Martini bead names (BB, SC1…) on most particles: a CG structure. */
export function looksCg(s: Structure): boolean {
  let beads = 0;
  for (let i = 0; i < s.atoms.count; i++) if (/^(BB|SC[0-9])$/.test(s.atoms.name[i])) beads++;
  return beads > 0.5 * s.atoms.count;
}

/** Backbone atoms N, C, O and several atoms per residue: an all-atom structure (no CG set names beads so). */
export function looksAllAtom(s: Structure): boolean {
  const a = s.atoms;
  let bb = 0;
  for (let i = 0; i < a.count; i++) if (a.name[i] === 'N' || a.name[i] === 'C' || a.name[i] === 'O') bb++;
  return bb > 0.15 * a.count && a.count >= 4 * residuesOf(a).length;
}

/**
 * Checks a structure the user gave: reader warnings (duplicate lines dropped, …) go to `warn`, and coordinates
 * in the wrong unit (nm in a .pdb, Å in a .gro) are refused naming the file: they would give silent garbage
 * downstream.
 */
export function checkInputStructure(s: Structure, kind: StructureKind, warn?: (w: InputWarning) => void): Structure {
  for (const w of readWarnings(s)) warn?.(w);
  const unit = detectUnitProblem(s, kind);
  if (unit) throw new InputError(unit, s.source, s.atoms.sourceLine[0] || 1);
  return s;
}

/** Reads a structure file the user gave, with the checks of `checkInputStructure`. */
export function readInputStructure(path: string, kind: StructureKind, warn?: (w: InputWarning) => void): Structure {
  return checkInputStructure(readStructureFile(path), kind, warn);
}

/** Refuses an all-atom structure given where a CG one is expected (backmap), naming the file. */
export function refuseAllAtom(cg: Structure): void {
  if (looksAllAtom(cg))
    throw new InputError(
      'this looks like an all-atom structure (atoms N, CA, C, O…): backmap expects a coarse-grained one (make it with `backmap map`)',
      cg.source,
      cg.atoms.sourceLine[0] || undefined,
    );
}

/** Refuses a CG structure given where an all-atom one is expected; `what` says what the command does. */
export function refuseCg(s: Structure, what: string): void {
  if (looksCg(s)) throw new InputError(`this is a coarse-grained structure (bead names BB, SC1…): ${what}`, s.source, s.atoms.sourceLine[0] || undefined);
}

// ------------------------------------------------------------------------------------------ mapping sets

// The one cache of bundled sets (card-mapping.ts reads cards' sets through it too).
export { cachedSet };

/**
 * A mapping set the user named, under the mapping-warning policy: a folder of theirs with warnings (validator W*,
 * X2, X3, X5, X7: HEroBM/CGmap would silently mis-map) is refused naming file:line, because the result would be
 * wrong without any visible failure; with `mappingWarnings: 'allow'` it is used and every warning goes to `warn`.
 * Errors (E*, X1, X8: CGmap would crash) are always refused. Bundled sets have no warnings (tested).
 */
export function loadMappingChecked(idOrFolder: string, policy: InputPolicy = {}, warn?: (w: InputWarning) => void): MappingSet {
  const { folder, bundled } = resolveMappingFolder(idOrFolder);
  if (bundled) return cachedSet(idOrFolder);
  const allow = policy.mappingWarnings === 'allow';
  const set = loadMappingSet(idOrFolder, { strict: !allow });
  if (allow) {
    const report = validateMappingFolder(folder);
    const warnings = [...report.folderDiagnostics, ...report.files.flatMap((f) => f.diagnostics)].filter((d) => d.severity === 'warning');
    for (const d of warnings) warn?.({ message: `${d.code} ${d.message} (may silently mis-map)`, file: d.span.file, line: d.span.line });
  }
  return set;
}

// ------------------------------------------------------------------------------------------ model choice

/** Fraction of the CG particles whose (residue, bead) names the set knows. */
export function mappingCoverage(cg: Structure, set: MappingSet, residueNameMap?: Record<string, string>, card?: ModelCard): number {
  const a = cg.atoms;
  if (!a.count) return 0;
  let known = 0;
  // With a card: only beads whose type the model was trained on count (a lipid model and a protein model share
  // the martini3 set; each card lists only its own bead types).
  const cardTypes = card ? new Set(card.beadTypes.flatMap((t) => t.split('|')).filter(Boolean)) : null;
  for (let i = 0; i < a.count; i++) {
    const rn = residueNameMap?.[a.resName[i]] ?? a.resName[i];
    const mol = set.molecules.get(rn) ?? set.molecules.get(rn.toUpperCase());
    if (mol && mol.beadIndex.has(a.name[i]) && (!card || (cardTypes!.has(`${mol.name}_${a.name[i]}`) && cardLists(card, mol.name)))) known++;
  }
  return known / a.count;
}

export interface ModelChoice {
  kind: 'model' | 'template';
  /**
   * The model as openBackmapper takes it: a shipped id or a path as asked for, the `.onnx` path of a model found in
   * a folder of the user's, or 'template'.
   */
  modelId: string;
  card?: ModelCard;
  /** The model's files: shipped (`models/`) or a model of the user's (reports name its card id and this path). */
  source?: 'shipped' | 'folder';
  onnxPath?: string;
  set: MappingSet;
  note: string;
}

/** What reports call a backmapper: the card's id (`modelId` is a path for a model of the user's), or 'template'. */
export function choiceName(choice: ModelChoice): string {
  return choice.kind === 'model' && choice.card ? choice.card.id : choice.modelId;
}

/** " (the .onnx path)" after a model of the user's in notes. */
const fromFile = (e: Pick<ModelEntry, 'source' | 'onnxPath'>) => (e.source === 'folder' ? ` (${e.onnxPath})` : '');

/**
 * The models a plan may use: shipped first, then the user's folders (`modelDirs`, BACKMAP_MODEL_PATH), each
 * model's mapping set loaded once. Problems with the user's files (a broken card, a card without its network, an
 * embedded mapping that does not load or does not match its hash) are warned once each through `warn`, never
 * dropped silently; a shipped model whose set does not load is left out as before.
 */
export interface ModelPool {
  entries: ModelEntry[];
  /** The mapping set of a model (null: it cannot be used, and a model of the user's was warned about). */
  setOf(entry: ModelEntry): MappingSet | null;
}

export function modelPool(opts: Pick<BackmapOptions, 'modelDirs' | 'warn'>): ModelPool {
  const problems: ModelProblem[] = [];
  let entries: ModelEntry[];
  try {
    // Stages of a chain that take UCG beads are run by `backmapChain`, never chosen for per-residue beads.
    entries = listModelEntries(opts.modelDirs, problems).filter((e) => cardStage(e.card).takes !== 'ucg');
  } catch {
    entries = [];
  }
  for (const p of problems) opts.warn?.({ message: p.message, file: p.file });
  const sets = new Map<ModelEntry, MappingSet | null>();
  return {
    entries,
    setOf(entry) {
      if (sets.has(entry)) return sets.get(entry)!;
      let set: MappingSet | null = null;
      try {
        set = mappingSetOfCard(entry);
      } catch (e) {
        if (entry.source === 'folder') {
          const err = e instanceof InputError ? e : null;
          opts.warn?.({ message: `${err ? err.detail : (e as Error).message}: model not used`, file: err?.file ?? entry.cardPath, line: err?.line });
        }
      }
      sets.set(entry, set);
      return set;
    },
  };
}

/** " (model card X.json is there but X.onnx is missing)" when a card for `mappingId` lacks its network file. */
function missingModelFiles(mappingId: string): string {
  const root = modelsRoot();
  if (!root) return ' (no models folder)';
  const missing: string[] = [];
  for (const f of readdirSync(root)) {
    if (!f.endsWith('.json') || existsSync(`${root}/${f.replace(/\.json$/, '.onnx')}`)) continue;
    try {
      const card = JSON.parse(readFileSync(`${root}/${f}`, 'utf8')) as Partial<ModelCard>;
      if (card.mapping?.id === mappingId) missing.push(`${f.replace(/\.json$/, '')}.onnx`);
    } catch {
      // not a card
    }
  }
  return missing.length ? ` (model card found but ${missing.join(', ')} missing from ${root})` : '';
}

/**
 * An upper bound of `mappingCoverage(cg, set, _, card)` from the card alone: the share of particles whose name is the
 * bead part of one of the card's `MOL_BEAD` type names (every split at an underscore, so a molecule name with one
 * still counts).
 */
export function cardCoverageBound(cg: Structure, card: ModelCard): number {
  const a = cg.atoms;
  if (!a.count) return 0;
  const beads = new Set<string>();
  for (const t of card.beadTypes.flatMap((x) => x.split('|')))
    for (let i = t.indexOf('_'); i >= 0; i = t.indexOf('_', i + 1)) beads.add(t.slice(i + 1));
  let n = 0;
  for (let i = 0; i < a.count; i++) if (beads.has(a.name[i])) n++;
  return n / a.count;
}

/** A model's choice record, from its entry. */
function modelChoice(entry: ModelEntry, modelId: string, set: MappingSet, note: string): ModelChoice {
  return { kind: 'model', modelId, card: entry.card, source: entry.source, onnxPath: entry.onnxPath, set, note };
}

/**
 * Picks model and mapping set for `cg` from `opts.model` ('auto' | 'template' | id | path) and `opts.mapping`.
 * `auto` weighs the shipped models and those of the user's folders (`opts.modelDirs`, BACKMAP_MODEL_PATH); a model
 * whose card carries its mapping (`mapping.files`) reads that set unless `opts.mapping` names one.
 */
export function chooseModel(cg: Structure, opts: BackmapOptions, pool?: ModelPool): ModelChoice {
  const want = opts.model ?? 'auto';
  const rmap = opts.residueNameMap;
  const explicitSet = opts.mappingSet ?? (opts.mapping ? loadMappingChecked(opts.mapping, opts.policy, opts.warn) : undefined);
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
  pool ??= modelPool(opts);
  const { entries } = pool;
  if (want !== 'auto') {
    const asPath = /\.onnx$/i.test(want) || /[\\/]/.test(want);
    // By card id (shipped first), then a model of the user's by its file name.
    let entry = asPath ? undefined : (entries.find((e) => e.card.id === want) ?? entries.find((e) => e.source === 'folder' && basename(e.onnxPath, '.onnx') === want));
    if (!entry && asPath) {
      const r = resolveModel(want); // throws InputError naming the path
      entry = { ...r, source: dirname(r.onnxPath) === modelsRoot() ? 'shipped' : 'folder' };
    }
    if (entry) {
      // The runner re-checks that the model was trained for this mapping (hash) when it predicts. A model given by
      // path reads its card's own mapping (embedded, or the bundled set it names); an error in it names the card.
      const set = explicitSet ?? mappingSetOfCard(entry);
      const modelId = asPath || entry.source === 'shipped' ? want : entry.onnxPath;
      return modelChoice(entry, modelId, set, `model ${entry.card.id}${fromFile(entry)} requested (mapping '${set.id}')`);
    }
    const mine = entries.filter((e) => e.source === 'folder').map((e) => e.card.id);
    throw new InputError(
      `unknown model '${want}' (shipped: ${entries.filter((e) => e.source === 'shipped').map((e) => e.card.id).join(', ') || 'none'}` +
        `${mine.length ? `; in your model folders: ${mine.join(', ')}` : ''}; or 'template', 'auto', a .onnx path)`,
      cg.source,
    );
  }
  // auto: the model whose mapping knows most of the input (shipped first on a tie). A model whose card's bead names
  // cannot beat the best so far is skipped before its mapping set is loaded (parsing a set is most of a one-off
  // CLI start-up).
  let best: { entry: ModelEntry; set: MappingSet; coverage: number } | undefined;
  for (const entry of entries) {
    const bound = cardCoverageBound(cg, entry.card);
    if (bound === 0 || (best && bound <= best.coverage)) continue;
    const own = pool.setOf(entry);
    if (!own) continue;
    // With --mapping: the models trained on that set (same content), or a shipped model naming it.
    if (explicitSet && own.hash !== explicitSet.hash && !(entry.source === 'shipped' && own.id === explicitSet.id)) continue;
    const set = explicitSet && own.hash === explicitSet.hash ? explicitSet : own;
    const coverage = mappingCoverage(cg, set, rmap, entry.card);
    if (coverage > 0 && (!best || coverage > best.coverage)) best = { entry, set, coverage };
  }
  if (best) {
    const { entry, set, coverage } = best;
    return modelChoice(
      entry,
      entry.source === 'shipped' ? entry.card.id : entry.onnxPath,
      set,
      `auto: ${entry.card.id}${fromFile(entry)} (mapping '${set.id}' knows ${(coverage * 100).toFixed(1)} % of the CG particles)`,
    );
  }
  const fallback = explicitSet ? { set: explicitSet, coverage: mappingCoverage(cg, explicitSet, rmap) } : bestBundled();
  return {
    kind: 'template',
    modelId: 'template',
    set: fallback.set,
    note: `auto: no shipped model for mapping '${fallback.set.id}'${missingModelFiles(fallback.set.id)}; template backmapper used (mapping knows ${(fallback.coverage * 100).toFixed(1)} % of the CG particles)`,
  };
}

// ------------------------------------------------------------------------------------------ unknown particles

const describeUnknown = (u: UnknownResidue) => `${u.bead ? `bead ${u.bead} of ` : ''}${u.resName} ${u.chainId ?? ''}${u.resSeq ?? ''} (${where(u.file, u.line)})`;

/**
 * Unknown CG particles under the policy: whole residues the mapping does not know (water, ions, ligands, a typo
 * such as XYZ) are skipped with a warning naming file:line unless `unknownResidues: 'error'`; an unknown bead
 * inside a known residue means the input was made with another mapping, so it is refused unless
 * `unknownBeads: 'skip'`. Skipped particles go to `warn`, one each.
 */
export function checkUnknown(unknown: UnknownResidue[], policy: InputPolicy = {}, warn?: (w: InputWarning) => void): void {
  const beads = unknown.filter((u) => u.bead !== undefined);
  const residues = unknown.filter((u) => u.bead === undefined);
  const list = (xs: UnknownResidue[]) => `${xs.slice(0, 5).map(describeUnknown).join(', ')}${xs.length > 5 ? ', …' : ''}`;
  if (beads.length && (policy.unknownBeads ?? 'error') === 'error') {
    const f = beads[0];
    throw new InputError(
      `${beads.length} bead(s) not in the mapping of their residue: ${list(beads)} (wrong mapping set? ${policy.hints?.unknownBeads ?? 'choose the mapping the input was made with'})`,
      f.file,
      f.line || undefined,
    );
  }
  if (residues.length && policy.unknownResidues === 'error') {
    const f = residues[0];
    throw new InputError(
      `${residues.length} residue(s) unknown to the mapping: ${list(residues)} (${policy.hints?.unknownResidues ?? 'a residue name map renames residues'})`,
      f.file,
      f.line || undefined,
    );
  }
  if (!unknown.length || !warn) return;
  warn({ message: `${unknown.length} CG particle(s) unknown to the mapping were skipped`, file: unknown[0].file, line: unknown[0].line || undefined });
  for (const u of unknown.slice(0, 20)) warn({ message: `  ${describeUnknown(u)}`, file: u.file, line: u.line || undefined });
  if (unknown.length > 20) warn({ message: `  … ${unknown.length - 20} more`, file: unknown[0].file });
}

// ------------------------------------------------------------------------------------------ the plan

/** Residues that one backmapper runs. */
export interface BackmapGroup {
  choice: ModelChoice;
  /** Indices into the group's system (`system`, else `BackmapPlan.system`) residues, ascending. */
  residues: Int32Array;
  /**
   * The group's own system, for residues of another mapping set than the plan's (a model of the user's for a
   * ligand the main set does not know): assigned with that model's set, bead `source` indices into the input.
   */
  system?: CgSystem;
}

export interface BackmapPlan {
  choice: ModelChoice;
  /** Every residue the chosen mapping set knows (beads' `source` indices refer to the input structure). */
  system: CgSystem;
  unknown: UnknownResidue[];
  /**
   * Backmappers and their residues: one group (`choice`, every residue) unless classes need different ones;
   * residues of other mapping sets follow in groups with their own system.
   */
  groups: BackmapGroup[];
  /** Water, ions and Go-Martini virtual sites of the input (solvent.ts places the first two). */
  solvent: Pick<CgSplit, 'waters' | 'ions' | 'goSites'>;
  /** Molecules per class in the input. */
  moleculesIn: Map<MoleculeClass, number>;
}

/** The system a group's residues index. */
export const groupSystem = (plan: Pick<BackmapPlan, 'system'>, group: BackmapGroup): CgSystem => group.system ?? plan.system;

/**
 * Whether a card that lists `molecules` names this one (or another protonation state of it); a card without the list
 * is not limited by it. A card leaves out a molecule whose mapping changed after training: its bead-type ids remain
 * in the set, their meaning does not (martini3-lipids and CHL1).
 */
function cardLists(card: ModelCard, name: string): boolean {
  const listed = card.molecules;
  return !listed || listed.includes(name) || (variantGroup(name)?.some((n) => listed.includes(n)) ?? false);
}

/**
 * True when the card may backmap `mol`: its bead types name every bead of `mol` with its type id (the runner's own
 * check), and its `molecules`, where listed, name the molecule.
 */
function cardKnows(card: ModelCard, mol: MoleculeMapping): boolean {
  if (!cardLists(card, mol.name)) return false;
  return mol.beads.every((b) => {
    const names = b.typeId >= 0 && b.typeId < card.beadTypes.length ? card.beadTypes[b.typeId].split('|') : [];
    return names.includes(b.idname);
  });
}

/**
 * Backmapper per residue: the chosen model where its card knows the molecule; else (auto) another model of the same
 * mapping set whose card knows it (shipped first, then the user's); else the template. Groups in order of first
 * appearance.
 */
export function planGroups(system: CgSystem, choice: ModelChoice, opts: BackmapOptions, pool?: ModelPool): BackmapGroup[] {
  const all = () => Int32Array.from(system.residues.keys());
  if (choice.kind === 'template' || !choice.card) return [{ choice, residues: all() }];
  const byMolecule = new Map<string, ModelChoice>();
  const auto = (opts.model ?? 'auto') === 'auto';
  pool = auto ? (pool ?? modelPool({ modelDirs: opts.modelDirs })) : undefined;
  // Shipped models name their set by id; a model of the user's must read the very same set (hash).
  const others = pool
    ? pool.entries.filter((e) => {
        if (e.onnxPath === choice.onnxPath || (e.source === 'shipped' && e.card.id === choice.card!.id)) return false;
        return e.source === 'shipped' ? e.card.mapping.id === choice.set.id : pool!.setOf(e)?.hash === choice.set.hash;
      })
    : [];
  const pick = (mol: MoleculeMapping): ModelChoice => {
    let c = byMolecule.get(mol.name);
    if (c) return c;
    if (cardKnows(choice.card!, mol)) c = choice;
    else {
      const e = others.find((k) => cardKnows(k.card, mol));
      // A card that knows the bead types but leaves the molecule out of its list says why the template runs it.
      const leftOut = [choice.card!, ...others.map((k) => k.card)].find((k) => !cardLists(k, mol.name) && cardKnows({ ...k, molecules: undefined }, mol));
      c = e
        ? modelChoice(e, e.source === 'shipped' ? e.card.id : e.onnxPath, choice.set, `auto: ${e.card.id}${fromFile(e)} for ${mol.name} (its card knows the molecule's bead types)`)
        : {
            kind: 'template',
            modelId: 'template',
            set: choice.set,
            note: leftOut
              ? `${mol.name} (model ${leftOut.id} knows its bead types but its card leaves ${mol.name} out of the molecules it backmaps)`
              : `${mol.name} (no shipped model's card knows its bead types)`,
          };
    }
    byMolecule.set(mol.name, c);
    return c;
  };
  const groups = new Map<string, { choice: ModelChoice; residues: number[]; templateNotes: string[] }>();
  system.residues.forEach((r, i) => {
    const c = pick(r.molecule);
    let g = groups.get(c.modelId);
    if (!g) groups.set(c.modelId, (g = { choice: c, residues: [], templateNotes: [] }));
    if (c.kind === 'template' && !g.templateNotes.includes(c.note)) g.templateNotes.push(c.note);
    g.residues.push(i);
  });
  // One template group for every molecule no model takes: its note names each with its reason.
  return [...groups.values()].map((g) => ({
    choice: g.choice.kind === 'template' ? { ...g.choice, note: `template for ${g.templateNotes.join(', ')}` } : g.choice,
    residues: Int32Array.from(g.residues),
  }));
}

/** Residues of other mapping sets: the input particles each model of another set takes, and its choice. */
interface OtherSetRoute {
  choice: ModelChoice;
  /** Input indices, ascending. */
  atoms: number[];
}

/**
 * Auto mode: residues the chosen set does not know, whose molecule another model's set knows with every bead type
 * on its card (a ligand model of the user's, say), go to that model (shipped first, then the user's, in order).
 * `solute` holds input indices. Returns the routes and the solute particles left to the chosen set.
 */
function routeOtherSets(input: Structure, solute: Int32Array, choice: ModelChoice, opts: BackmapOptions, pool: ModelPool): { routes: OtherSetRoute[]; rest: Int32Array } {
  if ((opts.model ?? 'auto') !== 'auto') return { routes: [], rest: solute };
  const rmap = opts.residueNameMap;
  const candidates: { entry: ModelEntry; set: MappingSet }[] = [];
  for (const entry of pool.entries) {
    if (choice.onnxPath && entry.onnxPath === choice.onnxPath) continue;
    const set = pool.setOf(entry);
    if (set && set.hash !== choice.set.hash) candidates.push({ entry, set });
  }
  if (!candidates.length) return { routes: [], rest: solute };
  const a = input.atoms;
  // Per residue name: the models whose set has the molecule and whose card knows its bead types.
  const byName = new Map<string, { entry: ModelEntry; mol: MoleculeMapping }[]>();
  const routes = new Map<ModelEntry, number[]>();
  const rest: number[] = [];
  // Residues of the solute: consecutive particles with one chain, number, insertion code and name.
  let k = 0;
  while (k < solute.length) {
    const i0 = solute[k];
    let end = k + 1;
    while (end < solute.length) {
      const i = solute[end];
      if (a.chainId[i] !== a.chainId[i0] || a.resSeq[i] !== a.resSeq[i0] || a.iCode[i] !== a.iCode[i0] || a.resName[i] !== a.resName[i0]) break;
      end++;
    }
    const name = a.resName[i0];
    let target: ModelEntry | undefined;
    if (!resolveMolecule(choice.set, name, rmap)) {
      let fits = byName.get(name);
      if (!fits) {
        fits = [];
        for (const c of candidates) {
          const mol = resolveMolecule(c.set, name, rmap);
          if (mol && cardKnows(c.entry.card, mol)) fits.push({ entry: c.entry, mol });
        }
        byName.set(name, fits);
      }
      // Only a residue whose particles are all beads of the molecule: one named alike but made with another mapping
      // stays unknown (skipped and reported as before). One lacking a bead is the set's to refuse, naming the line.
      target = fits.find(({ mol }) => {
        for (let j = k; j < end; j++) if (!mol.beadIndex.has(a.name[solute[j]])) return false;
        return true;
      })?.entry;
    }
    const into = target ? (routes.get(target) ?? routes.set(target, []).get(target)!) : rest;
    for (let j = k; j < end; j++) into.push(solute[j]);
    k = end;
  }
  if (!routes.size) return { routes: [], rest: solute };
  const out: OtherSetRoute[] = [];
  for (const [entry, atoms] of routes) {
    const set = pool.setOf(entry)!;
    const names = [...new Set(atoms.map((i) => a.resName[i]))];
    out.push({
      atoms,
      choice: modelChoice(entry, entry.source === 'shipped' ? entry.card.id : entry.onnxPath, set, `auto: ${entry.card.id}${fromFile(entry)} for ${names.slice(0, 6).join(', ')} (its mapping '${set.id}' knows the molecule, which '${choice.set.id}' does not)`),
    });
  }
  return { routes: out, rest: Int32Array.from(rest) };
}

const unknownOf = (u: { resName: string; bead?: string; chainId?: string; resSeq?: number; file: string; line: number }): UnknownResidue => ({
  resName: u.resName,
  bead: u.bead,
  chainId: u.chainId,
  resSeq: u.resSeq,
  file: u.file,
  line: u.line,
});

/**
 * Model, mapping set and bead assignment for a CG structure, after every input check: units, reader warnings and
 * an all-atom file given as CG (`checkInputs`, on by default: off only for a structure checked already), the
 * reference's units, the mapping-warning policy, and unknown residues/beads. Refuses before any inference or output.
 */
export function planBackmap(input: Structure, opts: BackmapOptions, checkInputs = true): BackmapPlan {
  if (!input.atoms.count) throw new InputError('the CG structure has no particles', input.source);
  if (checkInputs) {
    checkInputStructure(input, 'cg', opts.warn);
    refuseAllAtom(input);
    if (opts.reference) checkInputStructure(opts.reference, 'all-atom', opts.warn);
  }
  const split = splitCg(input);
  const solvent = { waters: split.waters, ions: split.ions, goSites: split.goSites };
  const moleculesIn = new Map<MoleculeClass, number>();
  const add = (c: MoleculeClass, n: number) => n && moleculesIn.set(c, (moleculesIn.get(c) ?? 0) + n);
  add('water', split.waters.reduce((n, w) => n + w.water.waters, 0));
  add('ion', split.ions.length);
  if (!split.solute.length) {
    // Water and ions only: no mapping set or backmapper is needed for them.
    const set = opts.mappingSet ?? (opts.mapping ? loadMappingChecked(opts.mapping, opts.policy, opts.warn) : cachedSet('martini3'));
    const choice: ModelChoice = { kind: 'template', modelId: 'template', set, note: 'water and ions only: placed by the solvent rules (no backmapper)' };
    const system: CgSystem = { set, beads: [], residues: [], coords: new Float64Array(0), box: input.box };
    noteGoSites(input, split, opts);
    return { choice, system, unknown: [], groups: [], solvent, moleculesIn };
  }
  const solute = split.solute.length === input.atoms.count ? input : selectAtoms(input, split.solute);
  const pool = (opts.model ?? 'auto') === 'template' ? undefined : modelPool(opts);
  const choice = chooseModel(solute, opts, pool);
  const partial = opts.partial ?? true;
  const assignOpts = { residueNameMap: opts.residueNameMap, partial };
  // Residues of other mapping sets (auto): each with its model's set, in its own system.
  const { routes, rest } = pool ? routeOtherSets(input, split.solute, choice, opts, pool) : { routes: [], rest: split.solute };
  const main = rest === split.solute ? solute : selectAtoms(input, rest);
  const assigned = assignCg(main, choice.set, assignOpts);
  if (main !== input) for (const b of assigned.system.beads) b.source = rest[b.source];
  let unknown: UnknownResidue[] = assigned.unknown.map(unknownOf);
  const others: BackmapGroup[] = routes.map((r) => {
    const idx = Int32Array.from(r.atoms);
    const own = assignCg(selectAtoms(input, idx), r.choice.set, assignOpts);
    for (const b of own.system.beads) b.source = idx[b.source];
    unknown.push(...own.unknown.map(unknownOf));
    return { choice: r.choice, residues: Int32Array.from(own.system.residues.keys()), system: own.system };
  });
  // Go virtual sites written inside their residue: a CA particle in a Martini amino acid (which has BB, no CA bead).
  const inlineGo = unknown.filter((u) => u.bead !== undefined && GO_SITE_NAMES.has(u.bead) && AMINO_ACID_NAMES.has(u.resName) && (choice.set.molecules.get(u.resName)?.beadIndex.has('BB') ?? false));
  if (inlineGo.length) {
    unknown = unknown.filter((u) => !inlineGo.includes(u));
    const lines = new Set(inlineGo.map((u) => u.line));
    for (let i = 0; i < input.atoms.count; i++) if (lines.has(input.atoms.sourceLine[i]) && GO_SITE_NAMES.has(input.atoms.name[i])) solvent.goSites.push(i);
  }
  checkUnknown(unknown, opts.policy, opts.warn);
  noteGoSites(input, solvent, opts);
  for (const [c, n] of countSystem(assigned.system)) add(c, n);
  for (const g of others) for (const [c, n] of countSystem(g.system!)) add(c, n);
  add('go-site', solvent.goSites.length);
  add('unknown', countUnknown(unknown));
  const mainGroups = planGroups(assigned.system, choice, opts, pool);
  // With residues of other sets, a chosen set left with none has no group (every group then runs something).
  const groups = others.length ? [...mainGroups.filter((g) => g.residues.length > 0), ...others] : mainGroups;
  return { choice, system: assigned.system, unknown, groups, solvent, moleculesIn };
}

/** One note for the Go-Martini virtual sites skipped (they are not atoms). */
function noteGoSites(input: Structure, split: Pick<CgSplit, 'goSites'>, opts: BackmapOptions): void {
  if (!split.goSites.length) return;
  const first = split.goSites[0];
  opts.warn?.({
    message: `${split.goSites.length} Go-Martini virtual site(s) (martinize2 -go, named CA) skipped: they carry no atoms`,
    file: input.source,
    line: input.atoms.sourceLine[first] || undefined,
  });
}

/**
 * The plan as one backmapper runs it (trajectories: one model session for every frame): the first group's residues
 * (the chosen model's molecules, protein first), with the other classes, water and ions skipped and said so in one
 * warning. Bead `source` indices still refer to the input structure.
 */
export function firstGroupOf(plan: BackmapPlan, source: string, warn?: (w: InputWarning) => void): { choice: ModelChoice; system: CgSystem; unknown: UnknownResidue[] } {
  const g = plan.groups[0];
  if (!g) throw new InputError('nothing to backmap frame by frame: the structure holds only water and ions', source);
  let system = groupSystem(plan, g);
  const skipped: string[] = [];
  // Residues of the other groups (other classes, other mapping sets), by name.
  const names = new Set<string>();
  let others = 0;
  for (const h of plan.groups.slice(1)) {
    const hs = groupSystem(plan, h);
    others += h.residues.length;
    for (const r of h.residues) names.add(hs.residues[r].resName);
  }
  if (others) skipped.push(`${others} residue(s) of other classes (${[...names].slice(0, 6).join(', ')})`);
  if (g.residues.length !== system.residues.length) {
    const beads: number[] = [];
    for (const r of g.residues) beads.push(...system.residues[r].beads);
    beads.sort((x, y) => x - y);
    system = subSystem(system, Int32Array.from(beads)).system;
  }
  if (plan.solvent.waters.length) skipped.push(`${plan.solvent.waters.length} water bead(s)`);
  if (plan.solvent.ions.length) skipped.push(`${plan.solvent.ions.length} ion(s)`);
  if (skipped.length) warn?.({ message: `frame by frame, ${choiceName(g.choice)} backmaps its molecules only; skipped: ${skipped.join(', ')}`, file: source });
  return { choice: g.choice, system, unknown: plan.unknown };
}

