/**
 * Shape of a generated force-field table (`amber99sb-ildn.ts`, written by scripts/forcefield/make-amber.ts from a
 * GROMACS port). Units are GROMACS's: nm, degrees, kJ/mol, elementary charges.
 */

/** A periodic torsion term: phase (degrees), k (kJ/mol), multiplicity. */
export type TorsionTerm = [phase: number, k: number, n: number];

export interface ResidueTopology {
  /** name, atom type, charge. */
  atoms: [name: string, type: string, charge: number][];
  /** Bonds by atom name; `-C` / `+N` name the previous / next residue's atom. */
  bonds: [string, string][];
  /** Improper torsions by atom name (third atom central, as the `.rtp` lists them). */
  impropers: [string, string, string, string][];
  /** Torsions the residue sets itself (the ILDN side-chain terms): they replace the type-based ones on those atoms. */
  dihedrals: [string, string, string, string, phase: number, k: number, n: number][];
}

export interface AmberTable {
  fudgeLJ: number;
  fudgeQQ: number;
  /** Lennard-Jones per atom type: sigma (nm), epsilon (kJ/mol). */
  types: Record<string, [sigma: number, epsilon: number]>;
  /** 'T1 T2' → b0 (nm), kb (kJ/mol/nm²), for V = kb/2 (b − b0)². */
  bonds: Record<string, [b0: number, kb: number]>;
  /** 'T1 T2 T3' → θ0 (degrees), kθ (kJ/mol/rad²), for V = kθ/2 (θ − θ0)². */
  angles: Record<string, [theta0: number, k: number]>;
  /** Proper torsion types (X = any), each with its terms, in file order. */
  propers: [string, string, string, string, TorsionTerm[]][];
  /** Improper torsion types (periodic, X = any), in file order. */
  impropers: [string, string, string, string, TorsionTerm[]][];
  residues: Record<string, ResidueTopology>;
}
