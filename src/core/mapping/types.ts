/**
 * Compiled form of a HEroBM/CGmap mapping set (see ../shared/mapping-format/SPEC.md).
 * One parser (src/core/mapping/parse.ts) produces it for the CLI, the language server, the dataset builder,
 * the template backmapper and the model runner. Semantics follow SPEC §2 exactly, including the silent cases,
 * which are additionally reported as diagnostics.
 */

/** 0-based offsets into the file text; `line` is 1-based (for messages). */
export interface SourceSpan {
  file: string;
  start: number;
  end: number;
  line: number;
}

/** `P<level><anchor><id>` decoded as HEroBM does (SPEC §1.2): anchor defaults to 'A'. */
export interface HierarchyRule {
  level: number;
  anchor: string; // one upper-case letter
  id: string; // one upper-case letter
  text: string; // the token as written
  canonical: boolean; // matches ^P(0|[1-9][0-9]*)[A-Z]{1,2}$
}

/** One atom's settings for one of the beads it belongs to. */
export interface BeadMembership {
  bead: string;
  relWeight: number; // explicit FRACTION/DECIMAL, else 1/n (a multiplier of mass, SPEC §2.1)
  cm: boolean;
  excluded: boolean; // '!'
  rule: HierarchyRule | null;
}

export interface MappingAtom {
  /** Alternative names; names[0] is canonical (used for mass and written on output). */
  names: string[];
  element: string;
  mass: number;
  membership: BeadMembership[];
  span: SourceSpan; // the whole `KEY: VALUE` entry
}

/** A reconstructed atom of a bead: one model output channel (YAML line order, SPEC §2.2). */
export interface Slot {
  atom: number; // index into MoleculeMapping.atoms
  level: number;
  /** Slot index of the anchor; equals the slot's own index for the root and for SPEC's silent self-anchoring. */
  anchor: number;
  /** True when the anchor was found as SPEC intends (false = silently self-anchored non-root atom). */
  resolved: boolean;
  /** Weight in the final recentring (CM weights of reconstructed atoms only, renormalised to 1). */
  recenterWeight: number;
  /** HEroBM local index (offset(level) + ID position, SPEC §2.2) and the anchor's local index as computed. */
  local?: number;
  anchorLocal?: number;
  /** False when level > R of the loaded set: HEroBM never places the atom (SPEC W4). */
  placed?: boolean;
}

export interface CompiledBead {
  name: string;
  idname: string; // MOLECULE_BEAD
  typeId: number;
  /** Member atom indices in YAML order, and their CM weights (renormalised to sum 1 over all members). */
  members: number[];
  weights: number[];
  slots: Slot[];
  maxLevel: number; // -1 when the bead has no rule
  /** Where the bead name first appears. */
  span?: SourceSpan;
}

export interface MoleculeMapping {
  name: string; // residue name (`molecule:`)
  file: string;
  atoms: MappingAtom[];
  beads: CompiledBead[]; // in order of first appearance in the file
  beadIndex: Map<string, number>;
  /** Atom name (any alternative) -> atom index (first entry that lists the name). */
  atomIndex: Map<string, number>;
  /** Span of the `molecule:` value. */
  span?: SourceSpan;
}

export interface MappingSet {
  id: string; // folder base name or bundled set id
  folder: string;
  /** Residue name -> primary configuration (first file in sorted order). */
  molecules: Map<string, MoleculeMapping>;
  /** Residue name -> every configuration (legacy same-molecule files, SPEC §1.3). */
  configurations: Map<string, MoleculeMapping[]>;
  beadTypes: Map<string, number>; // idname -> type id
  numTypes: number;
  /** R in SPEC §2.2: max reconstructed atoms in any bead of the set = model slots per bead. */
  maxSlots: number;
  /** sha256 over the normalised content of every file (model cards pin it). */
  hash: string;
  /** Files read (mapping files in sorted order, then the bead-types file when present). */
  files?: string[];
  /** Non-fatal diagnostics of the set (warnings/information; errors make loadMappingSet throw). */
  diagnostics?: import('./parse').MappingDiagnostic[];
}
