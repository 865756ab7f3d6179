/**
 * What a file holds, read from its name: the one place that reads formats from names (inputs, outputs, file pickers,
 * trajectory readers and writers).
 */
import type { TrajectoryFormat } from '../trajectory/types';

export type StructureFormat = 'pdb' | 'gro' | 'cif';

/** What a file name says it holds; the one place that reads formats from names (inputs, outputs, pickers). */
export type FileFormat = { kind: 'structure'; format: StructureFormat; gzip: boolean } | { kind: 'trajectory'; format: TrajectoryFormat; gzip: false };

const STRUCTURE_EXTENSIONS: Record<string, StructureFormat> = { pdb: 'pdb', ent: 'pdb', gro: 'gro', cif: 'cif', mmcif: 'cif' };
const TRAJECTORY_EXTENSIONS: readonly string[] = ['xtc', 'trr', 'dcd'];
const EXTENSION = /\.([A-Za-z0-9]+)(\.gz)?$/i;

/** Structures `.pdb .ent .gro .cif .mmcif` (each optionally `.gz`), trajectories `.xtc .trr .dcd`; null otherwise. */
export function fileFormatOf(path: string): FileFormat | null {
  const m = EXTENSION.exec(path);
  if (!m) return null;
  const ext = m[1].toLowerCase();
  const gzip = !!m[2];
  if (ext in STRUCTURE_EXTENSIONS) return { kind: 'structure', format: STRUCTURE_EXTENSIONS[ext], gzip };
  if (!gzip && TRAJECTORY_EXTENSIONS.includes(ext)) return { kind: 'trajectory', format: ext as TrajectoryFormat, gzip: false };
  return null;
}

/** Format from a file name (`.pdb .ent .gro .cif .mmcif`, each optionally `.gz`); null when unknown. */
export function structureFormatOf(path: string): StructureFormat | null {
  const f = fileFormatOf(path);
  return f?.kind === 'structure' ? f.format : null;
}

/** Binary trajectory format from a file name (`.xtc .trr .dcd`); null when unknown. */
export function trajectoryFormatOf(path: string): TrajectoryFormat | null {
  const f = fileFormatOf(path);
  return f?.kind === 'trajectory' ? f.format : null;
}

/** The file name without its structure or trajectory extension (and `.gz`): `a/prot.cg.pdb.gz` → `prot.cg`. */
export function fileStem(path: string): string {
  const name = path.replace(/^.*[\\/]/, '');
  return fileFormatOf(name) ? name.replace(EXTENSION, '') : name;
}

/** Structure file extensions, without the dot, for file pickers. */
export const STRUCTURE_FILE_EXTENSIONS: readonly string[] = [...Object.keys(STRUCTURE_EXTENSIONS), 'gz'];
export const TRAJECTORY_FILE_EXTENSIONS: readonly string[] = TRAJECTORY_EXTENSIONS;
