/**
 * Parser/compiler for HEroBM/CGmap mapping YAML (the dialect: docs/mapping-format.md). Decodes every entry exactly
 * as CGmap (`BeadMappingAtomSettings`) and HEroBM (`HEroBMBeadMappingAtomSettings`, `HEroBMBead.update`) do, silent
 * quirks included, and reports each quirk as a `MappingDiagnostic` with the exact token range. One parser serves the
 * loader, the language server and everything downstream.
 *
 * The steps, one module each: the YAML document and its top-level keys (top-level.ts), `molecule:` (molecule.ts),
 * `atoms:` entries (atoms.ts), per entry its names (names.ts), beads and fields (value.ts) and per-bead settings
 * (membership.ts, settings.ts); then per bead the compiled weights and slots (compile.ts) and their checks
 * (hierarchy-checks.ts, position-checks.ts).
 */
import type { CompiledBead, MappingAtom, MappingDiagnostic, MoleculeMapping } from '../types';
import { collectEntries, readAtomsMapping } from './atoms';
import { compileBead, emptyBeadGroups } from './compile';
import { createParseContext, sortDiagnostics } from './context';
import { decodeEntry } from './entry';
import { checkBeadHierarchy, checkFileHasRules, markLevelsAboveR } from './hierarchy-checks';
import { readMoleculeName } from './molecule';
import type { ParsedMapping, ParseOptions } from './parsed';
import { checkBeadPosition } from './position-checks';
import { parseYamlDocument, readTopLevelKeys } from './top-level';

export { CODES } from '../codes';
export type { MappingDiagnostic, MappingFix, MappingSeverity, TextEdit } from '../types';
export type { MappingEntry, ParsedMapping, ParseOptions, Token } from './parsed';
export { CANONICAL_RULE, canonicalRuleText, decodeCgmapSetting, decodeRule, type CgmapSetting } from './settings';

export function parseMappingDocument(text: string, file: string, opts: ParseOptions = {}): ParsedMapping {
  const ctx = createParseContext(text, file, opts);
  const result = ctx.result;
  const top = parseYamlDocument(ctx);
  if (!top) return result;
  const keys = readTopLevelKeys(ctx, top);
  readMoleculeName(ctx, keys.molecule);
  const atomsNode = readAtomsMapping(ctx, keys.atoms);
  if (!atomsNode) return result;

  const atoms: MappingAtom[] = [];
  const groups = emptyBeadGroups();
  for (const raw of collectEntries(ctx, atomsNode)) decodeEntry(ctx, raw, atoms, groups);

  result.hasRules = atoms.some((a) => a.membership.some((m) => m.rule));
  const beads: CompiledBead[] = [];
  for (const name of groups.order) {
    const compiled = compileBead(ctx, name, groups, atoms);
    beads.push(compiled.bead);
    checkBeadHierarchy(ctx, compiled, atoms, result.hasRules);
    checkBeadPosition(ctx, compiled, atoms);
  }
  result.fileSlots = markLevelsAboveR(ctx, beads, atoms);
  checkFileHasRules(ctx, atoms);

  result.molecule = assembleMolecule(ctx.result, file, atoms, beads, ctx.span);
  sortDiagnostics(result.diagnostics);
  return result;
}

function assembleMolecule(
  result: ParsedMapping, file: string, atoms: MappingAtom[], beads: CompiledBead[], span: (start: number, end: number) => MoleculeMapping['span'],
): MoleculeMapping {
  const beadIndex = new Map(beads.map((b, i) => [b.name, i] as [string, number]));
  const atomIndex = new Map<string, number>();
  atoms.forEach((a, i) => a.names.forEach((nm) => { if (!atomIndex.has(nm)) atomIndex.set(nm, i); }));
  return {
    name: result.moleculeName ?? '', file, atoms, beads, beadIndex, atomIndex,
    span: result.moleculeToken ? span(result.moleculeToken.start, result.moleculeToken.end) : undefined,
  };
}

/**
 * The API-map entry point: compiled molecule plus diagnostics. `molecule` is null when any error-level diagnostic
 * exists (HEroBM/CGmap would crash on the file), so nothing downstream runs on a broken mapping.
 */
export function parseMappingText(text: string, file: string, opts: ParseOptions = {}): { molecule: MoleculeMapping | null; diagnostics: MappingDiagnostic[] } {
  const p = parseMappingDocument(text, file, opts);
  const hasError = p.diagnostics.some((d) => d.severity === 'error');
  return { molecule: hasError || !p.moleculeName ? null : p.molecule, diagnostics: p.diagnostics };
}
