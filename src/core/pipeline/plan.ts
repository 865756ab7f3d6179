/**
 * Planning a run: input → mapping set → backmapper, with every input check on the way (coordinates in the wrong
 * unit, reader warnings, the mapping-warning policy, unknown residues and beads). The CLI, the inference worker
 * (editor) and the benchmarks all plan through here, so a check holds in every front end.
 *
 * Shaped to grow: molecule classes (lipids, ligands) are more mapping sets to cover the input, and multi-stage
 * chains are a list of (mapping set, backmapper) steps instead of one.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { InputError, type InputWarning } from '../errors';
import type { MappingSet } from '../mapping/types';
import type { Structure } from '../structure/types';
import { residuesOf } from '../structure/builder';
import { readStructureFile, detectUnitProblem, readWarnings } from '../structure/read';
import { assignCg, type CgSystem } from '../cg';
import { loadMappingSet, listBundledMappingSets, resolveMappingFolder, validateMappingFolder } from '../mapping/load';
import { listModels, modelsRoot, resolveModel } from '../model/registry';
import type { ModelCard } from '../model/contract';
import type { BackmapOptions, InputPolicy, UnknownResidue } from './options';

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
    const coverage = mappingCoverage(cg, set, rmap);
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

export interface BackmapPlan {
  choice: ModelChoice;
  system: CgSystem;
  unknown: UnknownResidue[];
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
  const choice = chooseModel(input, opts);
  const partial = opts.partial ?? true;
  const assigned = assignCg(input, choice.set, { residueNameMap: opts.residueNameMap, partial });
  const unknown = assigned.unknown.map((u) => ({ resName: u.resName, bead: u.bead, chainId: u.chainId, resSeq: u.resSeq, file: u.file, line: u.line }));
  checkUnknown(unknown, opts.policy, opts.warn);
  return { choice, system: assigned.system, unknown };
}
