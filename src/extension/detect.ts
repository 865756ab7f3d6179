// Mapping files outside the contributed filename patterns (`**/mappings/**/*.yaml`, `*.map.yaml`) are still
// recognised: a YAML document whose top level has both `molecule:` and `atoms:` is a CG mapping file, and one with
// `format: backmap-ucg/…` a UCG mapping (docs/ucg-mapping.md; the server tells the two apart by content).
import * as vscode from 'vscode';
import { isUcgMappingText } from '../core/ucg/format';
import { MAPPING_LANGUAGE } from './client';
import { log } from './log';

const MOLECULE = /^molecule\s*:/m;
const ATOMS = /^atoms\s*:/m;

/** True when `text` looks like a HEroBM/CGmap mapping file (both top-level keys present). */
export function looksLikeMapping(text: string): boolean {
  return MOLECULE.test(text) && ATOMS.test(text);
}

async function check(doc: vscode.TextDocument): Promise<void> {
  if (doc.languageId !== 'yaml' || doc.uri.scheme === 'git') return;
  // Top-level keys sit near the top; a 64 kB prefix keeps this cheap on huge YAML files.
  const head = doc.getText().slice(0, 65536);
  const ucg = !looksLikeMapping(head) && isUcgMappingText(head);
  if (!ucg && !looksLikeMapping(head)) return;
  log().info(`${doc.uri.fsPath}: ${ucg ? 'UCG format line' : 'molecule + atoms'} found, switching to ${MAPPING_LANGUAGE}`);
  await vscode.languages.setTextDocumentLanguage(doc, MAPPING_LANGUAGE);
}

export function registerMappingDetection(ctx: vscode.ExtensionContext): void {
  const run = (doc: vscode.TextDocument) => check(doc).catch((e) => log().warn(`language detection failed: ${e}`));
  ctx.subscriptions.push(vscode.workspace.onDidOpenTextDocument(run));
  for (const doc of vscode.workspace.textDocuments) void run(doc);
}
