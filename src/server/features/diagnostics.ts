/**
 * Diagnostics, pulled per open document (textDocument/diagnostic) and for every file of the workspace's mapping
 * folders (workspace/diagnostic): the parser's own diagnostics plus the folder-level ones that point into the file.
 */
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  Diagnostic, DiagnosticSeverity, DocumentDiagnosticReportKind, Range, type WorkspaceDocumentDiagnosticReport,
} from 'vscode-languageserver';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { parseBeadTypes, type FolderAnalysis } from '../../core/mapping/load';
import type { MappingDiagnostic } from '../../core/mapping/types';
import { parseUcgMapping } from '../../core/ucg/format';
import { LANGUAGE_ID, SOURCE, isBeadTypesFile, isUcgDocument, looksLikeMapping, pathToUri, uriToPath, type MappingWorkspace } from '../workspace';
import { ucgMappingDiagnostics } from './ucg';

/**
 * How information-level diagnostics (W10, W13, W14, X4, X6, X10, X11) are shown, from `backmapStudio.mapping.showInfo`:
 * `edited` (default) as information only in mapping folders the user edited in this session and as hints (no entry
 * in the Problems panel) elsewhere, so untouched upstream sets do not bury warnings and errors; `always` as
 * information everywhere; `hints` as hints everywhere (docs/mapping-format.md, "Diagnostic codes").
 */
export type ShowInfo = 'edited' | 'always' | 'hints';
export const SHOW_INFO_VALUES: readonly ShowInfo[] = ['edited', 'always', 'hints'];

/** Whether information diagnostics of files in `folder` are shown as hints. */
export function quietInfo(ws: MappingWorkspace, folder: string | null, showInfo: ShowInfo): boolean {
  if (showInfo === 'always') return false;
  if (showInfo === 'hints') return true;
  return !(folder && ws.isEditedFolder(folder));
}

export function toLspDiagnostic(doc: TextDocument, d: MappingDiagnostic, quiet = false): Diagnostic {
  const range = Range.create(doc.positionAt(d.span.start), doc.positionAt(Math.max(d.span.end, d.span.start)));
  return {
    range,
    severity: d.severity === 'error' ? DiagnosticSeverity.Error : d.severity === 'warning' ? DiagnosticSeverity.Warning : quiet ? DiagnosticSeverity.Hint : DiagnosticSeverity.Information,
    code: d.code,
    source: SOURCE,
    message: d.message,
    // Fixes as data for clients that apply them directly; never one that writes a non-finite number.
    data: d.fixes?.some((f) => !f.edits.some((e) => /NaN|Infinity/.test(e.newText))) ? { fixes: d.fixes.filter((f) => !f.edits.some((e) => /NaN|Infinity/.test(e.newText))) } : undefined,
  };
}

/** All diagnostics for one open document (file-level + folder-level that point into it). */
export function documentDiagnostics(ws: MappingWorkspace, uri: string, showInfo: ShowInfo = 'always'): Diagnostic[] {
  const doc = ws.docs.get(uri);
  if (!doc) return [];
  const path = uriToPath(uri);
  const quiet = quietInfo(ws, path ? dirname(path) : null, showInfo);
  const out: MappingDiagnostic[] = [];
  if (path && isBeadTypesFile(path)) {
    out.push(...parseBeadTypes(doc.getText(), path).diagnostics);
    const an = ws.folder(dirname(path));
    if (an) out.push(...an.report.folderDiagnostics.filter((d) => d.span.file === path && !['X1', 'X8', 'W15'].includes(d.code)));
    return out.map((d) => toLspDiagnostic(doc, d, quiet));
  }
  if (!looksLikeMapping(doc.getText()) && path && !/\.ya?ml$/i.test(path)) return [];
  const an = path ? ws.folder(dirname(path)) : null;
  const ucg = ws.ucg(uri);
  if (ucg) return ucgMappingDiagnostics(ucg, an).map((d) => toLspDiagnostic(doc, d, quiet));
  const p = ws.parsed(uri, an);
  if (p) out.push(...p.diagnostics);
  if (path && an) out.push(...an.report.folderDiagnostics.filter((d) => d.span.file === path));
  return out.map((d) => toLspDiagnostic(doc, d, quiet));
}

/** Diagnostics of a (closed) file straight from a folder analysis (workspace diagnostics). */
export function fileDiagnostics(an: FolderAnalysis, file: string, text: string, quiet = false): Diagnostic[] {
  const doc = TextDocument.create(pathToUri(file), LANGUAGE_ID, 0, text);
  if (isUcgDocument(file, text)) return ucgMappingDiagnostics(parseUcgMapping(text, file), an).map((d) => toLspDiagnostic(doc, d, quiet));
  const own = an.parsed.find((x) => x.file === file)?.diagnostics ?? [];
  return [...own, ...an.report.folderDiagnostics.filter((d) => d.span.file === file)].map((d) => toLspDiagnostic(doc, d, quiet));
}

/** What workspace diagnostics need from the server: its open documents and workspace folders. */
export interface WorkspaceView {
  openDocuments(): TextDocument[];
  isOpen(uri: string): boolean;
  workspaceFolders(): string[];
  /** `backmapStudio.mapping.showInfo` as last read. */
  showInfo(): ShowInfo;
}

/**
 * Workspace diagnostics for closed files of the mapping folders (folders of open documents and `mappings/*`
 * folders). The client re-pulls every few seconds: unchanged folders answer `unchanged` (resultId = analysis
 * signature) and the tree is rescanned at most every 10 s.
 */
export class WorkspaceDiagnostics {
  private foldersMemo: { at: number; list: string[] } | null = null;

  constructor(private readonly ws: MappingWorkspace, private readonly view: WorkspaceView) {}

  reports(previousResultIds: { uri: string; value: string }[]): WorkspaceDocumentDiagnosticReport[] {
    const items: WorkspaceDocumentDiagnosticReport[] = [];
    const previous = new Map(previousResultIds.map((r) => [r.uri, r.value]));
    for (const folder of this.mappingFolders()) {
      const an = this.ws.folder(folder);
      if (!an) continue;
      const files = an.parsed.map((f) => ({ file: f.file, text: f.text }));
      if (an.beadTypesPath) { try { files.push({ file: an.beadTypesPath, text: readFileSync(an.beadTypesPath, 'utf8') }); } catch { /* vanished */ } }
      for (const f of an.report.folderDiagnostics) if (f.code === 'E8' && !files.some((x) => x.file === f.span.file)) files.push({ file: f.span.file, text: '' });
      const quiet = quietInfo(this.ws, folder, this.view.showInfo());
      const resultId = createHash('sha1').update(`${this.ws.folderSignature(folder) ?? ''}|${quiet}`).digest('hex').slice(0, 16);
      for (const f of files) {
        const uri = pathToUri(f.file);
        if (this.view.isOpen(uri)) continue; // open documents are pulled per document
        if (previous.get(uri) === resultId) { items.push({ uri, version: null, kind: DocumentDiagnosticReportKind.Unchanged, resultId }); continue; }
        items.push({ uri, version: null, kind: DocumentDiagnosticReportKind.Full, resultId, items: fileDiagnostics(an, f.file, f.text, quiet) });
      }
    }
    return items;
  }

  private mappingFolders(): string[] {
    if (this.foldersMemo && Date.now() - this.foldersMemo.at < 10_000) {
      // A UCG mapping does not make its folder a mapping set.
      const extra = this.view.openDocuments().filter((d) => !isUcgDocument(d.uri, d.getText())).map((d) => uriToPath(d.uri)).filter((p): p is string => !!p && /\.ya?ml$/i.test(p)).map((p) => dirname(p));
      return [...new Set([...this.foldersMemo.list, ...extra])];
    }
    const list = this.scanMappingFolders();
    this.foldersMemo = { at: Date.now(), list };
    return list;
  }

  private scanMappingFolders(): string[] {
    const out = new Set<string>();
    for (const d of this.view.openDocuments()) { const p = uriToPath(d.uri); if (p && (looksLikeMapping(d.getText()) || isBeadTypesFile(p))) out.add(dirname(p)); }
    const walk = (dir: string, depth: number) => {
      if (depth > 4) return;
      let names: string[];
      try { names = readdirSync(dir); } catch { return; }
      for (const n of names) {
        if (n.startsWith('.') || n === 'node_modules' || n === 'dist') continue;
        const p = join(dir, n);
        let st; try { st = statSync(p); } catch { continue; }
        if (!st.isDirectory()) continue;
        if (n === 'mappings') { for (const s of readdirSync(p)) { const q = join(p, s); try { if (statSync(q).isDirectory()) out.add(q); } catch { /* */ } } }
        else walk(p, depth + 1);
      }
    };
    for (const w of this.view.workspaceFolders()) walk(w, 0);
    return [...out];
  }
}
