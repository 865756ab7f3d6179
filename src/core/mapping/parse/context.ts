/** State shared by the parsing steps of one file: the text, where diagnostics go, and the result being filled. */
import { LineCounter } from 'yaml';
import { CODES } from '../codes';
import type { MappingDiagnostic, MappingFix, MappingSeverity, SourceSpan } from '../types';
import type { ParsedMapping, ParseOptions } from './parsed';

export interface ParseContext {
  readonly text: string;
  readonly file: string;
  readonly opts: ParseOptions;
  readonly lineCounter: LineCounter;
  readonly result: ParsedMapping;
  /** A span of this file (end never before start; 1-based line of `start`). */
  span(start: number, end: number): SourceSpan;
  /** Records a diagnostic; the severity defaults to the code's (codes.ts). */
  report(code: string, start: number, end: number, message: string, fixes?: MappingFix[], severity?: MappingSeverity): void;
  /** The first line of the file (at least one character): where problems of the whole file are reported. */
  firstLine(): [number, number];
}

export function createParseContext(text: string, file: string, opts: ParseOptions): ParseContext {
  const lineCounter = new LineCounter();
  const diagnostics: MappingDiagnostic[] = [];
  const result: ParsedMapping = {
    file, text, molecule: null, moleculeName: null, moleculeToken: null, entries: [], diagnostics,
    hasRules: false, fileSlots: 0, lineCounter,
  };
  const span = (start: number, end: number): SourceSpan => ({ file, start, end: Math.max(end, start), line: lineCounter.linePos(start).line });
  return {
    text, file, opts, lineCounter, result, span,
    report(code, start, end, message, fixes, severity) {
      const d: MappingDiagnostic = { code, severity: severity ?? CODES[code]?.severity ?? 'warning', message, span: span(start, end) };
      if (fixes?.length) d.fixes = fixes;
      diagnostics.push(d);
    },
    firstLine() {
      const newline = text.indexOf('\n');
      return [0, Math.min(text.length, Math.max(1, newline < 0 ? text.length : newline))];
    },
  };
}

/** Final order of a file's diagnostics: by position, then by code (stable for equal keys). */
export function sortDiagnostics(diagnostics: MappingDiagnostic[]): void {
  diagnostics.sort((a, b) => a.span.start - b.span.start || (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
}
