/**
 * Formatting: align key and value columns inside `atoms:`; never reorder or join lines, since the entry order is
 * the model interface (I1 in docs/mapping-format.md).
 */
import { Range, TextEdit } from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { ParsedMapping } from '../../core/mapping/parse';

export function format(p: ParsedMapping, doc: TextDocument, opts: { tabSize: number } = { tabSize: 2 }): TextEdit[] {
  const text = doc.getText();
  type Row = { lineStart: number; lineEnd: number; indent: string; key: string; tokens: string[] | null; rawValue: string; comment: string };
  const rows: Row[] = [];
  for (const e of p.entries) {
    const ls = text.lastIndexOf('\n', e.start - 1) + 1;
    let le = text.indexOf('\n', e.start);
    if (le < 0) le = text.length;
    if (e.end > le) continue; // multi-line entry: leave untouched
    const line = text.slice(ls, le).replace(/\r$/, '');
    const lineEnd = ls + line.length;
    const indent = /^\s*/.exec(line)![0];
    const m = /^(\s*)((?:"(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^\s:#][^:#]*?))\s*:(?:\s+|$)(.*)$/.exec(line);
    if (!m || indent.length === 0 || indent.includes('\t')) continue;
    let rest = m[3];
    let comment = '';
    const quoted = /^(["'])/.test(rest);
    if (quoted) {
      const q = /^("(?:[^"\\]|\\.)*"|'(?:[^']|'')*')(\s*(#.*)?)$/.exec(rest);
      if (!q) continue;
      rest = q[1];
      comment = q[3] ?? '';
    } else {
      const ci = rest.search(/\s#/);
      if (ci >= 0) { comment = rest.slice(ci).trim(); rest = rest.slice(0, ci); }
      if (rest.startsWith('#')) { comment = rest; rest = ''; }
    }
    rest = rest.trim();
    rows.push({ lineStart: ls, lineEnd, indent, key: m[2], tokens: quoted || rest === '' ? null : rest.split(/\s+/), rawValue: rest, comment });
  }
  if (!rows.length) return [];
  void opts;
  if (p.diagnostics.some((d) => d.code === 'X1')) return []; // never reformat what YAML cannot parse
  const keyW = Math.max(...rows.map((r) => r.key.length + 1));
  const colW: number[] = [];
  for (const r of rows) r.tokens?.forEach((t, i) => { colW[i] = Math.max(colW[i] ?? 0, t.length); });
  const edits: TextEdit[] = [];
  const lines = rows.map((r) => {
    let v = r.tokens ? r.tokens.map((t, i) => (i === r.tokens!.length - 1 ? t : t.padEnd(colW[i]))).join('  ') : r.rawValue;
    v = v.replace(/\s+$/, '');
    return `${r.indent}${(r.key + ':').padEnd(keyW)} ${v}`.replace(/\s+$/, '');
  });
  const commentCol = Math.max(...lines.map((l) => l.length)) + 2;
  rows.forEach((r, i) => {
    const nl = r.comment ? `${lines[i].padEnd(commentCol)}${r.comment}` : lines[i];
    const old = text.slice(r.lineStart, r.lineEnd);
    if (nl !== old) edits.push(TextEdit.replace(Range.create(doc.positionAt(r.lineStart), doc.positionAt(r.lineEnd)), nl));
  });
  return edits;
}
