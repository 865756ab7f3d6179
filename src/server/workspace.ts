/**
 * Document state shared by every language feature: open documents, their parsed form, folder analyses and atom-name
 * templates, with caches keyed by content so repeated pulls are cheap. Everything is computed from the one mapping
 * parser and the folder analysis, so the editor shows exactly what HEroBM/CGmap will do (docs/mapping-format.md).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { readStructureFile } from '../core/structure/read';
import type { Structure } from '../core/structure/types';
import { analyzeMappingFolder, bundledMappingsRoot, type FolderAnalysis } from '../core/mapping/load';
import { parseMappingDocument, type ParsedMapping } from '../core/mapping/parse';
import { isUcgMappingText, parseUcgMapping, type UcgMapping } from '../core/ucg/format';

export const LANGUAGE_ID = 'backmap-mapping';
export const SOURCE = 'backmap-mapping';

export const uriToPath = (uri: string): string | null => {
  try { return uri.startsWith('file:') ? fileURLToPath(uri) : null; } catch { return null; }
};
export const pathToUri = (p: string): string => pathToFileURL(p).toString();

/** A mapping file by content (`molecule:` and `atoms:` at top level). */
export function looksLikeMapping(text: string): boolean {
  return /^molecule\s*:/m.test(text) && /^atoms\s*:/m.test(text);
}
export const isBeadTypesFile = (path: string) => basename(path).startsWith('bead_types');
/** A UCG mapping (docs/ucg-mapping.md): by its `format:` line, or a `*.ucg.yaml` name while it is being written. */
export function isUcgDocument(pathOrUri: string, text: string): boolean {
  return isUcgMappingText(text) || (/\.ucg\.ya?ml$/i.test(pathOrUri) && !looksLikeMapping(text));
}

interface FolderCacheEntry { signature: string; analysis: FolderAnalysis }

/** Documents, folder analyses and templates, with caches keyed by content so repeated pulls are cheap. */
export class MappingWorkspace {
  readonly docs = new Map<string, TextDocument>();
  private parsedCache = new Map<string, { version: number; maxSlots: number | undefined; parsed: ParsedMapping }>();
  private folderCache = new Map<string, FolderCacheEntry>();
  private folderParses = new Map<string, ParsedMapping>();
  private templateCache = new Map<string, { sig: string; names: Map<string, string[]> }>();
  reference: Structure | null = null;
  referenceKey = '';

  /** Version each open document had when opened, and the folders of documents changed since (this session). */
  private openedVersion = new Map<string, number>();
  private editedFolders = new Set<string>();

  open(doc: TextDocument) {
    this.docs.set(doc.uri, doc);
    const first = this.openedVersion.get(doc.uri);
    if (first === undefined) this.openedVersion.set(doc.uri, doc.version);
    else if (first !== doc.version) { const p = uriToPath(doc.uri); if (p) this.editedFolders.add(dirname(p)); }
  }
  close(uri: string) { this.docs.delete(uri); this.parsedCache.delete(uri); this.ucgCache.delete(uri); this.openedVersion.delete(uri); }
  /** Whether the user changed a mapping document of `folder` in this session (the set is then being authored). */
  isEditedFolder(folder: string): boolean { return this.editedFolders.has(folder); }

  /**
   * Uses the structure at `path` as the reference residue source (X9/X11), reloading it when the path or the file's
   * mtime changed; '' or a missing file clears it. Returns the read error, if any (the reference is then cleared).
   */
  useReferenceStructure(path: string): Error | null {
    let key = '';
    try { if (path && existsSync(path)) key = `${path}:${statSync(path).mtimeMs}`; } catch { key = ''; }
    if (key === this.referenceKey) return null;
    this.referenceKey = key;
    this.reference = null;
    if (!key) return null;
    try {
      this.reference = readStructureFile(path);
    } catch (e) {
      return e as Error;
    }
    return null;
  }

  /** Disk texts keyed by path, valid while mtime and size are unchanged (analysis then reads nothing). */
  private diskTexts = new Map<string, { key: string; text: string }>();
  /** Folder analysis (null when the folder cannot be read); cached on file stats + open-document versions. */
  folder(folder: string): FolderAnalysis | null {
    return this.computeFolder(folder);
  }

  private computeFolder(folder: string): FolderAnalysis | null {
    let names: string[];
    try { names = readdirSync(folder).sort(); } catch { return null; }
    const open = new Map<string, TextDocument>();
    for (const d of this.docs.values()) {
      const p = uriToPath(d.uri);
      if (p && dirname(p) === folder) open.set(p, d);
    }
    const sig: string[] = [this.referenceKey];
    const overrides = new Map<string, string>();
    for (const n of names) {
      const path = join(folder, n);
      try {
        const st = statSync(path);
        const key = `${st.mtimeMs}:${st.size}:${st.isDirectory() ? 'd' : 'f'}`;
        sig.push(`${n}:${key}`);
        const doc = open.get(path);
        if (doc) { overrides.set(path, doc.getText()); sig.push(`@${doc.version}`); continue; }
        if (st.isDirectory() || !/\.ya?ml$/i.test(n)) continue;
        let c = this.diskTexts.get(path);
        if (!c || c.key !== key) { c = { key, text: readFileSync(path, 'utf8') }; this.diskTexts.set(path, c); }
        overrides.set(path, c.text);
      } catch { /* vanished */ }
    }
    const signature = sig.join('|');
    const hit = this.folderCache.get(folder);
    if (hit && hit.signature === signature) return hit.analysis;
    try {
      const analysis = analyzeMappingFolder(folder, { overrides, reference: this.reference ?? undefined, parseCache: this.folderParses, skipHash: true });
      this.folderCache.set(folder, { signature, analysis });
      return analysis;
    } catch {
      return null;
    }
  }

  /** Parsed form of an open document (folder R when the document lives in a mapping folder). */
  parsed(uri: string, folderAnalysis?: FolderAnalysis | null): ParsedMapping | null {
    const doc = this.docs.get(uri);
    if (!doc) return null;
    const path = uriToPath(uri);
    if (path && isBeadTypesFile(path)) return null;
    if (this.ucg(uri)) return null; // never read a UCG mapping as HEroBM/CGmap (features/ucg.ts serves it)
    if (path) {
      const an = folderAnalysis !== undefined ? folderAnalysis : this.folder(dirname(path));
      const hit = an?.parsed.find((x) => x.file === path);
      if (hit && hit.text === doc.getText()) return hit;
    }
    const c = this.parsedCache.get(uri);
    if (c && c.version === doc.version) return c.parsed;
    const parsed = parseMappingDocument(doc.getText(), path ?? uri);
    this.parsedCache.set(uri, { version: doc.version, maxSlots: undefined, parsed });
    return parsed;
  }

  private ucgCache = new Map<string, { version: number; mapping: UcgMapping }>();
  /** Parsed form of an open UCG mapping document; null for any other document. */
  ucg(uri: string): UcgMapping | null {
    const doc = this.docs.get(uri);
    if (!doc) return null;
    const c = this.ucgCache.get(uri);
    if (c && c.version === doc.version) return c.mapping;
    if (!isUcgDocument(uri, doc.getText())) { this.ucgCache.delete(uri); return null; }
    const mapping = parseUcgMapping(doc.getText(), uriToPath(uri) ?? uri);
    this.ucgCache.set(uri, { version: doc.version, mapping });
    return mapping;
  }

  /** Signature of the folder analysis last computed (changes whenever any input of the analysis changes). */
  folderSignature(folder: string): string | undefined {
    return this.folderCache.get(folder)?.signature;
  }

  /** Atom names per molecule from the other files of the folder and the bundled martini3 set. */
  templates(folder: string | null): Map<string, string[]> {
    const dirs = [folder, join(bundledMappingsRoot(), 'martini3')].filter((x): x is string => !!x && existsSync(x));
    const sigParts: string[] = [];
    const files: string[] = [];
    for (const d of dirs) {
      try {
        for (const n of readdirSync(d).sort()) {
          if (!/\.ya?ml$/i.test(n) || n.startsWith('bead_types')) continue;
          const f = join(d, n);
          files.push(f);
          sigParts.push(`${f}:${statSync(f).mtimeMs}`);
        }
      } catch { /* ignore */ }
    }
    const key = dirs.join('|');
    const sig = sigParts.join('|');
    const hit = this.templateCache.get(key);
    if (hit && hit.sig === sig) return hit.names;
    const names = new Map<string, string[]>();
    for (const f of files) {
      try {
        const text = readFileSync(f, 'utf8');
        const mol = /^molecule\s*:\s*["']?([^"'\s#]+)/m.exec(text)?.[1];
        if (!mol) continue;
        const list = names.get(mol) ?? [];
        for (const m of text.matchAll(/^\s+["']?([^"':#\s][^"':#]*?)["']?\s*:/gm)) {
          for (const alt of m[1].split(',')) if (alt && !list.includes(alt)) list.push(alt);
        }
        names.set(mol, list);
      } catch { /* ignore */ }
    }
    this.templateCache.set(key, { sig, names });
    return names;
  }
}
