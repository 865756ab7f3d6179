/**
 * Compiled bundled mapping sets: the parsed `MappingSet` of each bundled set, written as JSON at build time
 * (`scripts/compile-mappings.ts`, run by esbuild.mjs into `dist/mapping-sets/<id>.json`), so that a one-off CLI run
 * reads one JSON file instead of parsing ~40 YAML files (issue 29: ~100 ms of a 0.5 s start-up).
 *
 * A compiled set is used only while it is exactly what parsing would give: its record holds the folder's file names
 * and the set's content hash, and the loader recomputes both from the files on disk (`folderFingerprint`, the
 * same hash `analyzeMappingFolder` computes); any difference (an edited, added or removed file, a stale build) falls
 * back to parsing. Paths inside the set (spans, `folder`, `files`) are stored relative to the set's folder and rebased
 * on load, so a compiled set works wherever the package is installed.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, sep } from 'node:path';
import type { MappingSet, MoleculeMapping } from './types';

/** Format version of the compiled record; a record of another version is ignored. */
const COMPILED_VERSION = 1;
const MAP_TAG = '$map';
/** Prefix of a path stored relative to the set's folder (NUL cannot occur in a path). */
const REL = '\u0000';

interface CompiledRecord {
  version: number;
  id: string;
  /** The folder's entry names, sorted (what `analyzeMappingFolder` lists). */
  names: string[];
  hash: string;
  /** The set with Maps tagged and paths relative; `molecules` is rebuilt from `configurations`. */
  set: unknown;
}

/** The folder's entry names and the set hash, as `analyzeMappingFolder` would compute them (default options). */
export interface FolderFingerprint {
  names: string[];
  hash: string;
}

/** JSON text of a parsed bundled set (build time). Throws when `molecules` is not each configuration list's head. */
export function encodeMappingSet(set: MappingSet, fingerprint: FolderFingerprint): string {
  for (const [name, m] of set.molecules)
    if (set.configurations.get(name)?.[0] !== m) throw new Error(`compiled mapping set '${set.id}': molecule ${name} is not its first configuration`);
  const prefix = set.folder.endsWith(sep) ? set.folder : set.folder + sep;
  const { molecules: _molecules, ...rest } = set;
  void _molecules;
  const record: CompiledRecord = { version: COMPILED_VERSION, id: set.id, names: fingerprint.names, hash: fingerprint.hash, set: rest };
  return JSON.stringify(record, (_key, value: unknown) => {
    if (value instanceof Map) return { [MAP_TAG]: [...value.entries()] };
    if (typeof value === 'string') {
      if (value === set.folder) return REL;
      if (value.startsWith(prefix)) return REL + value.slice(prefix.length);
    }
    if (typeof value === 'number' && !Number.isFinite(value)) throw new Error(`compiled mapping set '${set.id}': non-finite number`);
    return value;
  });
}

/**
 * The compiled set for `folder`, or null when there is none or it is not what parsing the folder would give now.
 * `fingerprint` is computed from the files on disk by the caller.
 */
export function readCompiledSet(file: string, folder: string, fingerprint: () => FolderFingerprint): MappingSet | null {
  if (!existsSync(file)) return null;
  let record: CompiledRecord;
  try {
    record = JSON.parse(readFileSync(file, 'utf8'), (_key, value: unknown) => {
      if (value && typeof value === 'object' && MAP_TAG in value) return new Map((value as Record<string, [unknown, unknown][]>)[MAP_TAG]);
      if (typeof value === 'string' && value.startsWith(REL)) return value === REL ? folder : join(folder, value.slice(1));
      return value;
    }) as CompiledRecord;
  } catch {
    return null; // a damaged build artefact: parse the YAML instead
  }
  if (record.version !== COMPILED_VERSION) return null;
  const now = fingerprint();
  if (now.hash !== record.hash || now.names.length !== record.names.length || now.names.some((n, i) => n !== record.names[i])) return null;
  const set = record.set as Omit<MappingSet, 'molecules'>;
  const molecules = new Map<string, MoleculeMapping>();
  for (const [name, list] of set.configurations) molecules.set(name, list[0]);
  return { ...set, molecules } as MappingSet;
}

/** Where the build writes the compiled form of bundled set `id`: `<package>/dist/mapping-sets/<id>.json`. */
export function compiledSetFile(bundledRoot: string, id: string): string {
  return join(bundledRoot, '..', 'dist', 'mapping-sets', `${id}.json`);
}
