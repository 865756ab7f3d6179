/**
 * Compiled form of a HEroBM/CGmap mapping set, and the diagnostics reported while compiling it (the dialect is
 * described in docs/mapping-format.md). One parser (src/core/mapping/parse/) produces it for the CLI, the language
 * server, the dataset builder, the template backmapper and the model runner. Semantics follow the upstream tools
 * exactly, including their silent cases, which are additionally reported as diagnostics.
 *
 * This module imports nothing: every other mapping module depends on it, never the other way round.
 */

/** 0-based offsets into the file text; `line` is 1-based (for messages). */
export interface SourceSpan {
  file: string;
  start: number;
  end: number;
  line: number;
}

export type MappingSeverity = 'error' | 'warning' | 'information';

/** A replacement of the text between two offsets. */
export interface TextEdit {
  start: number;
  end: number;
  newText: string;
}

export interface MappingFix {
  title: string;
  edits: TextEdit[];
  preferred?: boolean;
}

export interface MappingDiagnostic {
  /** Stable code (E…, W…, X…; the table is in codes.ts and docs/mapping-format.md). */
  code: string;
  severity: MappingSeverity;
  message: string;
  span: SourceSpan;
  /** Machine-applicable repairs (quick fixes in the language server). */
  fixes?: MappingFix[];
}

/** `P<level><anchor><id>` decoded as HEroBM does (docs/mapping-format.md, "Hierarchy rules"): anchor defaults to 'A'. */
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
  relWeight: number; // explicit FRACTION/DECIMAL, else 1/n (a multiplier of mass; docs/mapping-format.md, "Weights")
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

/** A reconstructed atom of a bead: one model output channel (YAML line order; docs/mapping-format.md, "Hierarchy rules"). */
export interface Slot {
  atom: number; // index into MoleculeMapping.atoms
  level: number;
  /** Slot index of the anchor; equals the slot's own index for the root and for HEroBM's silent self-anchoring. */
  anchor: number;
  /** True when the anchor was found as the rule intends (false = silently self-anchored non-root atom). */
  resolved: boolean;
  /** Weight in the final recentring (CM weights of reconstructed atoms only, renormalised to 1). */
  recenterWeight: number;
  /** HEroBM local index (offset(level) + ID position) and the anchor's local index as computed. */
  local?: number;
  anchorLocal?: number;
  /** False when level > R of the loaded set: HEroBM never places the atom (W4). */
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
  /** Residue name -> every configuration (legacy same-molecule files; docs/mapping-format.md, "Mapping sets"). */
  configurations: Map<string, MoleculeMapping[]>;
  beadTypes: Map<string, number>; // idname -> type id
  numTypes: number;
  /** R: max reconstructed atoms in any bead of the set = model slots per bead. */
  maxSlots: number;
  /** sha256 over the normalised content of every file (model cards pin it). */
  hash: string;
  /** Files read (mapping files in sorted order, then the bead-types file when present). */
  files?: string[];
  /** Non-fatal diagnostics of the set (warnings/information; errors make loadMappingSet throw). */
  diagnostics?: MappingDiagnostic[];
}
