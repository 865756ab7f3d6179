/**
 * Language server for HEroBM/CGmap mapping YAML (language id `backmap-mapping`). Runs standalone
 * (`node dist/server.js --stdio`) or over node-ipc from the VS Code client; the transport comes from argv.
 * Diagnostics are pulled (textDocument/diagnostic + workspace/diagnostic). This module only wires the connection:
 * each feature lives in features/, the shared document state in workspace.ts.
 */
import { dirname, join } from 'node:path';
import {
  CodeActionKind, DocumentDiagnosticReportKind, ProposedFeatures, TextDocumentSyncKind, TextDocuments, createConnection,
  type InitializeResult,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { bondKnowledge } from './bonds';
import { codeActions, addMissingBeadTypesAction } from './features/code-actions';
import { COMPLETE_HIERARCHY_COMMAND, completeHierarchyEdits } from './features/complete-hierarchy';
import { completion } from './features/completion';
import { definition } from './features/definition';
import { SHOW_INFO_VALUES, WorkspaceDiagnostics, documentDiagnostics, type ShowInfo } from './features/diagnostics';
import { format } from './features/formatting';
import { hover } from './features/hover';
import { references } from './features/references';
import { beadTypesForRename, prepareRename, renameBead } from './features/rename';
import { documentSymbols } from './features/symbols';
import { ucgCodeActions, ucgCompletion, ucgHover, ucgSymbols } from './features/ucg';
import { MappingWorkspace, uriToPath } from './workspace';

const connection = createConnection(ProposedFeatures.all);
const documents = new TextDocuments(TextDocument);
const ws = new MappingWorkspace();
let hasConfiguration = false;
let workspaceFolders: string[] = [];
const openDocument = (uri: string) => documents.get(uri);

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
let showInfo: ShowInfo = 'edited';
async function refreshReference(): Promise<void> {
  if (hasConfiguration && configDirty) {
    configDirty = false;
    try {
      const cfg = await connection.workspace.getConfiguration({ section: 'backmapStudio.mapping' });
      referencePath = typeof cfg?.referenceStructure === 'string' ? cfg.referenceStructure.trim() : '';
      showInfo = SHOW_INFO_VALUES.includes(cfg?.showInfo) ? cfg.showInfo : 'edited';
    } catch { referencePath = ''; }
    if (referencePath && !/^([a-zA-Z]:)?[\\/]/.test(referencePath) && workspaceFolders[0]) referencePath = join(workspaceFolders[0], referencePath);
  }
  const path = referencePath;
  const error = ws.useReferenceStructure(path);
  if (error) connection.window.showWarningMessage(`Backmap Studio: reference structure ${path}: ${error.message}`);
}

connection.onDidChangeConfiguration(async () => {
  configDirty = true;
  await refreshReference();
  connection.languages.diagnostics.refresh().catch(() => undefined);
});

connection.languages.diagnostics.on(async (params) => {
  await refreshReference();
  const items = guard('diagnostics', [], (uri: string) => documentDiagnostics(ws, uri, showInfo))(params.textDocument.uri);
  return { kind: DocumentDiagnosticReportKind.Full, items };
});

const workspaceDiagnostics = new WorkspaceDiagnostics(ws, {
  openDocuments: () => documents.all(),
  isOpen: (uri) => !!documents.get(uri),
  workspaceFolders: () => workspaceFolders,
  showInfo: () => showInfo,
});

connection.languages.diagnostics.onWorkspace(async (params) => {
  await refreshReference();
  return { items: workspaceDiagnostics.reports(params.previousResultIds) };
});

const docAndParsed = (uri: string) => {
  const doc = documents.get(uri);
  const p = doc ? ws.parsed(uri) : null;
  return doc && p ? { doc, p } : null;
};
const folderOf = (uri: string) => { const p = uriToPath(uri); return p ? ws.folder(dirname(p)) : null; };

connection.onHover(guard('hover', null, (params) => {
  const ucg = ws.ucg(params.textDocument.uri), ud = documents.get(params.textDocument.uri);
  if (ucg && ud) return ucgHover(ucg, ud, ud.offsetAt(params.position));
  const x = docAndParsed(params.textDocument.uri);
  return x ? hover(x.p, x.doc, x.doc.offsetAt(params.position), folderOf(params.textDocument.uri)) : null;
}));

connection.onCompletion(guard('completion', [], (params) => {
  const doc = documents.get(params.textDocument.uri);
  if (!doc) return [];
  const ucg = ws.ucg(doc.uri);
  if (ucg) return ucgCompletion(ucg, doc, doc.offsetAt(params.position));
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
  const ucg = ws.ucg(params.textDocument.uri), ud = documents.get(params.textDocument.uri);
  if (ucg && ud) return ucgSymbols(ucg, ud);
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
  const beadTypes = beadTypesForRename(params.textDocument.uri, openDocument);
  return renameBead(x.p, x.doc, x.doc.offsetAt(params.position), params.newName, beadTypes); // invalid names → error response
});

connection.onCodeAction(guard('codeAction', [], (params) => {
  const ucg = ws.ucg(params.textDocument.uri), ud = documents.get(params.textDocument.uri);
  if (ucg && ud) return ucgCodeActions(ucg, ud, params.range, params.context.diagnostics);
  const x = docAndParsed(params.textDocument.uri);
  if (!x) return [];
  const actions = codeActions(x.p, x.doc, params.range, params.context.diagnostics, { bonds: bondKnowledge(x.p.moleculeName, ws.reference) });
  const addBeadTypes = addMissingBeadTypesAction(x.p, x.doc, params.range, folderOf(params.textDocument.uri), openDocument);
  if (addBeadTypes) actions.push(addBeadTypes);
  return actions;
}));

connection.onDocumentFormatting(guard('format', [], (params) => {
  const x = docAndParsed(params.textDocument.uri);
  return x ? format(x.p, x.doc, { tabSize: params.options.tabSize }) : [];
}));

connection.onExecuteCommand(async (params) => {
  if (params.command !== COMPLETE_HIERARCHY_COMMAND) throw new Error(`unknown command ${params.command}`);
  const { uri, edits, notes } = completeHierarchyEdits(params.arguments, openDocument);
  const applied = edits.length
    ? await connection.workspace.applyEdit({ label: 'Complete hierarchy', edit: { changes: { [uri]: edits } } })
    : { applied: true };
  return { applied: applied.applied, edits: edits.length, notes };
});

documents.listen(connection);
connection.listen();
