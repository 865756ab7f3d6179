/**
 * UCG mapping documents (`format: backmap-ucg/1`, docs/ucg-mapping.md) in the language server: diagnostics from the
 * UCG parser (never the HEroBM/CGmap one, which would call every line wrong), hover on a bead (its residues and
 * ranges), one document symbol per bead, the parser's quick fixes, and completion of keys and values.
 */
import { basename } from 'node:path';
import {
  CodeAction, CodeActionKind, CompletionItem, CompletionItemKind, Diagnostic, DiagnosticSeverity, DocumentSymbol, Hover, MarkupKind,
  Range, SymbolKind, type TextEdit,
} from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { FolderAnalysis } from '../../core/mapping/load';
import type { MappingDiagnostic } from '../../core/mapping/types';
import { UCG_FORMAT, UCG_METHODS, formatUcgRange, type UcgBead, type UcgMapping, type UcgRange } from '../../core/ucg/format';
import { SOURCE } from '../workspace';

/**
 * The UCG parser's diagnostics, plus E8 when the file sits in a HEroBM/CGmap mapping set (another file of the folder
 * declares a molecule): CGmap loads every YAML file of a set and fails on this one, so the set would not load.
 */
export function ucgMappingDiagnostics(m: UcgMapping, an: FolderAnalysis | null): MappingDiagnostic[] {
  const molecule = an?.parsed.find((p) => p.file !== m.file && p.moleculeName);
  if (!molecule) return m.diagnostics;
  const own = an!.report.folderDiagnostics.filter((d) => d.code === 'E8' && d.span.file === m.file);
  const nl = m.text.indexOf('\n');
  const e8: MappingDiagnostic = {
    code: 'E8', severity: 'error', span: { file: m.file, start: 0, end: nl < 0 ? m.text.length : nl, line: 1 },
    message: `This UCG mapping is in a HEroBM/CGmap mapping set (\`${basename(molecule.file)}\` declares ${molecule.moleculeName}): CGmap loads every YAML file of the folder and fails on this one, so the set would not load. Keep UCG mappings outside mapping sets.`,
  };
  return [...m.diagnostics, ...(own.length ? own : [e8])];
}

/** Residue numbers a range spans (residues with insertion codes inside it are not known without the structure). */
const numbersIn = (r: UcgRange) => r.end.resSeq - r.start.resSeq + 1;

const beadAt = (m: UcgMapping, off: number): { bead: UcgBead; range: UcgRange | null } | null => {
  const inSpan = (s: { start: number; end: number }) => off >= s.start && off <= s.end;
  for (const bead of m.beads) {
    if (inSpan(bead.span)) return { bead, range: null };
    const range = bead.ranges.find((r) => inSpan(r.span));
    if (range) return { bead, range };
  }
  return null;
};

export function ucgHover(m: UcgMapping, doc: TextDocument, off: number): Hover | null {
  const hit = beadAt(m, off);
  if (!hit) return null;
  const { bead } = hit;
  const token = hit.range?.span ?? bead.span;
  const total = bead.ranges.reduce((n, r) => n + numbersIn(r), 0);
  const iCodes = bead.ranges.some((r) => r.start.iCode || r.end.iCode);
  const chains = [...new Set(bead.ranges.map((r) => r.chainId || '_'))];
  const lines = [
    `**UCG bead ${bead.name}** — ${total} residue${total === 1 ? '' : 's'}${iCodes ? ' (by residue number; insertion codes inside a range add to it)' : ''} in chain${chains.length === 1 ? '' : 's'} ${chains.join(', ')}`,
    '',
    ...bead.ranges.map((r) => `- \`${formatUcgRange(r)}\`: ${numbersIn(r)} residue${numbersIn(r) === 1 ? '' : 's'}`),
    '',
    'Bead position: the mean of these residues\' CA atoms (`site: ca-centroid`).',
  ];
  return { contents: { kind: MarkupKind.Markdown, value: lines.join('\n') }, range: Range.create(doc.positionAt(token.start), doc.positionAt(token.end)) };
}

export function ucgSymbols(m: UcgMapping, doc: TextDocument): DocumentSymbol[] {
  return m.beads.map((bead) => {
    const end = Math.max(bead.span.end, ...bead.ranges.map((r) => r.span.end));
    const total = bead.ranges.reduce((n, r) => n + numbersIn(r), 0);
    return {
      name: bead.name,
      detail: `${total} residue${total === 1 ? '' : 's'}: ${bead.ranges.map(formatUcgRange).join(', ')}`,
      kind: SymbolKind.Class,
      range: Range.create(doc.positionAt(bead.span.start), doc.positionAt(end)),
      selectionRange: Range.create(doc.positionAt(bead.span.start), doc.positionAt(bead.span.end)),
    } satisfies DocumentSymbol;
  });
}

/** The parser's fixes (swap a reversed range, insert `format`, drop a stray comma, upper-case a sequence) as quick fixes. */
export function ucgCodeActions(m: UcgMapping, doc: TextDocument, range: Range, context: Diagnostic[]): CodeAction[] {
  const s = doc.offsetAt(range.start), e = doc.offsetAt(range.end);
  const out: CodeAction[] = [];
  for (const d of m.diagnostics) {
    if (!d.fixes?.length || d.span.end < s || d.span.start > e) continue;
    const lsp = context.find((x) => x.code === d.code && doc.offsetAt(x.range.start) === d.span.start) ?? {
      range: Range.create(doc.positionAt(d.span.start), doc.positionAt(d.span.end)),
      severity: d.severity === 'error' ? DiagnosticSeverity.Error : DiagnosticSeverity.Warning,
      code: d.code, source: SOURCE, message: d.message,
    };
    for (const f of d.fixes) {
      const edits: TextEdit[] = f.edits.map((x) => ({ range: Range.create(doc.positionAt(x.start), doc.positionAt(x.end)), newText: x.newText }));
      out.push({ title: f.title, kind: CodeActionKind.QuickFix, diagnostics: [lsp], isPreferred: f.preferred, edit: { changes: { [doc.uri]: edits } } });
    }
  }
  return out;
}

const TOP_LEVEL: [string, string][] = [
  ['format', `format: ${UCG_FORMAT}`], ['name', 'name: '], ['site', 'site: ca-centroid'], ['method', 'method: '], ['sequence', 'sequence:\n  '], ['beads', 'beads:\n  '],
];

/** Top-level keys not yet written, the values of format/site/method, and the next free bead name under `beads:`. */
export function ucgCompletion(m: UcgMapping, doc: TextDocument, off: number): CompletionItem[] {
  const text = doc.getText();
  const lineStart = text.lastIndexOf('\n', off - 1) + 1;
  const before = text.slice(lineStart, off);
  const value = /^(format|site|method)\s*:\s*\S*$/.exec(before);
  if (value) {
    const options = value[1] === 'format' ? [UCG_FORMAT] : value[1] === 'site' ? ['ca-centroid'] : [...UCG_METHODS];
    return options.map((label) => ({ label, kind: CompletionItemKind.Value }));
  }
  if (/^[A-Za-z]*$/.test(before)) {
    const present = new Set([...text.matchAll(/^([A-Za-z]+)\s*:/gm)].map((x) => x[1]));
    return TOP_LEVEL.filter(([k]) => !present.has(k)).map(([label, insertText]) => ({ label, kind: CompletionItemKind.Keyword, insertText }));
  }
  // An indented key inside `beads:`: the next unused U<n>.
  const section = [...text.slice(0, lineStart).matchAll(/^([A-Za-z]+)\s*:/gm)].pop()?.[1];
  if (section === 'beads' && /^\s+[A-Za-z0-9]*$/.test(before)) {
    const used = new Set(m.beads.map((b) => b.name));
    let k = 1;
    while (used.has(`U${k}`)) k++;
    return [{ label: `U${k}`, kind: CompletionItemKind.Field, insertText: `U${k}: `, detail: 'next free bead name' }];
  }
  return [];
}
