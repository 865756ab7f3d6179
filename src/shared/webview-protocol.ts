/**
 * Messages between the extension and the Mol* comparison webview (`webview/main.ts`).
 *
 * Everything here is JSON-safe on purpose: VS Code's `postMessage` serialises with JSON (typed arrays
 * excepted), so undefined angles are `null`, never `NaN`. Both ends validate what they receive with
 * `isExtensionToWebview` / `isWebviewToExtension` because a webview is an untrusted boundary.
 */

import type { MoleculeClass } from '../core/pipeline/options';

export const LAYER_IDS = ['cg', 'backmapped', 'reference'] as const;
export type LayerId = (typeof LAYER_IDS)[number];

/**
 * Molecule classes the view shows and toggles: the engine's classes (`MoleculeClass`, src/core/pipeline/molecules.ts)
 * but Go virtual sites and unknown residues, which the view draws as ligands. The extension classifies every
 * residue name with the core's tables; the webview never guesses a class.
 */
export const VIEW_CLASSES = ['protein', 'lipid', 'sterol', 'ligand', 'water', 'ion'] as const satisfies readonly MoleculeClass[];
export type ViewClass = (typeof VIEW_CLASSES)[number];

/** Residue names of each class in one layer (only the classes present). */
export type LayerClasses = Partial<Record<ViewClass, string[]>>;

/**
 * One structure layer. Small structures travel inline (`data`); large ones as a webview URI
 * (`webview.asWebviewUri` of a file the extension wrote, or the user's own file) that the webview
 * fetches, so megabytes of PDB text never go through JSON.
 */
export interface LayerData {
  format: 'pdb' | 'cif';
  data?: string | Uint8Array;
  uri?: string;
  /** Shown in the layer toggle. */
  label?: string;
  /** Number of models (trajectory frames) in the data; 1 when absent. */
  models?: number;
  /** Atoms in one model (for the status line and the load-time report). */
  atoms?: number;
  /** Residue names per molecule class (absent: the view falls back to Mol*'s polymer/water/other entities). */
  classes?: LayerClasses;
}

export interface ResidueKey {
  chainId: string;
  resSeq: number;
  iCode: string;
}

/** Per-residue deviation of the backmapped structure from the reference (Å, after superposition). */
export interface PerResidueRow extends ResidueKey {
  resName: string;
  rmsd: number | null;
  rmsd_bb: number | null;
  rmsd_sc: number | null;
  /** The residue's class when it is not protein (the bars show protein residues; 3D colours every row). */
  class?: ViewClass;
}

/** Deviation of one non-protein class from the reference over its matched heavy atoms (the note under the bars). */
export interface ClassDeviation {
  class: ViewClass;
  residues: number;
  atoms: number;
  rmsd: number | null;
}

/** Residues of one name in a non-protein class (the line under the sequence strip: "POPC 128 · CHL1 30 · …"). */
export interface CompositionEntry {
  class: ViewClass;
  resName: string;
  count: number;
}

/** Backbone and side-chain torsions in degrees; `null` where undefined (termini, GLY χ1, …). */
export interface TorsionRow extends ResidueKey {
  resName: string;
  phi: number | null;
  psi: number | null;
  omega: number | null;
  chi1: number | null;
  chi2: number | null;
}

/**
 * A rigid transform applied to one layer: 4x4 matrix, column-major (Mol* `Mat4` layout:
 * rotation in elements 0-2/4-6/8-10, translation in 12-14).
 */
export interface LayerTransform {
  layer: LayerId;
  matrix: number[];
  /** CA RMSD after the fit, Å. */
  rmsd?: number;
  /** Number of matched CA pairs used. */
  matched?: number;
}

export interface ComparisonSummary {
  /** Heavy-atom RMSDs (Å) as the backmapping report defines them (see `definition`); `matched` counts matched heavy atoms. */
  rmsd_bb: number | null;
  rmsd_sc: number | null;
  rmsd_all: number | null;
  matched: number;
  /** How the RMSD was computed (what was superposed, how atoms were matched), shown as the header's tooltip. */
  definition?: string;
}

/** One residue of the sequence strip (polymer residues of the main layer, in file order). */
export interface SequenceResidue extends ResidueKey {
  resName: string;
}

/** Paths the extension needs to rebuild the payload after a window reload (kept in webview state). */
export interface ComparisonSource {
  cg?: string;
  backmapped?: string;
  reference?: string;
  [extra: string]: string | undefined;
}

export interface LoadMessage {
  type: 'load';
  title: string;
  layers: Partial<Record<LayerId, LayerData>>;
  perResidue: PerResidueRow[];
  torsions: { backmapped?: TorsionRow[]; reference?: TorsionRow[] };
  summary?: ComparisonSummary;
  /** Fit of one layer onto another on matched CA; applied when the user asks to superpose. */
  superposition?: LayerTransform;
  /**
   * Trajectory: `count` frames. When the layers hold all frames as models, the slider switches models;
   * with `streamed`, the webview asks for each frame with `requestFrame` and gets a `frame` message with new
   * layers; with `coordinates`, the layers are topologies and each `frame` message carries only coordinates.
   */
  frames?: FramesInfo;
  source?: ComparisonSource;
  /** Residues for the sequence strip (absent: no strip). */
  sequence?: SequenceResidue[];
  /** Non-protein residues of the main structure, per name (absent: protein only). */
  composition?: CompositionEntry[];
  /** Deviation per non-protein class (absent: no reference or protein only). */
  classDeviation?: ClassDeviation[];
  /** Set when no reference is loaded but one could be (the empty RMSD plot offers "Compare with reference…"). */
  canAddReference?: boolean;
}

export interface FramesInfo {
  count: number;
  current?: number;
  streamed?: boolean;
  coordinates?: boolean;
  labels?: string[];
}

/** Interleaved x,y,z (Å) of every atom of a layer, in the order of the layer's topology. */
export type LayerCoordinates = Float32Array | number[];

export interface FrameMessage {
  type: 'frame';
  index: number;
  layers: Partial<Record<LayerId, LayerData>>;
  /** Coordinate-mode trajectories: the frame's coordinates per layer. */
  coordinates?: Partial<Record<LayerId, LayerCoordinates>>;
  /** The frame's time or name, when the load message had no labels (e.g. "120 ps"). */
  label?: string;
  perResidue?: PerResidueRow[];
  torsions?: { backmapped?: TorsionRow[]; reference?: TorsionRow[] };
  summary?: ComparisonSummary;
  superposition?: LayerTransform;
  classDeviation?: ClassDeviation[];
}

export type ExtensionToWebview =
  | LoadMessage
  | FrameMessage
  | { type: 'highlightResidues'; residues: ResidueKey[]; focus?: boolean }
  | { type: 'setFrame'; index: number }
  | { type: 'setLayerVisible'; layer: LayerId; visible: boolean }
  /** Answer to `requestSuperpose`; `null` when no fit was possible (reason in `message`). */
  | { type: 'superpose'; transform: LayerTransform | null; message?: string }
  /** The extension is reading or computing what it will send next (the webview shows a spinner). */
  | { type: 'loading'; message: string }
  /** Nothing to show, and why (e.g. no topology chosen for a trajectory). */
  | { type: 'notice'; message: string };

export type WebviewToExtension =
  | { type: 'ready' }
  | { type: 'revealResidue'; residue: ResidueKey; layer: LayerId }
  | { type: 'requestSuperpose'; frame: number }
  | { type: 'requestFrame'; index: number }
  /** "Compare with reference…" from the view (the empty RMSD plot): the extension asks for a reference file. */
  | { type: 'requestReference' }
  | { type: 'error'; message: string; detail?: string }
  /** Sent after each load/frame finished drawing; `ms` from message receipt to first frame drawn. */
  | { type: 'rendered'; ms: number; atoms: number; layers: LayerId[]; frame: number };

// ---------------------------------------------------------------- runtime validation

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStr = (v: unknown): v is string => typeof v === 'string';
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isNumOrNull = (v: unknown): boolean => v === null || isNum(v);
const isBool = (v: unknown): v is boolean => typeof v === 'boolean';
const optional = (v: unknown, f: (x: unknown) => boolean): boolean => v === undefined || f(v);
const isArrayOf = (v: unknown, f: (x: unknown) => boolean): boolean => Array.isArray(v) && v.every(f);

export const isLayerId = (v: unknown): v is LayerId => isStr(v) && (LAYER_IDS as readonly string[]).includes(v);
export const isViewClass = (v: unknown): v is ViewClass => isStr(v) && (VIEW_CLASSES as readonly string[]).includes(v);

function isLayerClasses(v: unknown): boolean {
  return isObj(v) && Object.entries(v).every(([k, names]) => isViewClass(k) && isArrayOf(names, isStr));
}

const isClassDeviation = (v: unknown): boolean =>
  isObj(v) && isViewClass(v.class) && isInt(v.residues) && isInt(v.atoms) && isNumOrNull(v.rmsd);
const isCompositionEntry = (v: unknown): boolean => isObj(v) && isViewClass(v.class) && isStr(v.resName) && isInt(v.count);

export function isResidueKey(v: unknown): v is ResidueKey {
  return isObj(v) && isStr(v.chainId) && isInt(v.resSeq) && isStr(v.iCode);
}

export function isLayerData(v: unknown): v is LayerData {
  if (!isObj(v) || (v.format !== 'pdb' && v.format !== 'cif')) return false;
  const hasData = isStr(v.data) || v.data instanceof Uint8Array;
  const hasUri = isStr(v.uri) && v.uri.length > 0;
  // Exactly one source: both would be ambiguous, neither is nothing to show.
  if (hasData === hasUri) return false;
  if (v.data !== undefined && !hasData) return false;
  if (v.uri !== undefined && !hasUri) return false;
  return (
    optional(v.label, isStr) &&
    optional(v.models, (m) => isInt(m) && (m as number) >= 1) &&
    optional(v.atoms, (a) => isInt(a) && (a as number) >= 0) &&
    optional(v.classes, isLayerClasses)
  );
}

function isLayers(v: unknown): boolean {
  if (!isObj(v)) return false;
  return Object.entries(v).every(([k, d]) => isLayerId(k) && (d === undefined || isLayerData(d)));
}

export function isPerResidueRow(v: unknown): v is PerResidueRow {
  const o = v as unknown as Obj;
  return isResidueKey(v) && isStr(o.resName) && ['rmsd', 'rmsd_bb', 'rmsd_sc'].every((k) => isNumOrNull(o[k])) && optional(o.class, isViewClass);
}

export function isTorsionRow(v: unknown): v is TorsionRow {
  return isResidueKey(v) && isStr((v as unknown as Obj).resName) && ['phi', 'psi', 'omega', 'chi1', 'chi2'].every((k) => isNumOrNull((v as unknown as Obj)[k]));
}

function isTorsions(v: unknown): boolean {
  return isObj(v) && optional(v.backmapped, (x) => isArrayOf(x, isTorsionRow)) && optional(v.reference, (x) => isArrayOf(x, isTorsionRow));
}

export function isLayerTransform(v: unknown): v is LayerTransform {
  return (
    isObj(v) &&
    isLayerId(v.layer) &&
    isArrayOf(v.matrix, isNum) &&
    (v.matrix as number[]).length === 16 &&
    optional(v.rmsd, isNum) &&
    optional(v.matched, isInt)
  );
}

function isSummary(v: unknown): boolean {
  return isObj(v) && isNumOrNull(v.rmsd_bb) && isNumOrNull(v.rmsd_sc) && isNumOrNull(v.rmsd_all) && isInt(v.matched) && optional(v.definition, isStr);
}

const isSequenceResidue = (v: unknown): boolean => isResidueKey(v) && isStr((v as unknown as Obj).resName);

function isCoordinates(v: unknown): boolean {
  if (!isObj(v)) return false;
  return Object.entries(v).every(([k, c]) => isLayerId(k) && (c === undefined || c instanceof Float32Array || isArrayOf(c, isNum)) && (c === undefined || (c as ArrayLike<number>).length % 3 === 0));
}

function isFrames(v: unknown): boolean {
  return (
    isObj(v) &&
    isInt(v.count) &&
    (v.count as number) >= 1 &&
    optional(v.current, (c) => isInt(c) && (c as number) >= 0 && (c as number) < (v.count as number)) &&
    optional(v.streamed, isBool) &&
    optional(v.coordinates, isBool) &&
    optional(v.labels, (l) => isArrayOf(l, isStr))
  );
}

function isSource(v: unknown): boolean {
  return isObj(v) && Object.values(v).every((x) => x === undefined || isStr(x));
}

export function isExtensionToWebview(msg: unknown): msg is ExtensionToWebview {
  if (!isObj(msg)) return false;
  switch (msg.type) {
    case 'load':
      return (
        isStr(msg.title) &&
        isLayers(msg.layers) &&
        isArrayOf(msg.perResidue, isPerResidueRow) &&
        isTorsions(msg.torsions) &&
        optional(msg.summary, isSummary) &&
        optional(msg.superposition, isLayerTransform) &&
        optional(msg.frames, isFrames) &&
        optional(msg.source, isSource) &&
        optional(msg.sequence, (q) => isArrayOf(q, isSequenceResidue)) &&
        optional(msg.composition, (c) => isArrayOf(c, isCompositionEntry)) &&
        optional(msg.classDeviation, (c) => isArrayOf(c, isClassDeviation)) &&
        optional(msg.canAddReference, isBool)
      );
    case 'frame':
      return (
        isInt(msg.index) &&
        (msg.index as number) >= 0 &&
        isLayers(msg.layers) &&
        optional(msg.coordinates, isCoordinates) &&
        optional(msg.label, isStr) &&
        optional(msg.perResidue, (p) => isArrayOf(p, isPerResidueRow)) &&
        optional(msg.torsions, isTorsions) &&
        optional(msg.summary, isSummary) &&
        optional(msg.superposition, isLayerTransform) &&
        optional(msg.classDeviation, (c) => isArrayOf(c, isClassDeviation))
      );
    case 'highlightResidues':
      return isArrayOf(msg.residues, isResidueKey) && optional(msg.focus, isBool);
    case 'setFrame':
      return isInt(msg.index) && (msg.index as number) >= 0;
    case 'setLayerVisible':
      return isLayerId(msg.layer) && isBool(msg.visible);
    case 'superpose':
      return (msg.transform === null || isLayerTransform(msg.transform)) && optional(msg.message, isStr);
    case 'loading':
    case 'notice':
      return isStr(msg.message);
    default:
      return false;
  }
}

export function isWebviewToExtension(msg: unknown): msg is WebviewToExtension {
  if (!isObj(msg)) return false;
  switch (msg.type) {
    case 'ready':
      return true;
    case 'revealResidue':
      return isResidueKey(msg.residue) && isLayerId(msg.layer);
    case 'requestSuperpose':
      return isInt(msg.frame) && (msg.frame as number) >= 0;
    case 'requestFrame':
      return isInt(msg.index) && (msg.index as number) >= 0;
    case 'requestReference':
      return true;
    case 'error':
      return isStr(msg.message) && optional(msg.detail, isStr);
    case 'rendered':
      return isNum(msg.ms) && isInt(msg.atoms) && isArrayOf(msg.layers, isLayerId) && isInt(msg.frame);
    default:
      return false;
  }
}

/** Stable string key of a residue, used for maps on both sides. */
export const residueKeyString = (r: ResidueKey): string => `${r.chainId}|${r.resSeq}|${r.iCode}`;

/** `NaN`/`Infinity` → `null` so a number survives JSON. */
export const finiteOrNull = (x: number): number | null => (Number.isFinite(x) ? x : null);

/** Row-major 3x3 rotation + translation (as `kabsch` returns) → column-major 4x4 for Mol*. */
export function rigidToMat4(R: ArrayLike<number>, t: ArrayLike<number>): number[] {
  return [R[0], R[3], R[6], 0, R[1], R[4], R[7], 0, R[2], R[5], R[8], 0, t[0], t[1], t[2], 1];
}
