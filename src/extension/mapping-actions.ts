// Commands on mapping sets: map an all-atom structure to CG (through the inference worker, which runs the pipeline's
// map with its input checks), preview the open mapping on a structure, complete a mapping's hierarchy through the
// language server.
import * as vscode from 'vscode';
import * as path from 'node:path';
import { InputError } from '../core/errors';
import { listBundledMappingSets, loadMappingSet } from '../core/mapping/load';
import type { MappingSet } from '../core/mapping/types';
import { readStructureFile } from '../core/structure/read';
import { structureFormatOf } from '../core/io/formats';
import { mapStructureToCg } from '../core/pipeline';
import { readSettings } from './config';
import { showComparison } from './comparison';
import { engine } from './engine';
import { log } from './log';
import { MAPPING_LANGUAGE } from './client';
import { STRUCTURE_FILTER, argUri, outputBeside, pickFile, pickFolder, resolveWorkspacePath, structureTarget } from './pick';

interface SetItem extends vscode.QuickPickItem { value: string }

/** Asks for a mapping set: bundled ids, workspace folders named `mappings/<set>`, or any folder. */
export async function pickMappingSet(title: string, preferred?: string): Promise<string | undefined> {
  const items: SetItem[] = listBundledMappingSets().map((id) => ({ label: id, description: 'bundled mapping set', value: id }));
  for (const f of vscode.workspace.workspaceFolders ?? []) {
    const found = await vscode.workspace.findFiles(new vscode.RelativePattern(f, 'mappings/*/*.yaml'), '**/node_modules/**', 200);
    for (const dir of [...new Set(found.map((u) => path.dirname(u.fsPath)))].sort())
      items.push({ label: path.basename(dir), description: vscode.workspace.asRelativePath(dir), value: dir });
  }
  items.push({ label: '$(folder-opened) Choose a mapping folder…', value: '' });
  for (const it of items) if (preferred && it.value === preferred) it.picked = true;
  const chosen = await vscode.window.showQuickPick(items, { title, placeHolder: 'mapping set (HEroBM/CGmap YAML folder)' });
  if (!chosen) return undefined;
  if (chosen.value) return chosen.value;
  return (await pickFolder('Folder of mapping YAML files'))?.fsPath;
}

const describe = (fw: { residues: number; beads: number }) => `${fw.residues} residues → ${fw.beads} beads`;

/** "Map all-atom structure to CG…": writes `<name>.cg.<ext>` beside the input and opens the comparison view. */
export async function mapToCgCommand(ctx: vscode.ExtensionContext, arg?: unknown, setArg?: unknown): Promise<{ output: string; beads: number; residues: number } | undefined> {
  const uri = await structureTarget(arg, 'All-atom structure to map to CG');
  if (!uri) return undefined;
  const settings = readSettings(uri);
  const setId = typeof setArg === 'string' ? setArg : await pickMappingSet('Map to CG with which mapping set?', settings.mapping !== 'auto' ? settings.mapping : undefined);
  if (!setId) return undefined;
  const out = outputBeside(uri.fsPath, 'cg', structureFormatOf(uri.fsPath) ?? 'pdb');
  const fw = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Mapping ${path.basename(uri.fsPath)} to CG`, cancellable: false }, () =>
    engine(ctx).mapToCg(
      { input: { path: uri.fsPath }, mapping: setId, residueNameMap: Object.keys(settings.residueNameMap).length ? { ...settings.residueNameMap } : undefined, out },
      { onLog: (level, message) => (level === 'warning' ? log().warn(message) : log().info(message)) },
    ),
  );
  const written = fw.written ?? out;
  log().info(`mapToCg ${uri.fsPath} with '${fw.mappingId}': ${describe(fw)} → ${written} (${fw.summary})`);
  await showComparison(ctx, { cg: fw.cg, reference: fw.input, title: `${path.basename(written)} over ${path.basename(uri.fsPath)}`, source: { cg: written, reference: uri.fsPath } });
  const msg = `Mapped ${describe(fw)} with '${fw.mappingId}' → ${path.basename(written)}${fw.summary === 'complete' ? '' : ` (${fw.summary})`}`;
  void (fw.summary === 'complete' ? vscode.window.showInformationMessage(msg, 'Open') : vscode.window.showWarningMessage(msg, 'Open'))
    .then((c) => c && vscode.window.showTextDocument(vscode.Uri.file(written)));
  return { output: written, beads: fw.beads, residues: fw.residues };
}

/** The mapping document a mapping command acts on: the Uri passed, else the active editor when it is a mapping. */
async function mappingDocument(arg: unknown): Promise<vscode.TextDocument> {
  const uri = argUri(arg);
  if (uri) return vscode.workspace.openTextDocument(uri);
  const doc = vscode.window.activeTextEditor?.document;
  if (doc && (doc.languageId === MAPPING_LANGUAGE || /\.ya?ml$/i.test(doc.fileName))) return doc;
  throw new Error('open a mapping YAML file first (this command acts on the active mapping editor)');
}

/** Structure to check a mapping against: explicit argument, else the `mapping.referenceStructure` setting, else a picker. */
async function referenceFor(doc: vscode.TextDocument, arg: unknown, title: string): Promise<string | undefined> {
  const a = argUri(arg);
  if (a) return a.fsPath;
  const s = readSettings(doc.uri).referenceStructure;
  const items: (vscode.QuickPickItem & { value: string })[] = [];
  if (s) items.push({ label: path.basename(s), description: 'backmapStudio.mapping.referenceStructure', value: resolveWorkspacePath(s, doc.uri) });
  if (!items.length) return (await pickFile(title, STRUCTURE_FILTER))?.fsPath;
  items.push({ label: '$(folder-opened) Choose a structure…', value: '' });
  const c = await vscode.window.showQuickPick(items, { title });
  if (!c) return undefined;
  return c.value || (await pickFile(title, STRUCTURE_FILTER))?.fsPath;
}

/** "Preview mapping on structure…": maps a structure with the open mapping's folder; beads drawn over the atoms. */
export async function previewMappingCommand(ctx: vscode.ExtensionContext, arg?: unknown, structureArg?: unknown): Promise<{ beads: number; residues: number; report: string } | undefined> {
  const doc = await mappingDocument(arg);
  if (doc.isDirty) {
    // The set is read from disk: previewing stale content silently would mislead.
    const c = await vscode.window.showWarningMessage(`${path.basename(doc.fileName)} has unsaved changes; the preview reads the saved files.`, 'Save and Preview', 'Preview Saved');
    if (!c) return undefined;
    if (c === 'Save and Preview') await doc.save();
  }
  const structure = await referenceFor(doc, structureArg, 'All-atom structure to preview the mapping on');
  if (!structure) return undefined;
  const folder = path.dirname(doc.uri.fsPath);
  // The folder being authored: its errors are refused (naming file:line), its warnings are what the preview shows.
  const set: MappingSet = loadMappingSet(folder);
  const aa = readStructureFile(structure);
  let fw;
  try {
    fw = mapStructureToCg(aa, set, { residueNameMap: readSettings(doc.uri).residueNameMap, warn: (w) => log().warn(`${w.file}${w.line ? `:${w.line}` : ''}: ${w.message}`) });
  } catch (e) {
    // Nothing mapped: the mapping being authored is what to fix, so the error points at it.
    if (e instanceof InputError && /is known to mapping set/.test(e.message))
      throw new InputError(`no residue of ${path.basename(structure)} is described by the mappings in this folder`, doc.uri.fsPath, 1);
    throw e;
  }
  const counts = { residues: fw.system.residues.length, beads: fw.system.beads.length };
  log().info(`previewMapping ${folder} on ${structure}: ${describe(counts)} (${fw.summary})`);
  await showComparison(ctx, { cg: fw.cg, reference: aa, title: `${path.basename(folder)} on ${path.basename(structure)}`, source: { cg: structure, reference: structure, mapping: folder } });
  if (fw.summary !== 'complete') void vscode.window.showWarningMessage(`Mapping preview: ${describe(counts)}; ${fw.summary}. Details in the log.`, 'Show Log').then((c) => c && log().show(true));
  for (const m of fw.report.missingAtoms.slice(0, 50)) log().warn(`missing ${m.resName}${m.resSeq} ${m.atom} (${m.file}:${m.line})`);
  for (const m of fw.report.unmappedAtoms.slice(0, 50)) log().warn(`unmapped ${m.resName}${m.resSeq} ${m.atom} (${m.file}:${m.line})`);
  return { beads: counts.beads, residues: counts.residues, report: fw.summary };
}

/** "Complete hierarchy from structure…": the language server derives the missing P-rules from a structure. */
export async function completeHierarchyCommand(arg?: unknown, structureArg?: unknown): Promise<unknown> {
  const doc = await mappingDocument(arg);
  const structure = await referenceFor(doc, structureArg, 'Structure to derive the hierarchy from');
  if (!structure) return undefined;
  const all = await vscode.commands.getCommands(true);
  if (!all.includes('backmapStudio.server.completeHierarchy')) throw new Error('the mapping language server is not running (see the Backmap Studio log)');
  const r = await vscode.commands.executeCommand('backmapStudio.server.completeHierarchy', doc.uri.toString(), structure);
  log().info(`completeHierarchy ${doc.uri.fsPath} from ${structure}: ${JSON.stringify(r)?.slice(0, 300)}`);
  return r;
}
