/**
 * What the parser returns besides the compiled molecule: every token with its offsets, so the language server can
 * hover, rename and fix exactly the text that was written.
 */
import type { LineCounter } from 'yaml';
import type { MappingDiagnostic, MoleculeMapping } from '../types';

/** A piece of the file text and where it sits (0-based offsets, end exclusive). */
export interface Token {
  text: string;
  start: number;
  end: number;
}

export interface MappingEntry {
  /** Position in the `atoms` mapping as written. */
  order: number;
  key: Token;
  value: Token | null;
  /** Start/end of the whole `KEY: VALUE` text. */
  start: number;
  end: number;
  line: number;
  names: Token[];
  beads: Token[];
  fields: { token: Token; parts: Token[] }[];
  /** Per bead: the part that supplied the rule (last match wins), null when none. */
  ruleParts: (Token | null)[];
  /** Index into molecule.atoms; -1 when the entry is invalid or overridden by a later duplicate key. */
  atom: number;
  /** True when a later duplicate key replaces this entry's value. */
  overridden: boolean;
}

export interface ParsedMapping {
  file: string;
  text: string;
  /** Best-effort compiled molecule (also when there are errors, for editor features); null without `atoms`. */
  molecule: MoleculeMapping | null;
  moleculeName: string | null;
  moleculeToken: Token | null;
  entries: MappingEntry[];
  diagnostics: MappingDiagnostic[];
  /** Whether any entry has a rule (HEroBM hierarchy present). */
  hasRules: boolean;
  /** Max reconstructed atoms in any bead of this file. */
  fileSlots: number;
  lineCounter: LineCounter;
}

export interface ParseOptions {
  /** R of the enclosing set (W4); defaults to this file's own maximum. */
  maxSlots?: number;
  /** CGmap run-time option `weigth_based_on`: 'same' weighs every atom 1 instead of its mass. */
  weightBasedOn?: 'mass' | 'same';
  /** HEroBM `ignore_hydrogens`: entries whose alternatives all start with H lose their rule. */
  ignoreHydrogens?: boolean;
}
