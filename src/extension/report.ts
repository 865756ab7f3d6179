// One report per run, written beside its output as `<output stem>.report.md` (never over an existing file: a
// second name is chosen), so earlier runs keep theirs. "Show backmapping report" opens the latest one; its path is
// remembered across reloads. Shown with VS Code's built-in markdown preview.
import * as vscode from 'vscode';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileStem } from '../core/io/formats';
import { nonClobberingPath, writeFileAtomic } from '../core/structure/write';
import { log } from './log';

export interface StoredReport {
  /** Markdown text. */
  markdown: string;
  /** The structure or trajectory the report is about (the written output). */
  output?: string;
  input?: string;
  createdAt: string;
  /** Where the report was written. */
  path?: string;
}

const LATEST_KEY = 'backmapStudio.lastReport';

/** `<dir>/<output stem>.report.md` beside the output, or a free variant of it (`….report-1.md`). */
export function reportPathFor(output: string): string {
  return nonClobberingPath(path.join(path.dirname(output), `${fileStem(output)}.report.md`));
}

export class ReportStore {
  private latest: StoredReport | undefined;

  constructor(private readonly ctx: vscode.ExtensionContext) {}

  /** Fallback folder when the output's folder cannot take the report (read-only, gone). */
  private get fallbackDir(): string {
    return path.join(this.ctx.globalStorageUri.fsPath, 'reports');
  }

  /** Writes the run's report beside its output (else in the extension's storage) and makes it the latest. */
  async save(report: StoredReport): Promise<vscode.Uri> {
    const file = this.write(report);
    this.latest = { ...report, path: file };
    await this.ctx.globalState.update(LATEST_KEY, { path: file, output: report.output, input: report.input, createdAt: report.createdAt });
    log().info(`report written to ${file}`);
    return vscode.Uri.file(file);
  }

  private write(report: StoredReport): string {
    const stem = report.output ?? report.input ?? 'backmap';
    if (report.output) {
      const beside = reportPathFor(report.output);
      try {
        writeFileAtomic(beside, report.markdown);
        return beside;
      } catch (e) {
        log().warn(`cannot write the report beside ${report.output} (${(e as Error).message}): keeping it in the extension's storage`);
      }
    }
    fs.mkdirSync(this.fallbackDir, { recursive: true });
    const file = reportPathFor(path.join(this.fallbackDir, path.basename(stem)));
    writeFileAtomic(file, report.markdown);
    return file;
  }

  /** The latest run's report (read from disk after a reload), or undefined when there is none. */
  get(): StoredReport | undefined {
    if (this.latest) return this.latest;
    const meta = this.ctx.globalState.get<{ path?: string; output?: string; input?: string; createdAt?: string }>(LATEST_KEY);
    if (!meta?.path || !fs.existsSync(meta.path)) return undefined;
    this.latest = { markdown: fs.readFileSync(meta.path, 'utf8'), path: meta.path, output: meta.output, input: meta.input, createdAt: meta.createdAt ?? '' };
    return this.latest;
  }

  /** Opens the markdown preview of the latest report; returns its file, or undefined when there is none yet. */
  async show(): Promise<vscode.Uri | undefined> {
    const r = this.get();
    if (!r) {
      void vscode.window.showInformationMessage('Backmap Studio: no backmapping report yet. Run "Backmap this PDB" first.');
      return undefined;
    }
    // Deleted since it was written: the text is still known, so it is written again (beside the output when possible).
    let file = r.path;
    if (!file || !fs.existsSync(file)) file = (await this.save(r)).fsPath;
    const uri = vscode.Uri.file(file);
    await vscode.commands.executeCommand('markdown.showPreview', uri);
    return uri;
  }
}
