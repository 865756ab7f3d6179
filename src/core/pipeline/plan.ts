/**
 * Planning a run: input → mapping set → backmapper, with every input check on the way (coordinates in the wrong
 * unit, reader warnings, the mapping-warning policy, unknown residues and beads). The CLI, the inference worker
 * (editor) and the benchmarks all plan through here, so a check holds in every front end.
 *
 * Whole systems: the input is split into molecules (molecules.ts): water and ions go to solvent.ts, Go-Martini
 * virtual sites are skipped with a note, and the residues the mapping set knows are grouped by backmapper (a
 * trained model whose card knows every bead type of the molecule, else the template), each group run on its own.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { InputError, type InputWarning } from '../errors';
import type { MappingSet } from '../mapping/types';
import type { Structure } from '../structure/types';
import { residuesOf } from '../structure/builder';
import { readStructureFile, detectUnitProblem, readWarnings } from '../structure/read';
import { assignCg, type CgSystem } from '../cg';
import { subSystem } from '../model/chunking';
import { loadMappingSet, listBundledMappingSets, resolveMappingFolder, validateMappingFolder } from '../mapping/load';
import { listModels, modelsRoot, resolveModel } from '../model/registry';
import type { ModelCard } from '../model/contract';
import type { BackmapOptions, InputPolicy, MoleculeClass, UnknownResidue } from './options';
import { countSystem, countUnknown, selectAtoms, splitCg, GO_SITE_NAMES, type CgSplit } from './molecules';
import { AMINO_ACID_NAMES } from '../chemistry/variants';

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

const setCache = new Map<string, MappingSet>();

/** A bundled set (validated by the project's tests) or a folder, loaded once per process. */
export function cachedSet(id: string): MappingSet {
  let s = setCache.get(id);
  if (!s) {
    s = loadMappingSet(id);
    setCache.set(id, s);
  }
  return s;
}

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
    if (mol && mol.beadIndex.has(a.name[i]) && (!cardTypes || cardTypes.has(`${mol.name}_${a.name[i]}`))) known++;
  }
  return known / a.count;
}

export interface ModelChoice {
  kind: 'model' | 'template';
  /** The model as asked for (id or .onnx path), or 'template'. */
  modelId: string;
  card?: ModelCard;
  set: MappingSet;
  note: string;
}

function safeListModels(): ModelCard[] {
  try {
    return listModels();
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

/** Picks model and mapping set for `cg` from `opts.model` ('auto' | 'template' | id | path) and `opts.mapping`. */
export function chooseModel(cg: Structure, opts: BackmapOptions): ModelChoice {
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
  const cards = safeListModels();
  if (want !== 'auto') {
    let card = cards.find((c) => c.id === want);
    if (!card && (/\.onnx$/i.test(want) || /[\\/]/.test(want))) card = resolveModel(want).card; // throws InputError naming the path
    if (card) {
      // The runner re-checks that the model was trained for this mapping (hash) when it predicts.
      const set = explicitSet ?? cachedSet(card.mapping.id);
      return { kind: 'model', modelId: want, card, set, note: `model ${card.id} requested (mapping '${set.id}')` };
    }
    throw new InputError(`unknown model '${want}' (shipped: ${cards.map((c) => c.id).join(', ') || 'none'}; or 'template', 'auto', a .onnx path)`, cg.source);
  }
  // auto: the shipped model whose mapping knows most of the input.
  let best: { card: ModelCard; set: MappingSet; coverage: number } | undefined;
  for (const card of cards) {
    let set: MappingSet;
    try {
      set = cachedSet(card.mapping.id);
    } catch {
      continue;
    }
    if (explicitSet && set.id !== explicitSet.id) continue;
    const coverage = mappingCoverage(cg, set, rmap, card);
    if (coverage > 0 && (!best || coverage > best.coverage)) best = { card, set, coverage };
  }
  if (best)
    return {
      kind: 'model',
      modelId: best.card.id,
      card: best.card,
      set: best.set,
      note: `auto: ${best.card.id} (mapping '${best.set.id}' knows ${(best.coverage * 100).toFixed(1)} % of the CG particles)`,
    };
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

/** Residues of the plan's system that one backmapper runs. */
export interface BackmapGroup {
  choice: ModelChoice;
  /** Indices into `BackmapPlan.system.residues`, ascending. */
  residues: Int32Array;
}

export interface BackmapPlan {
  choice: ModelChoice;
  /** Every residue the mapping set knows (beads' `source` indices refer to the input structure). */
  system: CgSystem;
  unknown: UnknownResidue[];
  /** Backmappers and their residues: one group (`choice`, every residue) unless classes need different ones. */
  groups: BackmapGroup[];
  /** Water, ions and Go-Martini virtual sites of the input (solvent.ts places the first two). */
  solvent: Pick<CgSplit, 'waters' | 'ions' | 'goSites'>;
  /** Molecules per class in the input. */
  moleculesIn: Map<MoleculeClass, number>;
}

/** True when the card's bead types name every bead of `mol` with its type id (the runner's own check). */
function cardKnows(card: ModelCard, mol: CgSystem['residues'][number]['molecule']): boolean {
  return mol.beads.every((b) => {
    const names = b.typeId >= 0 && b.typeId < card.beadTypes.length ? card.beadTypes[b.typeId].split('|') : [];
    return names.includes(b.idname);
  });
}

/**
 * Backmapper per residue: the chosen model where its card knows the molecule; else (auto) another shipped model
 * of the same mapping set whose card knows it; else the template. Groups in order of first appearance.
 */
export function planGroups(system: CgSystem, choice: ModelChoice, opts: BackmapOptions): BackmapGroup[] {
  const all = () => Int32Array.from(system.residues.keys());
  if (choice.kind === 'template' || !choice.card) return [{ choice, residues: all() }];
  const byMolecule = new Map<string, ModelChoice>();
  const others = (opts.model ?? 'auto') === 'auto' ? safeListModels().filter((c) => c.id !== choice.card!.id && c.mapping.id === choice.set.id) : [];
  const pick = (mol: CgSystem['residues'][number]['molecule']): ModelChoice => {
    let c = byMolecule.get(mol.name);
    if (c) return c;
    if (cardKnows(choice.card!, mol)) c = choice;
    else {
      const card = others.find((k) => cardKnows(k, mol));
      c = card
        ? { kind: 'model', modelId: card.id, card, set: choice.set, note: `auto: ${card.id} for ${mol.name} (its card knows the molecule's bead types)` }
        : { kind: 'template', modelId: 'template', set: choice.set, note: `template for ${mol.name}: no shipped model's card knows its bead types` };
    }
    byMolecule.set(mol.name, c);
    return c;
  };
  const groups = new Map<string, { choice: ModelChoice; residues: number[] }>();
  system.residues.forEach((r, i) => {
    const c = pick(r.molecule);
    let g = groups.get(c.modelId);
    if (!g) groups.set(c.modelId, (g = { choice: c, residues: [] }));
    g.residues.push(i);
  });
  return [...groups.values()].map((g) => ({ choice: g.choice, residues: Int32Array.from(g.residues) }));
}

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
  const choice = chooseModel(solute, opts);
  const partial = opts.partial ?? true;
  const assigned = assignCg(solute, choice.set, { residueNameMap: opts.residueNameMap, partial });
  if (solute !== input) for (const b of assigned.system.beads) b.source = split.solute[b.source];
  let unknown: UnknownResidue[] = assigned.unknown.map((u) => ({ resName: u.resName, bead: u.bead, chainId: u.chainId, resSeq: u.resSeq, file: u.file, line: u.line }));
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
  add('go-site', solvent.goSites.length);
  add('unknown', countUnknown(unknown));
  return { choice, system: assigned.system, unknown, groups: planGroups(assigned.system, choice, opts), solvent, moleculesIn };
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
  let system = plan.system;
  const skipped: string[] = [];
  if (g.residues.length !== system.residues.length) {
    const beads: number[] = [];
    for (const r of g.residues) beads.push(...system.residues[r].beads);
    beads.sort((x, y) => x - y);
    const names = new Set<string>();
    const inGroup = new Set(g.residues);
    system.residues.forEach((r, k) => inGroup.has(k) || names.add(r.resName));
    skipped.push(`${system.residues.length - g.residues.length} residue(s) of other classes (${[...names].slice(0, 6).join(', ')})`);
    system = subSystem(system, Int32Array.from(beads)).system;
  }
  if (plan.solvent.waters.length) skipped.push(`${plan.solvent.waters.length} water bead(s)`);
  if (plan.solvent.ions.length) skipped.push(`${plan.solvent.ions.length} ion(s)`);
  if (skipped.length) warn?.({ message: `frame by frame, ${g.choice.modelId} backmaps its molecules only; skipped: ${skipped.join(', ')}`, file: source });
  return { choice: g.choice, system, unknown: plan.unknown };
}

