/** Reference data (../shared) and structure helpers shared by the forward-mapping, reconstruction and template tests. */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Structure } from '../../src/core/structure/types';
import { readStructureFile } from '../../src/core/structure/read';
import { InputError } from '../../src/core/errors';
import { chainAtomFilter } from '../../src/core/forward';
import type { CgSystem } from '../../src/core/cg';
import { reconstructionTopology } from '../../src/core/reconstruct';

export const REPO = resolve(__dirname, '..', '..');
export const SHARED_DATA = resolve(REPO, '..', 'shared', 'data');
export const HAVE_SHARED = existsSync(join(SHARED_DATA, 'splits'));

export function readTsv(path: string): Record<string, string>[] {
  const lines = readFileSync(path, 'utf8').split('\n').filter((l) => l.trim());
  const head = lines[0].split('\t');
  return lines.slice(1).map((l) => {
    const f = l.split('\t');
    return Object.fromEntries(head.map((h, i) => [h, f[i] ?? '']));
  });
}

/** A copy of `s` with only the atoms that pass `keep` (model 0). */
export function filterAtoms(s: Structure, keep: (i: number) => boolean): Structure {
  const a = s.atoms;
  const idx: number[] = [];
  for (let i = 0; i < a.count; i++) if (keep(i)) idx.push(i);
  const pick = <T>(arr: T[]): T[] => idx.map((i) => arr[i]);
  const n = idx.length;
  const coords = new Float64Array(3 * n);
  idx.forEach((i, k) => coords.set(s.coords.subarray(3 * i, 3 * i + 3), 3 * k));
  const typed = <T extends Int32Array | Float32Array | Uint8Array>(arr: T): T => {
    const out = new (arr.constructor as new (n: number) => T)(n);
    idx.forEach((i, k) => (out[k] = arr[i]));
    return out;
  };
  return {
    source: s.source,
    title: s.title,
    box: s.box,
    coords,
    models: [coords],
    atoms: {
      count: n,
      serial: typed(a.serial),
      name: pick(a.name),
      altLoc: pick(a.altLoc),
      resName: pick(a.resName),
      chainId: pick(a.chainId),
      resSeq: typed(a.resSeq),
      iCode: pick(a.iCode),
      element: pick(a.element),
      occupancy: typed(a.occupancy),
      bFactor: typed(a.bFactor),
      hetero: typed(a.hetero),
      segId: pick(a.segId),
      sourceLine: typed(a.sourceLine),
    },
  };
}

export const isHydrogen = (s: Structure, i: number): boolean => {
  const e = s.atoms.element[i];
  if (e) return e === 'H' || e === 'D';
  return /^\d*[HD]/.test(s.atoms.name[i]);
};

/**
 * Deviation (Å) of every reconstructed atom from the all-atom atom it was mapped from: pairs come from
 * `slotAtoms` (residue index, canonical name) → all-atom index.
 */
export function slotDeviations(
  system: CgSystem,
  slotAtoms: Int32Array,
  truth: Float64Array,
  recon: Float64Array,
): { devs: number[]; missing: number } {
  const R = system.set.maxSlots;
  const topo = reconstructionTopology(system);
  const want = new Map<string, number>();
  system.beads.forEach((b, i) => {
    const slots = b.molecule.beads[b.bead].slots;
    for (let j = 0; j < slots.length; j++) {
      const a = slotAtoms[i * R + j];
      if (a >= 0) want.set(`${b.residue}|${b.molecule.atoms[slots[j].atom].names[0]}`, a);
    }
  });
  const devs: number[] = [];
  let missing = 0;
  for (let o = 0; o < topo.count; o++) {
    const a = want.get(`${topo.residue[o]}|${topo.names[o]}`);
    if (a === undefined) continue;
    const dx = recon[3 * o] - truth[3 * a];
    const dy = recon[3 * o + 1] - truth[3 * a + 1];
    const dz = recon[3 * o + 2] - truth[3 * a + 2];
    const d = Math.sqrt(dx * dx + dy * dy + dz * dz);
    if (Number.isNaN(d)) missing++;
    else devs.push(d);
  }
  return { devs, missing };
}

export function median(xs: number[]): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Atoms of one chain as the split files name it (chain id, segment id or `g<k>`; see `chainAtomFilter`). */
export function selectChain(s: Structure, chain: string): Structure {
  const sel = chainAtomFilter(s, chain);
  return filterAtoms(s, (i) => sel[i] === 1);
}

/** Reads a structure; null when the reader rejects the file (a few shared files have duplicate atoms). */
export function tryRead(path: string): Structure | null {
  try {
    return readStructureFile(path);
  } catch (e) {
    if (e instanceof InputError) return null;
    throw e;
  }
}
