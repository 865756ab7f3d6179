/**
 * In-memory molecular structure, struct-of-arrays so that 1M-atom systems stay compact and fast.
 * Coordinates are always in Ångström (GRO/XTC readers convert from nm).
 */
export interface AtomTable {
  count: number;
  serial: Int32Array;
  name: string[]; // atom name, trimmed (PDB columns 13-16)
  altLoc: string[]; // '' when none
  resName: string[];
  chainId: string[]; // '' when none (GRO has none)
  resSeq: Int32Array;
  iCode: string[]; // '' when none
  element: string[]; // upper-case symbol, '' when unknown
  occupancy: Float32Array;
  bFactor: Float32Array;
  hetero: Uint8Array; // 1 for HETATM
  segId: string[];
  /** 1-based line in the source file (0 when the structure was built in memory). */
  sourceLine: Int32Array;
}

/** Periodic box in Å: lengths and angles (degrees); `null` when the file has none. */
export interface Box {
  a: number;
  b: number;
  c: number;
  alpha: number;
  beta: number;
  gamma: number;
}

export interface Structure {
  /** Path or label of the source, used in messages. */
  source: string;
  title: string;
  atoms: AtomTable;
  /** xyz of model 0, length 3 * atoms.count. */
  coords: Float64Array;
  /** All models (coords === models[0]); length 1 for single-model files. */
  models: Float64Array[];
  box: Box | null;
}

/** A contiguous run of atoms sharing chain, residue number, insertion code and residue name. */
export interface Residue {
  index: number;
  chainId: string;
  resSeq: number;
  iCode: string;
  resName: string;
  start: number; // first atom index
  end: number; // one past last atom index
}

/** One frame of a trajectory, coordinates in Å. */
export interface Frame {
  index: number;
  time: number; // ps
  step: number;
  coords: Float32Array | Float64Array; // 3 * natoms
  box: Box | null;
}
