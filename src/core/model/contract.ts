/**
 * The ONNX contract between training/model.py (export) and the runtime (runner.ts). Binding for every model.
 *
 * inputs   pos        float32 [N,3]  bead positions, Å
 *          bead_type  int64   [N]    type id from the mapping set's bead_types table
 *          nbr        int64   [N,K]  neighbour bead indices within the card's cutoff, nearest first (ties: lower
 *                                     index), at most card.K, padded with the bead's OWN index
 *          nbr_mask   float32 [N,K]  1 real neighbour, 0 padding
 *          res_offset int64   [N,K]  clamp(res[j] - res[i], -3, 3) + 3; 7 when j is in another chain; 3 on padding
 * outputs  vectors    float32 [N,R,3] one vector per hierarchical slot (R = set.maxSlots), fed to `reconstruct`
 *          torsions   float32 [N,4]   cos φ, sin φ, cos ψ, sin ψ of the bead's residue
 * K is dynamic (1..card.K): padding columns contribute exactly zero, so any K ≥ the largest neighbour count gives
 * the same result. K is never 0 (onnxruntime fails on an empty edge axis), so a bead without neighbours gets one
 * padding column.
 */
import { cellListNeighbors } from '../geometry/neighbors';
import type { CgSystem } from '../cg';

export const MODEL_INPUTS = ['pos', 'bead_type', 'nbr', 'nbr_mask', 'res_offset'] as const;
export const MODEL_OUTPUTS = ['vectors', 'torsions'] as const;
export const RES_OFFSET_CLAMP = 3;
export const RES_OFFSET_OTHER_CHAIN = 7;
export const RES_OFFSET_PAD = RES_OFFSET_CLAMP; // offset 0: the bead itself
export const NUM_RES_OFFSETS = 8;

/** Residue-offset class of the edge i -> j. */
export function encodeResOffset(resI: number, resJ: number, chainI: number, chainJ: number): number {
  if (chainI !== chainJ) return RES_OFFSET_OTHER_CHAIN;
  const d = resJ - resI;
  return Math.max(-RES_OFFSET_CLAMP, Math.min(RES_OFFSET_CLAMP, d)) + RES_OFFSET_CLAMP;
}

export interface ModelAccuracyRow {
  rmsd_bb: { median: number; mean: number };
  rmsd_sc: { median: number; mean: number };
  rmsd_all: { median: number; mean: number };
  chains: number;
  [extra: string]: unknown;
}

/** `models/<id>.json`, written by training/export.py (accuracy by bench/accuracy.ts). */
export interface ModelCard {
  id: string;
  format: string;
  description?: string;
  /**
   * The mapping set the model reads, pinned by its content hash; `trainedWithHash` keeps the hash of the set as it was
   * at training time where the set has since grown by other molecules (bead-type ids unchanged, tested).
   */
  mapping: {
    id: string;
    hash: string;
    trainedWithHash?: string;
    /**
     * The set's files (name → text), for a model trained on a mapping folder of the user's (`backmap train`): the
     * model then carries its mapping and runs wherever the card goes (`mappingSetOfCard`). Absent on shipped models,
     * whose set is bundled.
     */
    files?: Record<string, string>;
  };
  /**
   * Residue names the model was trained on. When present, the model backmaps only those molecules (or another
   * protonation state of one), even where its bead types would cover more (martini3-lipids leaves out CHL1, whose
   * mapping changed after its training).
   */
  molecules?: string[];
  /** Type id -> idname(s) (`MOL_BEAD`, several joined with `|` when they share an id). */
  beadTypes: string[];
  numTypes: number;
  R: number;
  maxLevel?: number;
  cutoff: number;
  K: number;
  resOffsetEncoding?: string;
  architecture?: Record<string, unknown>;
  /** Å; overrides layers × cutoff as the halo of inference chunks. */
  receptiveField?: number;
  inputs: { name: string; type: string; shape: (string | number)[] }[];
  outputs: { name: string; type: string; shape: (string | number)[] }[];
  opset: number;
  onnx: { file: string; sha256: string; bytes: number };
  training?: Record<string, unknown>;
  reference?: string;
  accuracy?: Record<string, unknown> | null;
  /**
   * Molecule classes the model was trained on (`amino-acid` when absent). A model of lipids and sterols was trained
   * with every molecule as its own chain (`modelInputSystem`).
   */
  moleculeKinds?: string[];
  /**
   * What the model takes and gives, for chains of stages (`backmap --model a.onnx --then b.onnx`). Absent on cards
   * of whole-residue mappings: they take the beads of their mapping set and give all atoms (`cardStage`).
   */
  stage?: { takes: StageInput; gives: StageOutput };
  /** A UCG stage's mapping (docs/ucg-mapping.md) and the residues it rebuilds, in output order (src/core/ucg). */
  ucg?: UcgCardInfo;
  /**
   * Hydrogen templates per molecule (mapping molecule name), in the training topology's order of hydrogens: what
   * `backmap train` measured on the user's frames for every hydrogen the model does not rebuild
   * (src/core/training/hydrogen-templates.ts), placed by `placeTemplateHydrogens` (src/core/ligand-hydrogens.ts).
   */
  hydrogens?: Record<string, HydrogenTemplate[]>;
}

/**
 * One hydrogen in internal coordinates from heavy atoms the model rebuilds: H bonded to `parent` at `bond` Å, angle
 * ref1–parent–H `angle`°, dihedral ref2–ref1–parent–H `dihedral`° (IUPAC sign; NeRF `placeAtom(ref2, ref1, parent)`).
 */
export interface HydrogenTemplate {
  name: string;
  element: string;
  parent: string;
  ref1: string;
  ref2: string;
  bond: number;
  angle: number;
  dihedral: number;
}

/** Why a card's `hydrogens` field cannot be used (a message naming the entry), or null when it is absent or well formed. */
export function cardHydrogensProblem(card: Pick<ModelCard, 'hydrogens'>): string | null {
  const h = card.hydrogens as unknown;
  if (h === undefined) return null;
  if (!h || typeof h !== 'object' || Array.isArray(h)) return '"hydrogens" is not an object of molecule name → list of hydrogens';
  for (const [mol, list] of Object.entries(h as Record<string, unknown>)) {
    if (!Array.isArray(list)) return `"hydrogens.${mol}" is not a list`;
    for (let k = 0; k < list.length; k++) {
      const t = list[k] as Record<string, unknown> | null;
      const where = `"hydrogens.${mol}[${k}]"`;
      if (!t || typeof t !== 'object') return `${where} is not an object`;
      for (const f of ['name', 'element', 'parent', 'ref1', 'ref2'] as const) if (typeof t[f] !== 'string' || !t[f]) return `${where} lacks "${f}" (a name)`;
      for (const f of ['bond', 'angle', 'dihedral'] as const) if (typeof t[f] !== 'number' || !Number.isFinite(t[f])) return `${where} lacks "${f}" (a number)`;
      if (!((t.bond as number) > 0.5 && (t.bond as number) < 2)) return `${where}: bond ${String(t.bond)} Å is not a bond to hydrogen`;
    }
  }
  return null;
}

/** `ucg`: beads of a UCG mapping; `ca`: a C-alpha trace; `beads:<set id>`: the beads of a whole-residue mapping set. */
export type StageInput = string;
/** `ca`: a C-alpha trace; `atoms`: heavy atoms. */
export type StageOutput = 'ca' | 'atoms';

export interface UcgCardInfo {
  /** File name and text of the UCG mapping the model was trained with (its hash is `mapping.hash`). */
  file: string;
  text: string;
  target: StageOutput;
  residues: { chainId: string; resSeq: number; iCode: string; resName: string; bead: number }[];
}

/** What a model takes and gives: the card's `stage`, else its mapping set's beads → atoms (`ca` for the C-alpha set). */
export function cardStage(card: ModelCard): { takes: StageInput; gives: StageOutput } {
  if (card.stage) return card.stage;
  return { takes: card.mapping.id === 'ca' ? 'ca' : `beads:${card.mapping.id}`, gives: 'atoms' };
}

/** Words for a stage end, for messages and reports. */
export function describeStageEnd(kind: string): string {
  if (kind === 'ucg') return 'UCG beads';
  if (kind === 'ca') return 'a C-alpha trace';
  if (kind === 'atoms') return 'all heavy atoms';
  if (kind.startsWith('beads:')) return `the beads of mapping '${kind.slice(6)}'`;
  return kind;
}

/** Molecule classes a card's model takes (cards written before the field: amino acids). */
export function modelMoleculeKinds(card: ModelCard): string[] {
  return card.moleculeKinds?.length ? card.moleculeKinds : ['amino-acid'];
}

/**
 * The system as the model was trained to see it: models of separate small molecules (lipids, sterols) were trained
 * with each molecule as its own chain, so that the residue-offset feature never links two molecules; protein models
 * see chains as they are.
 */
export function modelInputSystem(card: ModelCard, system: CgSystem): CgSystem {
  return modelMoleculeKinds(card).includes('amino-acid') ? system : moleculesAsChains(system);
}

/** A copy of a system in which every residue is its own chain (molecules are not sequence neighbours). */
export function moleculesAsChains(system: CgSystem): CgSystem {
  return { ...system, residues: system.residues.map((r, i) => ({ ...r, chainIndex: i })) };
}

/** Message-passing layers of a model, from its card (undefined when the card does not say). */
export function modelLayers(card: ModelCard): number | undefined {
  const arch = card.architecture ?? {};
  const layers = Number(arch.layers ?? arch.num_layers ?? arch.numLayers ?? arch.n_layers ?? (card as { layers?: unknown }).layers ?? NaN);
  return Number.isInteger(layers) && layers >= 0 ? layers : undefined;
}

/** Receptive field of a message-passing model: layers × cutoff (Å), from the model card. */
export function receptiveField(card: ModelCard): number {
  if (typeof card.receptiveField === 'number') return card.receptiveField;
  const arch = card.architecture ?? {};
  const layers = modelLayers(card) ?? NaN;
  const cutoff = Number(card.cutoff ?? arch.cutoff ?? NaN);
  if (Number.isFinite(layers) && Number.isFinite(cutoff)) return layers * cutoff;
  // A card without its depth: assume a deep model (6 layers) rather than risk a halo that is too small.
  return 6 * (Number.isFinite(cutoff) ? cutoff : 10);
}

export interface ModelGraph {
  n: number;
  k: number;
  nbr: BigInt64Array; // n*k
  mask: Float32Array; // n*k
  resOffset: BigInt64Array; // n*k
  edges: number;
}

/**
 * Builds the padded neighbour matrix of the contract with the cell-list search (nearest first, self excluded).
 * `k` is the largest neighbour count (at least 1, at most maxK).
 */
export function buildGraph(
  pos: Float32Array | Float64Array,
  resIndex: ArrayLike<number>,
  chainIndex: ArrayLike<number>,
  cutoff: number,
  maxK: number,
  source = 'coordinates',
): ModelGraph {
  const n = pos.length / 3;
  const nl = cellListNeighbors(pos, cutoff, maxK, source);
  let k = 1;
  let edges = 0;
  for (let i = 0; i < n; i++) {
    if (nl.count[i] > k) k = nl.count[i];
    edges += nl.count[i];
  }
  const mask = new Float32Array(n * k);
  const K = nl.maxNeighbors;
  const nbr = new BigInt64Array(n * k);
  const resOffset = new BigInt64Array(n * k);
  // The int64 inputs are written as int32 low words (int64Words): a BigInt made per element cost more than the
  // neighbour search itself.
  const nbrW = int64Words(nbr);
  const offW = int64Words(resOffset);
  for (let i = 0; i < n; i++) {
    const ri = resIndex[i];
    const ci = chainIndex[i];
    const m = nl.count[i];
    let o = i * k;
    for (let c = 0; c < m; c++, o++) {
      const j = nl.index[i * K + c];
      nbrW[2 * o] = j;
      mask[o] = 1;
      offW[2 * o] = encodeResOffset(ri, resIndex[j], ci, chainIndex[j]);
    }
    for (let c = m; c < k; c++, o++) {
      nbrW[2 * o] = i;
      offW[2 * o] = RES_OFFSET_PAD;
    }
  }
  if (!nbrW.length) {
    // Big-endian machine: widen with BigInt (the int32 views were not used).
    for (let o = 0; o < n * k; o++) {
      const i = Math.floor(o / k);
      const c = o - i * k;
      const j = c < nl.count[i] ? nl.index[i * K + c] : i;
      nbr[o] = BigInt(j);
      resOffset[o] = BigInt(c < nl.count[i] ? encodeResOffset(resIndex[i], resIndex[j], chainIndex[i], chainIndex[j]) : RES_OFFSET_PAD);
    }
  }
  return { n, k, nbr, mask, resOffset, edges };
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * An int32 view of an int64 array: word 2i is the low word of element i, so writing a non-negative value there (the
 * high word staying 0) stores it. Empty on a big-endian machine, where the caller stores BigInts instead.
 */
export function int64Words(a: BigInt64Array): Int32Array {
  return LITTLE_ENDIAN ? new Int32Array(a.buffer, a.byteOffset, 2 * a.length) : new Int32Array(0);
}
