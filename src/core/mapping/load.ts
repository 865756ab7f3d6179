/**
 * Mapping sets (docs/mapping-format.md, "Mapping sets" and "Bead types"): a folder of mapping YAML files plus `bead_types*.yaml`. Loads, validates at
 * folder level, assigns bead-type ids as CGmap does (unknown idnames get max+1 in load order — but the file is never
 * written back), merges same-molecule files as configurations and pins the content with a hash.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { LineCounter, Pair, Scalar, isMap, isScalar, parseDocument } from 'yaml';
import { InputError } from '../errors';
import type { Structure } from '../structure/types';
import { CODES } from './codes';
import { compiledSetFile, readCompiledSet, type FolderFingerprint } from './compiled';
import { parseMappingDocument, type ParsedMapping } from './parse';
import type { MappingDiagnostic, MappingSet, MoleculeMapping, SourceSpan } from './types';
import { resolvePlain } from './yaml11';

export interface LoadOptions {
  /** Bead-types file name inside the folder (CGmap's `--bead-types-filename`); default `bead_types.yaml`. */
  beadTypesFile?: string;
  /** Also throw on warnings (silent mis-mappings). */
  strict?: boolean;
  /** Run-time options of CGmap/HEroBM that change the decoding (see ParseOptions). */
  weightBasedOn?: 'mass' | 'same';
  ignoreHydrogens?: boolean;
}

export interface FolderReport {
  files: { file: string; diagnostics: MappingDiagnostic[] }[];
  folderDiagnostics: MappingDiagnostic[];
}

export interface ValidateOptions extends LoadOptions {
  /** All-atom reference: atoms of each mapped residue that the mapping misses are reported (X9/X11). */
  reference?: Structure;
  /** Editor buffers that override files on disk (absolute path → text). */
  overrides?: Map<string, string>;
  /** Reused parses keyed by path (valid while the text is identical): keeps re-analysis after one edit cheap. */
  parseCache?: Map<string, ParsedMapping>;
  /** Skip the content hash (editor analyses do not need it); `set.hash` is then ''. */
  skipHash?: boolean;
}

export interface FolderAnalysis {
  folder: string;
  parsed: ParsedMapping[];
  beadTypesPath: string | null;
  beadTypes: Map<string, number>;
  beadTypesSpans: Map<string, SourceSpan>;
  numTypes: number;
  maxSlots: number;
  report: FolderReport;
  set: MappingSet | null;
}

const MAPPING_EXT = /\.ya?ml$/i;

/** `<repo>/mappings`, found by walking up from this module (works from src/core/mapping under tsx and from dist/). */
export function bundledMappingsRoot(): string {
  const starts = [typeof __dirname !== 'undefined' ? __dirname : process.cwd(), process.cwd()];
  for (const s of starts) {
    let d = resolve(s);
    for (;;) {
      const cand = join(d, 'mappings');
      if (existsSync(join(d, 'package.json')) && existsSync(cand) && statSync(cand).isDirectory()) return cand;
      const up = dirname(d);
      if (up === d) break;
      d = up;
    }
  }
  return join(resolve(starts[0]), '..', '..', '..', 'mappings');
}

export function listBundledMappingSets(): string[] {
  const root = bundledMappingsRoot();
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .filter((n) => !n.startsWith('.') && statSync(join(root, n)).isDirectory())
    .sort();
}

/**
 * Resolve a bundled id (`martini3`, `ca`) or a folder path. `bundled`: the folder is a set directly under the
 * bundled mappings root, however it was named (its files are validated by the project's tests).
 */
export function resolveMappingFolder(idOrFolder: string): { id: string; folder: string; bundled: boolean } {
  const root = bundledMappingsRoot();
  const looksLikePath = isAbsolute(idOrFolder) || /[\\/]/.test(idOrFolder) || idOrFolder.startsWith('.');
  if (!looksLikePath) {
    const cand = join(root, idOrFolder);
    if (existsSync(cand) && statSync(cand).isDirectory()) return { id: idOrFolder, folder: cand, bundled: true };
  }
  const folder = resolve(idOrFolder);
  if (existsSync(folder) && statSync(folder).isDirectory()) {
    const rel = relative(root, folder);
    return { id: basename(folder), folder, bundled: !rel.startsWith('..') && rel.split(sep).length === 1 };
  }
  const known = listBundledMappingSets();
  throw new InputError(
    `no mapping set '${idOrFolder}': not a bundled set (${known.length ? known.join(', ') : 'none found'}) nor a folder`,
    idOrFolder,
  );
}

let lastBeadTypes: { file: string; text: string; result: ReturnType<typeof parseBeadTypesUncached> } | null = null;

/** Read a `bead_types*.yaml` table: flat `MOLECULE_BEAD: int` (memoised on the last file/text). */
export function parseBeadTypes(text: string, file: string): ReturnType<typeof parseBeadTypesUncached> {
  if (lastBeadTypes && lastBeadTypes.file === file && lastBeadTypes.text === text) {
    const r = lastBeadTypes.result;
    return { table: new Map(r.table), spans: new Map(r.spans), diagnostics: [...r.diagnostics] };
  }
  const result = parseBeadTypesUncached(text, file);
  lastBeadTypes = { file, text, result };
  return { table: new Map(result.table), spans: new Map(result.spans), diagnostics: [...result.diagnostics] };
}

function parseBeadTypesUncached(text: string, file: string): { table: Map<string, number>; spans: Map<string, SourceSpan>; diagnostics: MappingDiagnostic[] } {
  const lc = new LineCounter();
  const table = new Map<string, number>();
  const spans = new Map<string, SourceSpan>();
  const diagnostics: MappingDiagnostic[] = [];
  const span = (s: number, e: number): SourceSpan => ({ file, start: s, end: Math.max(e, s + 1), line: lc.linePos(s).line });
  const doc = parseDocument(text, { schema: 'failsafe', uniqueKeys: false, lineCounter: lc, prettyErrors: false, strict: false });
  for (const err of doc.errors) diagnostics.push({ code: 'X1', severity: 'error', message: `YAML syntax error in the bead-types file: ${err.message.split('\n')[0]}`, span: span(err.pos[0], err.pos[1]) });
  const top = doc.contents;
  if (top === null || (isScalar(top) && String(top.value ?? '') === '')) return { table, spans, diagnostics };
  if (!isMap(top)) {
    diagnostics.push({ code: 'X8', severity: 'error', message: 'The bead-types file must be a flat mapping `MOLECULE_BEAD: id`; CGmap crashes reading it.', span: span(0, Math.min(text.length, 1)) });
    return { table, spans, diagnostics };
  }
  for (const p of top.items as Pair[]) {
    const k = p.key as Scalar;
    const v = p.value as Scalar | null;
    const kr = k?.range ?? [0, 0];
    const key = isScalar(k) ? String(k.value ?? '') : null;
    const vs = isScalar(v) ? String(v.value ?? '') : null;
    const intLike = vs !== null && (v!.type === 'PLAIN' || v!.type === undefined) && resolvePlain(vs) === 'int' && /^[-+]?\d+$/.test(vs.replace(/_/g, ''));
    if (key === null || !intLike) {
      diagnostics.push({ code: 'X8', severity: 'error', message: `Bead-types entry \`${key ?? '?'}\` must map to an integer id; CGmap crashes or mis-indexes the embedding.`, span: span(kr[0], (v?.range ?? kr)[1]) });
      continue;
    }
    if (table.has(key)) diagnostics.push({ code: 'W15', severity: 'warning', message: `Duplicate bead type \`${key}\`: the last id wins.`, span: span(kr[0], kr[1]) });
    table.set(key, parseInt(vs!.replace(/_/g, ''), 10));
    spans.set(key, span(kr[0], kr[1]));
  }
  return { table, spans, diagnostics };
}

/** A folder's mapping files (YAML, not bead_types*) and the other plain files in it (E8), from its sorted entries. */
function folderEntries(folder: string, names: readonly string[]): { mappingFiles: string[]; strays: string[] } {
  const mappingFiles: string[] = [];
  const strays: string[] = [];
  for (const n of names) {
    const p = join(folder, n);
    let isDir: boolean;
    try { isDir = statSync(p).isDirectory(); } catch { continue; }
    if (isDir || n.startsWith('bead_types')) continue;
    (MAPPING_EXT.test(n) ? mappingFiles : strays).push(p);
  }
  return { mappingFiles, strays };
}

/** The set's content hash (model cards pin it): sha256 over (file name, normalised text) in name order. */
function setHash(files: (readonly [name: string, text: string])[]): string {
  const h = createHash('sha256');
  for (const [name, text] of [...files].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) h.update(name).update('\0').update(normalise(text)).update('\0');
  return h.digest('hex');
}

/** Entry names and content hash of a folder as `analyzeMappingFolder` sees it with default options (compiled sets). */
export function folderFingerprint(folder: string): FolderFingerprint {
  const names = readdirSync(folder).sort();
  const { mappingFiles } = folderEntries(folder, names);
  const table = join(folder, 'bead_types.yaml');
  const hashed = [...mappingFiles, ...(existsSync(table) ? [table] : [])];
  return { names, hash: setHash(hashed.map((p) => [basename(p), readFileSync(p, 'utf8')])) };
}

function normalise(text: string): string {
  return text.replace(/\r\n?/g, '\n').split('\n').map((l) => l.replace(/\s+$/, '')).join('\n').replace(/\n+$/, '') + '\n';
}

const fileSpan = (file: string): SourceSpan => ({ file, start: 0, end: 0, line: 1 });

/** Folder-level analysis shared by `loadMappingSet`, `validateMappingFolder` and the language server. */
export function analyzeMappingFolder(folder: string, opts: ValidateOptions = {}): FolderAnalysis {
  const folderDiagnostics: MappingDiagnostic[] = [];
  const fd = (code: string, message: string, span: SourceSpan, severity = CODES[code]?.severity ?? 'warning') =>
    folderDiagnostics.push({ code, severity, message, span });
  const names = readdirSync(folder).sort();
  const tableName = opts.beadTypesFile ?? 'bead_types.yaml';
  const { mappingFiles, strays } = folderEntries(folder, names);
  for (const p of strays)
    fd('E8', `\`${basename(p)}\` is in the mapping folder but is not a mapping YAML file; CGmap yaml.safe_loads EVERY file of the folder (except bead_types*) and crashes at load. Move it out of the folder.`, fileSpan(p));
  const read = (p: string) => opts.overrides?.get(p) ?? readFileSync(p, 'utf8');
  const texts = new Map<string, string>();
  const parsed: ParsedMapping[] = [];
  for (const p of mappingFiles) {
    const t = read(p);
    texts.set(p, t);
    const cached = opts.parseCache?.get(p);
    if (cached && cached.text === t) { parsed.push(cached); continue; }
    const fresh = parseMappingDocument(t, p, { maxSlots: Number.MAX_SAFE_INTEGER, weightBasedOn: opts.weightBasedOn, ignoreHydrogens: opts.ignoreHydrogens });
    opts.parseCache?.set(p, fresh);
    parsed.push(fresh);
  }
  const maxSlots = parsed.reduce((m, x) => Math.max(m, x.fileSlots), 0);
  // W4 needs the set's R: re-parse only files that have a level above it.
  for (let i = 0; i < parsed.length; i++) {
    const mol = parsed[i].molecule;
    if (mol && mol.beads.some((b) => b.maxLevel > maxSlots)) parsed[i] = parseMappingDocument(texts.get(mappingFiles[i])!, mappingFiles[i], { maxSlots, weightBasedOn: opts.weightBasedOn, ignoreHydrogens: opts.ignoreHydrogens });
  }
  for (const p of parsed) {
    // Files that are YAML but not mapping files (README.yaml, a list): E1 already says so; add E8 context.
    if (!p.moleculeName && p.diagnostics.some((d) => d.code === 'E1' && d.message.startsWith('The file is not'))) {
      fd('E8', `\`${basename(p.file)}\` is not a mapping file; CGmap loads every file of the folder and crashes.`, fileSpan(p.file));
    }
  }

  // A set that uses rules somewhere cannot backmap a residue whose file has none (HEroBM crashes mapping it).
  if (parsed.some((p) => p.hasRules)) {
    for (const p of parsed) {
      if (p.hasRules || !p.molecule || !p.moleculeToken || !p.molecule.beads.length) continue;
      for (const b of p.molecule.beads) {
        fd('E10', `Bead ${b.name} has no atom with a hierarchy rule, while other files of this set use rules; HEroBM crashes while mapping ${p.moleculeName} (ValueError: need at least one array to concatenate).`, b.span ?? fileSpan(p.file));
      }
    }
  }

  // Configurations (docs/mapping-format.md, "Mapping sets"): same molecule in several files; positional per bead.
  const byMol = new Map<string, ParsedMapping[]>();
  for (const p of parsed) if (p.moleculeName && p.molecule) {
    if (!byMol.has(p.moleculeName)) byMol.set(p.moleculeName, []);
    byMol.get(p.moleculeName)!.push(p);
  }
  for (const [mol, list] of byMol) {
    if (list.length < 2) continue;
    const first = list[0];
    for (const other of list.slice(1)) {
      const tok = other.moleculeToken!;
      fd('X10', `Molecule ${mol} is also declared in ${basename(first.file)}; CGmap merges the files as alternative configurations, matching atoms by position within each bead.`,
        { file: other.file, start: tok.start, end: tok.end, line: other.lineCounter.linePos(tok.start).line });
      const beadsA = first.molecule!.beads;
      const beadsB = other.molecule!.beads;
      const allBeads = new Set([...beadsA.map((b) => b.name), ...beadsB.map((b) => b.name)]);
      for (const b of allBeads) {
        const a = beadsA.find((x) => x.name === b)?.members.length ?? 0;
        const c = beadsB.find((x) => x.name === b)?.members.length ?? 0;
        if (a !== c) {
          const bb = beadsB.find((x) => x.name === b);
          const sp = bb?.span ?? { file: other.file, start: tok.start, end: tok.end, line: other.lineCounter.linePos(tok.start).line };
          fd('E9', `Bead ${mol}_${b} has ${c} atoms here but ${a} in ${basename(first.file)} (same molecule); CGmap asserts "Configurations for bead type ${mol}_${b} have different number of atoms" at load.`, sp);
        }
      }
    }
  }

  // Bead types (docs/mapping-format.md, "Bead types").
  const tablePath = join(folder, tableName);
  const beadTypes = new Map<string, number>();
  const beadTypesSpans = new Map<string, SourceSpan>();
  let beadTypesPath: string | null = null;
  let tableText = '';
  if (existsSync(tablePath)) {
    beadTypesPath = tablePath;
    tableText = read(tablePath);
    const bt = parseBeadTypes(tableText, tablePath);
    for (const [k, v] of bt.table) beadTypes.set(k, v);
    for (const [k, v] of bt.spans) beadTypesSpans.set(k, v);
    folderDiagnostics.push(...bt.diagnostics);
  }
  let maxId = beadTypes.size ? Math.max(...beadTypes.values()) : -1;
  const added: string[] = [];
  for (const p of parsed) {
    const mol = p.molecule;
    if (!mol || !p.moleculeName) continue;
    for (const b of mol.beads) {
      if (!beadTypes.has(b.idname)) {
        beadTypes.set(b.idname, ++maxId);
        added.push(b.idname);
        if (!beadTypesPath) continue; // reported once per file below
        fd('W17', `Bead type ${b.idname} is missing from ${beadTypesPath ? basename(beadTypesPath) : `${tableName} (absent)`}; CGmap adds it with id ${maxId} (max+1 in load order) and rewrites the file, so ids depend on the order files are listed.`, b.span ?? fileSpan(p.file));
      }
      b.typeId = beadTypes.get(b.idname)!;
    }
    if (!beadTypesPath && mol.beads.length) {
      const tok = p.moleculeToken!;
      fd('W17', `${tableName} is absent: CGmap creates it and numbers ${mol.beads.map((b) => b.idname).join(', ')} as ${mol.beads.map((b) => b.typeId).join(', ')} (max+1 in os.listdir order, which is arbitrary), so bead-type ids are not reproducible. Add ${tableName}.`,
        { file: p.file, start: tok.start, end: tok.end, line: p.lineCounter.linePos(tok.start).line });
    }
  }
  const countTypes = beadTypes.size;
  const maxIdAll = beadTypes.size ? Math.max(...beadTypes.values()) : -1;
  if (beadTypesPath && maxIdAll >= countTypes) {
    for (const [k, v] of beadTypes) {
      if (v >= countTypes && beadTypesSpans.has(k)) {
        fd('W17', `Bead type id ${v} (${k}) is ≥ the number of types (${countTypes} idnames): HEroBM sizes its type embedding by the number of idnames, so this id indexes past it.`, beadTypesSpans.get(k)!);
      }
    }
  }
  const numTypes = Math.max(countTypes, maxIdAll + 1);

  // Reference structure: atoms of mapped residues missing from the mapping (X9) and mapping atoms not in it (X11).
  if (opts.reference) checkReference(opts.reference, parsed, fd);

  const files = parsed.map((p) => ({ file: p.file, diagnostics: p.diagnostics }));
  const report: FolderReport = { files, folderDiagnostics };

  let set: MappingSet | null = null;
  const hasErr = folderDiagnostics.some((d) => d.severity === 'error') || parsed.some((p) => p.diagnostics.some((d) => d.severity === 'error'));
  if (!hasErr) {
    const molecules = new Map<string, MoleculeMapping>();
    const configurations = new Map<string, MoleculeMapping[]>();
    for (const [mol, list] of byMol) {
      molecules.set(mol, list[0].molecule!);
      configurations.set(mol, list.map((x) => x.molecule!));
    }
    const hashed = [...mappingFiles, ...(beadTypesPath ? [beadTypesPath] : [])];
    const hash = opts.skipHash ? '' : setHash(hashed.map((p) => [basename(p), p === beadTypesPath ? tableText : texts.get(p)!]));
    set = {
      id: basename(folder), folder, molecules, configurations, beadTypes, numTypes, maxSlots, hash,
      files: hashed,
      diagnostics: [...parsed.flatMap((p) => p.diagnostics), ...folderDiagnostics],
    };
  }
  return { folder, parsed, beadTypesPath, beadTypes, beadTypesSpans, numTypes, maxSlots, report, set };
}

/** PDB names with leading digits moved last, as CGmap matches them (1HB → HB1). */
export const cgmapAtomName = (n: string) => n.replace(/^(\d+)(.*)$/, '$2$1');

function checkReference(ref: Structure, parsed: ParsedMapping[], fd: (code: string, message: string, span: SourceSpan) => void) {
  const a = ref.atoms;
  const firstRes = new Map<string, { names: Set<string>; label: string }>();
  let i = 0;
  while (i < a.count) {
    let j = i + 1;
    while (j < a.count && a.resSeq[j] === a.resSeq[i] && a.chainId[j] === a.chainId[i] && a.iCode[j] === a.iCode[i] && a.resName[j] === a.resName[i]) j++;
    const rn = a.resName[i];
    if (!firstRes.has(rn)) {
      const names = new Set<string>();
      for (let k = i; k < j; k++) names.add(cgmapAtomName(a.name[k]));
      firstRes.set(rn, { names, label: `${rn} ${a.chainId[i] || '-'}${a.resSeq[i]}${a.iCode[i]}` });
    }
    i = j;
  }
  for (const p of parsed) {
    const mol = p.molecule;
    if (!mol || !p.moleculeName || !p.moleculeToken) continue;
    const res = firstRes.get(p.moleculeName);
    if (!res) continue;
    const tok = p.moleculeToken;
    const sp = { file: p.file, start: tok.start, end: tok.end, line: p.lineCounter.linePos(tok.start).line };
    const known = new Set(mol.atoms.flatMap((x) => x.names));
    const missing = [...res.names].filter((n) => !known.has(n));
    if (missing.length) {
      fd('X9', `Residue ${res.label} of ${basename(ref.source)} has atom${missing.length > 1 ? 's' : ''} ${missing.join(', ')} that this mapping does not list; CGmap drops ${missing.length > 1 ? 'them' : 'it'} silently ("Missing ${p.moleculeName}_${missing[0]} in mapping file") and the bead positions move.`, sp);
    }
    for (const [ai, at] of mol.atoms.entries()) {
      if (!at.names.some((n) => res.names.has(n))) {
        const e = p.entries.find((x) => x.atom === ai);
        const s2 = e ? { file: p.file, start: e.key.start, end: e.key.end, line: e.line } : sp;
        fd('X11', `None of ${at.names.map((n) => `\`${n}\``).join(', ')} occurs in residue ${res.label} of ${basename(ref.source)}; the atom gets weight 0 there.`, s2);
      }
    }
  }
}

/** Folder-level validation (E8, E9, W17, duplicate molecules, optional reference residue checks). */
export function validateMappingFolder(folder: string, opts: ValidateOptions = {}): FolderReport {
  return analyzeMappingFolder(resolve(folder), opts).report;
}

function formatErrors(diags: MappingDiagnostic[]): string {
  return diags.map((d) => `${d.span.file}:${d.span.line}: ${d.code} ${d.message}`).join('\n');
}

/**
 * Load a bundled id (`martini3`, `ca`) or a folder. Throws one `InputError` naming file:line of the first error and
 * listing all errors (and, with `strict`, warnings) in the message.
 */
export function loadMappingSet(idOrFolder: string, opts: LoadOptions = {}): MappingSet {
  const { id, folder, bundled } = resolveMappingFolder(idOrFolder);
  // A bundled set read with default options: the build's compiled form when it is what parsing would give.
  // (With `strict`, a set with warnings is parsed so that the refusal lists them as usual.)
  const defaults = opts.weightBasedOn === undefined && opts.ignoreHydrogens === undefined && opts.beadTypesFile === undefined;
  if (bundled && defaults) {
    const compiled = readCompiledSet(compiledSetFile(bundledMappingsRoot(), basename(folder)), folder, () => folderFingerprint(folder));
    if (compiled && !(opts.strict && compiled.diagnostics?.some((d) => d.severity !== 'information'))) {
      compiled.id = id;
      return compiled;
    }
  }
  const an = analyzeMappingFolder(folder, opts);
  const all = [...an.report.folderDiagnostics, ...an.report.files.flatMap((f) => f.diagnostics)];
  const bad = all.filter((d) => d.severity === 'error' || (opts.strict && d.severity === 'warning'));
  if (bad.length || !an.set) {
    bad.sort((a, b) => (a.span.file < b.span.file ? -1 : a.span.file > b.span.file ? 1 : a.span.start - b.span.start));
    const f = bad[0];
    throw new InputError(
      `mapping set '${id}' has ${bad.length} ${opts.strict ? 'problem' : 'error'}${bad.length === 1 ? '' : 's'} (HEroBM/CGmap would crash or mis-map):\n${formatErrors(bad)}`,
      f?.span.file ?? folder, f?.span.line,
    );
  }
  if (an.parsed.length === 0) throw new InputError(`mapping set '${id}' has no mapping files`, folder);
  an.set.id = id;
  return an.set;
}
