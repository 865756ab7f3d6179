/** Rename a bead: every use in the file and its `MOLECULE_BEAD` key in the folder's bead_types.yaml. */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Range, TextEdit, WorkspaceEdit } from 'vscode-languageserver';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { ParsedMapping } from '../../core/mapping/parse';
import { locate } from '../locate';
import { pathToUri, uriToPath } from '../workspace';

export function prepareRename(p: ParsedMapping, doc: TextDocument, off: number): Range | null {
  const h = locate(p, off);
  if (!h || h.kind !== 'bead' || h.token.text === '') return null;
  return Range.create(doc.positionAt(h.token.start), doc.positionAt(h.token.end));
}

export function renameBead(p: ParsedMapping, doc: TextDocument, off: number, newName: string, beadTypes?: { uri: string; text: string }): WorkspaceEdit | null {
  const h = locate(p, off);
  if (!h || h.kind !== 'bead') return null;
  if (!/^[A-Za-z0-9]+$/.test(newName)) throw new Error(`bead names must be letters/digits only (no '_', ',', spaces): '${newName}'`);
  const old = h.token.text;
  const edits = p.entries.flatMap((e) => e.beads).filter((t) => t.text === old)
    .map((t) => TextEdit.replace(Range.create(doc.positionAt(t.start), doc.positionAt(t.end)), newName));
  const changes: Record<string, TextEdit[]> = { [doc.uri]: edits };
  if (beadTypes && p.moleculeName) {
    const bt = TextDocument.create(beadTypes.uri, 'yaml', 0, beadTypes.text);
    const key = `${p.moleculeName}_${old}`;
    const re = new RegExp(`^(\\s*["']?)${key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(["']?\\s*:)`, 'gm');
    const btEdits: TextEdit[] = [];
    for (const m of beadTypes.text.matchAll(re)) {
      const s = m.index! + m[1].length;
      btEdits.push(TextEdit.replace(Range.create(bt.positionAt(s), bt.positionAt(s + key.length)), `${p.moleculeName}_${newName}`));
    }
    if (btEdits.length) changes[beadTypes.uri] = btEdits;
  }
  return { changes };
}


/** The folder's bead_types.yaml (open text first, else disk) that a bead rename in `uri` also edits. */
export function beadTypesForRename(uri: string, openDocument: (uri: string) => TextDocument | undefined): { uri: string; text: string } | undefined {
  const path = uriToPath(uri);
  if (!path) return undefined;
  const btPath = join(dirname(path), 'bead_types.yaml');
  const open = openDocument(pathToUri(btPath));
  if (open) return { uri: open.uri, text: open.getText() };
  if (existsSync(btPath)) return { uri: pathToUri(btPath), text: readFileSync(btPath, 'utf8') };
  return undefined;
}
