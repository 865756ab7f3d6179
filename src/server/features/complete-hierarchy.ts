/**
 * The `completeHierarchy` command: assign hierarchy rules from an all-atom reference structure (core/mapping/
 * hierarchy.ts) and return them as LSP edits of the document.
 */
import { readFileSync } from 'node:fs';
import type { TextEdit } from 'vscode-languageserver';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { completeHierarchy } from '../../core/mapping/hierarchy';
import { readStructureFile } from '../../core/structure/read';
import { LANGUAGE_ID, uriToPath } from '../workspace';

export const COMPLETE_HIERARCHY_COMMAND = 'backmapStudio.server.completeHierarchy';

/** Edits for the document at `uri` (open text first, else disk) and the notes of the assignment. */
export function completeHierarchyEdits(
  args: unknown[] | undefined, openDocument: (uri: string) => TextDocument | undefined,
): { uri: string; edits: TextEdit[]; notes: string[] } {
  const [uri, structurePath] = (args ?? []) as [string, string];
  if (typeof uri !== 'string' || typeof structurePath !== 'string') throw new Error(`${COMPLETE_HIERARCHY_COMMAND} expects (documentUri, structurePath)`);
  const doc = openDocument(uri);
  const path = uriToPath(uri);
  const text = doc ? doc.getText() : path ? readFileSync(path, 'utf8') : null;
  if (text === null) throw new Error(`document ${uri} is not open`);
  const ref = readStructureFile(structurePath);
  const result = completeHierarchy(text, path ?? uri, ref);
  const td = doc ?? TextDocument.create(uri, LANGUAGE_ID, 0, text);
  const edits = result.edits.map((e) => ({ range: { start: td.positionAt(e.start), end: td.positionAt(e.end) }, newText: e.newText }));
  return { uri, edits, notes: result.notes };
}
