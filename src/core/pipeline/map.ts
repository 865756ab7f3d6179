/**
 * All-atom → CG ("Map all-atom structure to CG…", `backmap map`, the worker's mapToCg) with the same input checks
 * as backmapping: units and reader warnings, a CG file given as all-atom, the mapping-warning policy, and a
 * structure the mapping knows nothing of.
 */
import { InputError, type InputWarning } from '../errors';
import type { MappingSet } from '../mapping/types';
import type { Structure } from '../structure/types';
import { mapToCg, summarizeForwardReport, type ForwardReport } from '../forward';
import type { CgSystem } from '../cg';
import { checkInputStructure, loadMappingChecked, refuseCg } from './plan';
import type { InputPolicy } from './options';

export interface MapToCgOptions {
  /** Only this chain. */
  chain?: string;
  residueNameMap?: Record<string, string>;
  /** The mapping-warning policy for a mapping folder of the user's. */
  policy?: InputPolicy;
  warn?: (warning: InputWarning) => void;
  /** Units, reader warnings and the CG-file check (default on: off only for a structure checked already). */
  checkInputs?: boolean;
}

export interface MapToCgResult {
  cg: Structure;
  system: CgSystem;
  report: ForwardReport;
  /** One line per kind of problem the forward mapping met (unknown residues, missing atoms, …), with locations. */
  problems: string[];
  /** "complete", or the problems in a few words. */
  summary: string;
  mappingId: string;
  ms: number;
}

const where = (file: string, line?: number) => (line ? `${file}:${line}` : file);

/** The forward report as lines a user reads: what was skipped or missing, with up to 8 locations each. */
export function describeForwardReport(r: ForwardReport): string[] {
  const out: string[] = [];
  const list = <T extends { file: string; line: number }>(items: T[], what: string, show: (x: T) => string) => {
    if (!items.length) return;
    const shown = items.slice(0, 8).map((x) => `${show(x)} (${where(x.file, x.line)})`);
    out.push(`${items.length} ${what}: ${shown.join('; ')}${items.length > 8 ? '; …' : ''}`);
  };
  const res = (x: { resName: string; chainId: string; resSeq: number; iCode: string }) => `${x.resName} ${x.chainId}${x.resSeq}${x.iCode}`;
  list(r.unknownResidues, 'residue(s) unknown to the mapping, skipped', res);
  list(r.droppedResidues, 'residue(s) left out (a bead had no atom)', (x) => `${res(x)} beads ${x.beads.join(',')}`);
  list(r.missingAtoms, 'atom(s) of the mapping missing from the input', (x) => `${res(x)} ${x.atom}`);
  list(r.unmappedAtoms, 'atom(s) not in the mapping, ignored', (x) => `${res(x)} ${x.atom}`);
  if (r.duplicateAtoms) out.push(`${r.duplicateAtoms} repeated atom(s) (alternate locations): the first was used`);
  return out;
}

/**
 * Maps an all-atom structure to CG with a mapping set (id, folder, or a set already loaded), refusing what would
 * give a wrong or empty result.
 */
export function mapStructureToCg(aa: Structure, mapping: string | MappingSet, opts: MapToCgOptions = {}): MapToCgResult {
  const t = performance.now();
  const set = typeof mapping === 'string' ? loadMappingChecked(mapping, opts.policy, opts.warn) : mapping;
  if (opts.checkInputs ?? true) {
    checkInputStructure(aa, 'all-atom', opts.warn);
    refuseCg(aa, 'map expects an all-atom structure');
  }
  const result = mapToCg(aa, set, { chain: opts.chain, residueNameMap: opts.residueNameMap });
  if (!result.system.beads.length)
    throw new InputError(
      `no residue${opts.chain !== undefined ? ` of chain '${opts.chain}'` : ''} is known to mapping set '${set.id}'`,
      aa.source,
      aa.atoms.sourceLine[0] || undefined,
    );
  return {
    cg: result.cg,
    system: result.system,
    report: result.report,
    problems: describeForwardReport(result.report),
    summary: summarizeForwardReport(result.report),
    mappingId: set.id,
    ms: performance.now() - t,
  };
}
