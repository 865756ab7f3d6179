/**
 * Language server for HEroBM/CGmap mapping YAML (language id `backmap-mapping`). Runs standalone
 * (`node dist/server.js --stdio`) or over node-ipc from the VS Code client; the transport comes from argv.
 * Diagnostics are pulled (textDocument/diagnostic + workspace/diagnostic).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import {
  CodeActionKind, DocumentDiagnosticReportKind, ProposedFeatures, TextDocumentSyncKind, TextDocuments, createConnection,
  type InitializeResult, type WorkspaceDocumentDiagnosticReport,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { completeHierarchy } from '../core/mapping/hierarchy';
import { readStructureFile } from '../core/structure/read';
import {
  MappingWorkspace, codeActions, completion, definition, documentSymbols, format, hover, isBeadTypesFile, looksLikeMapping,
  pathToUri, prepareRename, references, renameBead, toLspDiagnostic, uriToPath,
} from './service';

export const COMPLETE_HIERARCHY_COMMAND = 'backmapStudio.server.completeHierarchy';

const connection = createConnection(ProposedFeatures.all);
const documents = new TextDocuments(TextDocument);
const ws = new MappingWorkspace();
let hasConfiguration = false;
let workspaceFolders: string[] = [];

/** Never let a handler crash the server: log and answer with a neutral result. */
function guard<A extends unknown[], R>(name: string, fallback: R, fn: (...a: A) => R): (...a: A) => R {
  return (...a: A) => {
    try {
      return fn(...a);
    } catch (e) {
      connection.console.error(`${name}: ${(e as Error)?.stack ?? e}`);
      return fallback;
    }
  };
}

connection.onInitialize((params): InitializeResult => {
  hasConfiguration = !!params.capabilities.workspace?.configuration;
  workspaceFolders = (params.workspaceFolders ?? []).map((f) => uriToPath(f.uri)).filter((x): x is string => !!x);
  if (!workspaceFolders.length && params.rootUri) { const p = uriToPath(params.rootUri); if (p) workspaceFolders.push(p); }
  return {
    capabilities: {
      textDocumentSync: TextDocumentSyncKind.Incremental,
      diagnosticProvider: { identifier: 'backmap-mapping', interFileDependencies: true, workspaceDiagnostics: true },
      hoverProvider: true,
      completionProvider: { triggerCharacters: [' ', ',', ':'], resolveProvider: false },
      definitionProvider: true,
      referencesProvider: true,
      documentSymbolProvider: true,
      renameProvider: { prepareProvider: true },
      codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix, CodeActionKind.RefactorRewrite] },
      documentFormattingProvider: true,
      executeCommandProvider: { commands: [COMPLETE_HIERARCHY_COMMAND] },
    },
    serverInfo: { name: 'backmap-mapping-server', version: '0.1.0' },
  };
});

documents.onDidOpen((e) => ws.open(e.document));
documents.onDidChangeContent((e) => ws.open(e.document));
documents.onDidClose((e) => ws.close(e.document.uri));

/**
 * Reference structure from `backmapStudio.mapping.referenceStructure` (path; relative to the first workspace
 * folder). The setting is fetched once and again after didChangeConfiguration; the file's mtime is checked per pull.
 */
let configDirty = true;
let referencePath = '';
async function refreshReference(): Promise<void> {
  if (hasConfiguration && configDirty) {
    configDirty = false;
    try {
      const cfg = await connection.workspace.getConfiguration({ section: 'backmapStudio.mapping' });
      referencePath = typeof cfg?.referenceStructure === 'string' ? cfg.referenceStructure.trim() : '';
    } catch { referencePath = ''; }
    if (referencePath && !/^([a-zA-Z]:)?[\\/]/.test(referencePath) && workspaceFolders[0]) referencePath = join(workspaceFolders[0], referencePath);
  }
  const path = referencePath;
  let key = '';
  try { if (path && existsSync(path)) key = `${path}:${statSync(path).mtimeMs}`; } catch { key = ''; }
  if (key === ws.referenceKey) return;
  ws.referenceKey = key;
  ws.reference = null;
  if (!key) return;
  try {
    ws.reference = readStructureFile(path);
  } catch (e) {
    connection.window.showWarningMessage(`Backmap Studio: reference structure ${path}: ${(e as Error).message}`);
  }
}

connection.onDidChangeConfiguration(async () => {
  configDirty = true;
  await refreshReference();
  connection.languages.diagnostics.refresh().catch(() => undefined);
});

connection.languages.diagnostics.on(async (params) => {
  await refreshReference();
  const items = guard('diagnostics', [], (uri: string) => ws.diagnostics(uri))(params.textDocument.uri);
  return { kind: DocumentDiagnosticReportKind.Full, items };
});

/** Mapping folders to report in workspace diagnostics: folders of open documents and `mappings/*` folders. */
let foldersMemo: { at: number; list: string[] } | null = null;
function mappingFolders(): string[] {
  // The client re-pulls workspace diagnostics every few seconds; rescan the tree at most every 10 s.
  if (foldersMemo && Date.now() - foldersMemo.at < 10_000) {
    const extra = documents.all().map((d) => uriToPath(d.uri)).filter((p): p is string => !!p && /\.ya?ml$/i.test(p)).map((p) => dirname(p));
    return [...new Set([...foldersMemo.list, ...extra])];
  }
  const list = scanMappingFolders();
  foldersMemo = { at: Date.now(), list };
  return list;
}

function scanMappingFolders(): string[] {
  const out = new Set<string>();
  for (const d of documents.all()) { const p = uriToPath(d.uri); if (p && (looksLikeMapping(d.getText()) || isBeadTypesFile(p))) out.add(dirname(p)); }
  const walk = (dir: string, depth: number) => {
    if (depth > 4) return;
    let names: string[] = [];
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
  for (const w of workspaceFolders) walk(w, 0);
  return [...out];
}

connection.languages.diagnostics.onWorkspace(async (params) => {
  await refreshReference();
  const items: WorkspaceDocumentDiagnosticReport[] = [];
  const previous = new Map(params.previousResultIds.map((r) => [r.uri, r.value]));
  for (const folder of mappingFolders()) {
    const an = ws.folder(folder);
    if (!an) continue;
    const files = an.parsed.map((f) => ({ file: f.file, text: f.text }));
    if (an.beadTypesPath) { try { files.push({ file: an.beadTypesPath, text: readFileSync(an.beadTypesPath, 'utf8') }); } catch { /* vanished */ } }
    for (const f of an.report.folderDiagnostics) if (f.code === 'E8' && !files.some((x) => x.file === f.span.file)) files.push({ file: f.span.file, text: '' });
    // The client re-pulls every few seconds: unchanged folders answer `unchanged` (resultId = analysis signature).
    const resultId = createHash('sha1').update(ws.folderSignature(folder) ?? '').digest('hex').slice(0, 16);
    for (const f of files) {
      const uri = pathToUri(f.file);
      if (documents.get(uri)) continue; // open documents are pulled per document
      if (previous.get(uri) === resultId) { items.push({ uri, version: null, kind: DocumentDiagnosticReportKind.Unchanged, resultId }); continue; }
      items.push({ uri, version: null, kind: DocumentDiagnosticReportKind.Full, resultId, items: ws.fileDiagnostics(an, f.file, f.text) });
    }
  }
  return { items };
});

const docAndParsed = (uri: string) => {
  const doc = documents.get(uri);
  const p = doc ? ws.parsed(uri) : null;
  return doc && p ? { doc, p } : null;
};
const folderOf = (uri: string) => { const p = uriToPath(uri); return p ? ws.folder(dirname(p)) : null; };

connection.onHover(guard('hover', null, (params) => {
  const x = docAndParsed(params.textDocument.uri);
  return x ? hover(x.p, x.doc, x.doc.offsetAt(params.position), folderOf(params.textDocument.uri)) : null;
}));

connection.onCompletion(guard('completion', [], (params) => {
  const doc = documents.get(params.textDocument.uri);
  if (!doc) return [];
  const path = uriToPath(doc.uri);
  return completion(ws.parsed(doc.uri), doc, doc.offsetAt(params.position), ws.templates(path ? dirname(path) : null));
}));

connection.onDefinition(guard('definition', [], (params) => {
  const x = docAndParsed(params.textDocument.uri);
  return x ? definition(x.p, x.doc, x.doc.offsetAt(params.position)) : [];
}));

connection.onReferences(guard('references', [], (params) => {
  const x = docAndParsed(params.textDocument.uri);
  return x ? references(x.p, x.doc, x.doc.offsetAt(params.position), params.context.includeDeclaration) : [];
}));

connection.onDocumentSymbol(guard('symbols', [], (params) => {
  const x = docAndParsed(params.textDocument.uri);
  return x ? documentSymbols(x.p, x.doc) : [];
}));

connection.onPrepareRename(guard('prepareRename', null, (params) => {
  const x = docAndParsed(params.textDocument.uri);
  return x ? prepareRename(x.p, x.doc, x.doc.offsetAt(params.position)) : null;
}));

connection.onRenameRequest((params) => {
  const x = docAndParsed(params.textDocument.uri);
  if (!x) return null;
  const path = uriToPath(params.textDocument.uri);
  let bt: { uri: string; text: string } | undefined;
  if (path) {
    const btPath = join(dirname(path), 'bead_types.yaml');
    const open = documents.get(pathToUri(btPath));
    if (open) bt = { uri: open.uri, text: open.getText() };
    else if (existsSync(btPath)) bt = { uri: pathToUri(btPath), text: readFileSync(btPath, 'utf8') };
  }
  return renameBead(x.p, x.doc, x.doc.offsetAt(params.position), params.newName, bt); // invalid names → error response
});

connection.onCodeAction(guard('codeAction', [], (params) => {
  const x = docAndParsed(params.textDocument.uri);
  if (!x) return [];
  const actions = codeActions(x.p, x.doc, params.range, params.context.diagnostics);
  // W17: add the missing bead type to bead_types.yaml with the id CGmap would assign (max+1 in load order).
  const an = folderOf(params.textDocument.uri);
  const path = uriToPath(params.textDocument.uri);
  if (an?.beadTypesPath && path && x.p.molecule) {
    const s = x.doc.offsetAt(params.range.start);
    const e = x.doc.offsetAt(params.range.end);
    const missing = an.report.folderDiagnostics.filter((d) => d.code === 'W17' && d.span.file === path && d.span.end >= s && d.span.start <= e && /missing from/.test(d.message));
    if (missing.length) {
      const btUri = pathToUri(an.beadTypesPath);
      const open = documents.get(btUri);
      const btText = open ? open.getText() : readFileSync(an.beadTypesPath, 'utf8');
      const btDoc = TextDocument.create(btUri, 'yaml', 0, btText);
      const end = btDoc.positionAt(btText.length);
      const lines = missing.map((d) => {
        const bead = x.doc.getText({ start: x.doc.positionAt(d.span.start), end: x.doc.positionAt(d.span.end) });
        const idname = `${x.p.moleculeName}_${bead}`;
        return `${idname}: ${an.beadTypes.get(idname)}`;
      });
      const newText = (btText.length && !btText.endsWith('\n') ? '\n' : '') + lines.join('\n') + '\n';
      actions.push({
        title: `Add ${lines.map((l) => l.split(':')[0]).join(', ')} to ${basename(an.beadTypesPath)}`,
        kind: CodeActionKind.QuickFix,
        diagnostics: missing.map((d) => toLspDiagnostic(x.doc, d)),
        edit: { changes: { [btUri]: [{ range: { start: end, end }, newText }] } },
      });
    }
  }
  return actions;
}));

connection.onDocumentFormatting(guard('format', [], (params) => {
  const x = docAndParsed(params.textDocument.uri);
  return x ? format(x.p, x.doc, { tabSize: params.options.tabSize }) : [];
}));

connection.onExecuteCommand(async (params) => {
  if (params.command !== COMPLETE_HIERARCHY_COMMAND) throw new Error(`unknown command ${params.command}`);
  const [uri, structurePath] = (params.arguments ?? []) as [string, string];
  if (typeof uri !== 'string' || typeof structurePath !== 'string') throw new Error(`${COMPLETE_HIERARCHY_COMMAND} expects (documentUri, structurePath)`);
  const doc = documents.get(uri);
  const path = uriToPath(uri);
  const text = doc ? doc.getText() : path ? readFileSync(path, 'utf8') : null;
  if (text === null) throw new Error(`document ${uri} is not open`);
  const ref = readStructureFile(structurePath);
  const result = completeHierarchy(text, path ?? uri, ref);
  const td = doc ?? TextDocument.create(uri, 'backmap-mapping', 0, text);
  const edits = result.edits.map((e) => ({ range: { start: td.positionAt(e.start), end: td.positionAt(e.end) }, newText: e.newText }));
  const applied = edits.length
    ? await connection.workspace.applyEdit({ label: 'Complete hierarchy', edit: { changes: { [uri]: edits } } })
    : { applied: true };
  return { applied: applied.applied, edits: edits.length, notes: result.notes };
});

documents.listen(connection);
connection.listen();
