/**
 * Language server for HEroBM/CGmap mapping YAML (language id `backmap-mapping`). Runs standalone
 * (`node dist/server.js --stdio`) or over node-ipc from the VS Code client; the transport comes from argv.
 * Diagnostics are pulled (textDocument/diagnostic + workspace/diagnostic).
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  CodeActionKind, DocumentDiagnosticReportKind, ProposedFeatures, TextDocumentSyncKind, TextDocuments, createConnection,
  type InitializeResult, type WorkspaceDocumentDiagnosticReport,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { completeHierarchy } from '../core/mapping/hierarchy';
import { readStructureFile } from '../core/structure/read';
import {
  MappingWorkspace, codeActions, completion, definition, documentSymbols, format, hover, isBeadTypesFile, looksLikeMapping,
  pathToUri, prepareRename, references, renameBead, uriToPath,
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

/** Reference structure from `backmapStudio.mapping.referenceStructure` (path; relative to the first workspace folder). */
async function refreshReference(): Promise<void> {
  if (!hasConfiguration) return;
  let path = '';
  try {
    const cfg = await connection.workspace.getConfiguration({ section: 'backmapStudio.mapping' });
    path = typeof cfg?.referenceStructure === 'string' ? cfg.referenceStructure.trim() : '';
  } catch { return; }
  if (path && !/^([a-zA-Z]:)?[\\/]/.test(path) && workspaceFolders[0]) path = join(workspaceFolders[0], path);
  let key = '';
  if (path && existsSync(path)) key = `${path}:${statSync(path).mtimeMs}`;
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
  await refreshReference();
  connection.languages.diagnostics.refresh().catch(() => undefined);
});

connection.languages.diagnostics.on(async (params) => {
  await refreshReference();
  const items = guard('diagnostics', [], (uri: string) => ws.diagnostics(uri))(params.textDocument.uri);
  return { kind: DocumentDiagnosticReportKind.Full, items };
});

/** Mapping folders to report in workspace diagnostics: folders of open documents and `mappings/*` folders. */
function mappingFolders(): string[] {
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

connection.languages.diagnostics.onWorkspace(async () => {
  await refreshReference();
  const items: WorkspaceDocumentDiagnosticReport[] = [];
  for (const folder of mappingFolders()) {
    const an = ws.folder(folder);
    if (!an) continue;
    const byFile = new Map<string, ReturnType<typeof ws.diagnostics>>();
    for (const f of an.parsed) {
      const uri = pathToUri(f.file);
      if (documents.get(uri)) continue; // open documents are pulled per document
      const doc = TextDocument.create(uri, 'backmap-mapping', 0, f.text);
      ws.open(doc);
      byFile.set(uri, ws.diagnostics(uri));
      ws.close(uri);
    }
    for (const [uri, diags] of byFile) items.push({ uri, version: null, kind: DocumentDiagnosticReportKind.Full, items: diags });
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
  return x ? codeActions(x.p, x.doc, params.range, params.context.diagnostics) : [];
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
