/**
 * Periodic boundaries for whole systems: molecules broken across a rectangular box are made whole before mapping
 * or backmapping, and put back in the box after (centre inside, molecule whole). Molecules are residues, except
 * amino acids: consecutive ones of a chain form one molecule (a protein chain).
 */
import type { Structure } from '../structure/types';
import { residuesOf } from '../structure/builder';
import { AMINO_ACID_NAMES } from '../chemistry/variants';
import { checkFrameFinite, frameSource, selectFrames, type FrameRange } from '../trajectory/frames';
import * as trajectoryIo from '../trajectory/index';
import { connectedWithin, joinByImages, rectangularBoxLengths, spansHalfBox } from '../geometry/pbc';

export { rectangularBoxLengths };

/** Atom ranges of the molecules of a structure (residue runs; amino acids joined per chain while numbers increase). */
export function moleculeRanges(s: Structure): { start: number; end: number }[] {
  const out: { start: number; end: number }[] = [];
  let prev: ReturnType<typeof residuesOf>[number] | null = null;
  for (const r of residuesOf(s.atoms)) {
    const chained =
      prev !== null && AMINO_ACID_NAMES.has(r.resName) && AMINO_ACID_NAMES.has(prev.resName) && prev.chainId === r.chainId && r.resSeq > prev.resSeq;
    if (chained) out[out.length - 1].end = r.end;
    else out.push({ start: r.start, end: r.end });
    prev = r;
  }
  return out;
}

const image = (d: number, l: number) => Math.round(d / l) * l;

/** Atoms within this many Å of each other count as joined (longer than any covalent bond). */
const BOND_REACH = 2.5;
/** First atoms of consecutive amino acids this close are already joined (N to N is at most about 3.9 Å). */
const CHAIN_REACH = 6;

/**
 * Makes the molecules of `s` whole in place (coordinates of model 0): a residue in pieces is joined by images
 * (`joinByImages`: bond by bond from its first atom), and each residue of a protein chain goes to the image nearest
 * the previous one (consecutive numbers only). A residue already in one piece (atoms joined within BOND_REACH), or
 * one whose first atom is within CHAIN_REACH of the previous one's, is left as it is, however large its box. Returns,
 * per molecule of `moleculeRanges(s)`, 1 when an atom moved. No-op without a rectangular box.
 */
export function makeWhole(s: Structure, coords: Float64Array = s.coords): { molecules: { start: number; end: number }[]; moved: Uint8Array } {
  const molecules = moleculeRanges(s);
  const moved = new Uint8Array(molecules.length);
  const L = rectangularBoxLengths(s.box);
  if (!L) return { molecules, moved };
  const residues = residuesOf(s.atoms);
  const bondReach = Math.min(BOND_REACH, Math.min(...L) / 2);
  const chainReach = Math.min(CHAIN_REACH, Math.min(...L) / 2);
  let m = 0;
  let prevFirst = -1;
  let prevSeq = 0;
  for (const r of residues) {
    while (m < molecules.length && molecules[m].end <= r.start) {
      m++;
      prevFirst = -1;
    }
    // Only the next residue (number + 1) follows its neighbour's image: across a gap in the chain the residues
    // may be far apart (a small crystal cell), and are left where they are.
    if (r.resSeq !== prevSeq + 1) prevFirst = -1;
    prevSeq = r.resSeq;
    const a0 = r.start;
    const atoms = Int32Array.from({ length: r.end - r.start }, (_, i) => r.start + i);
    if (spansHalfBox(coords, atoms, L) && !connectedWithin(coords, atoms, BOND_REACH) && joinByImages(coords, atoms, L, bondReach) > 0) moved[m] = 1;
    if (prevFirst >= 0 && !connectedWithin(coords, [prevFirst, a0], chainReach))
      for (let k = 0; k < 3; k++) {
        const sh = image(coords[3 * a0 + k] - coords[3 * prevFirst + k], L[k]);
        if (sh !== 0) {
          for (let i = r.start; i < r.end; i++) coords[3 * i + k] -= sh;
          moved[m] = 1;
        }
      }
    prevFirst = a0;
  }
  return { molecules, moved };
}

/** Shift that puts a centroid inside [0, L) on each axis (a multiple of the box lengths). */
export function intoBoxShift(cx: number, cy: number, cz: number, L: [number, number, number]): [number, number, number] {
  return [-Math.floor(cx / L[0]) * L[0], -Math.floor(cy / L[1]) * L[1], -Math.floor(cz / L[2]) * L[2]];
}

/** Moves the atoms `idx` (one molecule) by box vectors so that their centroid is inside the box. */
export function wrapIntoBox(coords: Float64Array, idx: ArrayLike<number>, L: [number, number, number]): void {
  if (!idx.length) return;
  let x = 0;
  let y = 0;
  let z = 0;
  for (let k = 0; k < idx.length; k++) {
    const i = idx[k];
    x += coords[3 * i];
    y += coords[3 * i + 1];
    z += coords[3 * i + 2];
  }
  const n = idx.length;
  const [sx, sy, sz] = intoBoxShift(x / n, y / n, z / n, L);
  if (sx === 0 && sy === 0 && sz === 0) return;
  for (let k = 0; k < idx.length; k++) {
    const i = idx[k];
    coords[3 * i] += sx;
    coords[3 * i + 1] += sy;
    coords[3 * i + 2] += sz;
  }
}

/**
 * The selected frames of a structure (its models, or a trajectory of it), each checked finite and made whole in its
 * box, in one reused buffer: the caller copies what it keeps. `src` names the frames' file in messages.
 */
export function* wholeFrames(top: Structure, trajectory: string | undefined, range: FrameRange): Generator<{ index: number; coords: Float64Array }> {
  const src = trajectory ?? top.source;
  const work: Structure = { ...top, coords: new Float64Array(top.coords.length), models: [] };
  work.models = [work.coords];
  for (const frame of selectFrames(frameSource(top, trajectory, trajectoryIo), range)) {
    checkFrameFinite(top, frame.coords, frame.index, src);
    work.coords.set(frame.coords);
    work.box = frame.box ?? top.box;
    makeWhole(work, work.coords);
    yield { index: frame.index, coords: work.coords };
  }
}
