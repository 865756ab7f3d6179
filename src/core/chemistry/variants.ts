/**
 * The one table of residue-name variants: protonation states and force-field spellings of the 20 amino acids
 * (HSD, HIE, CYX, ASH, LSN, …) and modified residues with their own atoms (MSE). Every module that turns a
 * residue name into chemistry (topology lookups, mapping-molecule matching, element guessing, chain grouping,
 * bond tables, the mapping generator) reads it here.
 */
import { RESIDUES, THREE_TO_ONE, type ResidueTopology } from './amino-acids';

export interface ResidueVariant {
  name: string;
  /** The standard amino acid it is a form of. */
  parent: string;
  /**
   * `protonation`: the parent's heavy atoms under the parent's names (another protonation state or force-field
   * spelling); `modified`: a residue with atoms of its own (`renamed` lists them).
   */
  kind: 'protonation' | 'modified';
  /**
   * Residue-topology lookups (`residueTopology`: metrics, refinement) resolve the name to its parent, and element
   * guessing and chain grouping treat it as an amino acid. Names without it (the GROMACS-port spellings) are
   * matched only against mapping molecules (`variantGroup`, `protonationParent`): resolving them in the metrics
   * would change the benchmark's reference figures (vermouth's lysozyme_prot carries LSN), a change for its own
   * issue, not for a table reorganisation.
   */
  topology: boolean;
  /** Heavy atoms renamed relative to the parent (`modified` only), parent name → own name. */
  renamed?: Readonly<Record<string, string>>;
}

const p = (name: string, parent: string, topology: boolean): ResidueVariant => ({ name, parent, kind: 'protonation', topology });

/**
 * Order matters within a parent: a residue name the mapping set lacks is matched to the first molecule of its
 * group the set has (parent first, then this order).
 */
export const RESIDUE_VARIANTS: readonly ResidueVariant[] = [
  // histidine: CHARMM HSD/HSE/HSP, AMBER HID/HIE/HIP, GROMACS-port and GROMOS spellings
  p('HSD', 'HIS', true), p('HID', 'HIS', true), p('HIE', 'HIS', true), p('HSE', 'HIS', true), p('HIP', 'HIS', true),
  p('HSP', 'HIS', true), p('HISD', 'HIS', false), p('HISE', 'HIS', false), p('HISH', 'HIS', false),
  p('HISP', 'HIS', false), p('HIS1', 'HIS', false), p('HIS2', 'HIS', false), p('HSE2', 'HIS', true),
  // cysteine: disulfide-bonded and deprotonated
  p('CYX', 'CYS', true), p('CYM', 'CYS', true), p('CYS2', 'CYS', false), p('CYN', 'CYS', false),
  // protonated acids, neutral bases
  p('ASH', 'ASP', true), p('ASPP', 'ASP', false), p('ASPH', 'ASP', false),
  p('GLH', 'GLU', true), p('GLUP', 'GLU', false), p('GLUH', 'GLU', false),
  p('LYN', 'LYS', true), p('LSN', 'LYS', false), p('LYSH', 'LYS', false),
  p('ARN', 'ARG', true),
  // selenomethionine: MET with selenium in place of SD
  { name: 'MSE', parent: 'MET', kind: 'modified', topology: false, renamed: { SD: 'SE' } },
];

const BY_NAME: ReadonlyMap<string, ResidueVariant> = new Map(RESIDUE_VARIANTS.map((v) => [v.name, v]));

/** The variant entry of a residue name (undefined for the standard names and names the table does not know). */
export function residueVariant(name: string): ResidueVariant | undefined {
  return BY_NAME.get(name);
}

/** Protonation variants whose topology lookups resolve (see `ResidueVariant.topology`), name → parent. */
export const TOPOLOGY_ALIASES: Readonly<Record<string, string>> = Object.fromEntries(
  RESIDUE_VARIANTS.filter((v) => v.kind === 'protonation' && v.topology).map((v) => [v.name, v.parent]),
);

/** Topology of a standard amino acid or of a protonation variant that resolves to one (HSD → HIS, …). */
export function residueTopology(resName: string): ResidueTopology | undefined {
  return RESIDUES[resName] ?? RESIDUES[TOPOLOGY_ALIASES[resName] ?? ''];
}

/** The standard amino acid with the same heavy atoms: the name itself when standard, the parent of any protonation variant. */
export function protonationParent(name: string): string | undefined {
  if (RESIDUES[name]) return name;
  const v = BY_NAME.get(name);
  return v?.kind === 'protonation' ? v.parent : undefined;
}

const GROUPS = new Map<string, readonly string[]>();
for (const v of RESIDUE_VARIANTS) {
  if (v.kind !== 'protonation') continue;
  const g = (GROUPS.get(v.parent) as string[] | undefined) ?? [v.parent];
  g.push(v.name);
  GROUPS.set(v.parent, g);
}
for (const g of [...GROUPS.values()]) for (const n of g) GROUPS.set(n, g);

/**
 * Names of the same amino acid in other protonation states or force fields (parent first, then table order),
 * for a name of that group; undefined for residues without protonation variants.
 */
export function variantGroup(name: string): readonly string[] | undefined {
  return GROUPS.get(name);
}

/**
 * Residue names that are amino acids in a polymer chain: the 20 standard ones, the protonation variants that
 * resolve a topology, and the modified residues.
 */
export const AMINO_ACID_NAMES: ReadonlySet<string> = new Set([
  ...Object.keys(RESIDUES),
  ...RESIDUE_VARIANTS.filter((v) => v.topology || v.kind === 'modified').map((v) => v.name),
]);

/** One-letter code of a residue name (variants by their parent: HIE, HSD → H, MSE → M); X when unknown. */
export function oneLetterCode(resName: string): string {
  const name = resName.toUpperCase();
  if (RESIDUES[name]) return THREE_TO_ONE[name];
  const parent = residueVariant(name)?.parent;
  return (parent && THREE_TO_ONE[parent]) || 'X';
}
