// The last backmapping report: kept in memory and on disk (extension global storage) so "Show backmapping
// report" works after a reload. Shown with VS Code's built-in markdown preview.
import * as vscode from 'vscode';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { log } from './log';

export interface StoredReport {
  /** Markdown text. */
  markdown: string;
  /** The structure the report is about (the written output). */
  output?: string;
  input?: string;
  createdAt: string;
}

export class ReportStore {
  private last: StoredReport | undefined;

  constructor(private readonly ctx: vscode.ExtensionContext) {}

  private get file(): string {
    return path.join(this.ctx.globalStorageUri.fsPath, 'last-report.md');
  }

  async save(report: StoredReport): Promise<vscode.Uri> {
    this.last = report;
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    fs.writeFileSync(this.file, report.markdown);
    await this.ctx.globalState.update('backmapStudio.lastReport', { output: report.output, input: report.input, createdAt: report.createdAt });
    log().info(`report stored at ${this.file}`);
    return vscode.Uri.file(this.file);
  }

  get(): StoredReport | undefined {
    if (this.last) return this.last;
    if (!fs.existsSync(this.file)) return undefined;
    const meta = this.ctx.globalState.get<{ output?: string; input?: string; createdAt?: string }>('backmapStudio.lastReport') ?? {};
    this.last = { markdown: fs.readFileSync(this.file, 'utf8'), output: meta.output, input: meta.input, createdAt: meta.createdAt ?? '' };
    return this.last;
  }

  /** Opens the markdown preview of the last report; returns its file, or undefined when there is none yet. */
  async show(): Promise<vscode.Uri | undefined> {
    const r = this.get();
    if (!r) {
      void vscode.window.showInformationMessage('Backmap Studio: no backmapping report yet. Run "Backmap this PDB" first.');
      return undefined;
    }
    const uri = vscode.Uri.file(this.file);
    if (!fs.existsSync(this.file)) await this.save(r);
    await vscode.commands.executeCommand('markdown.showPreview', uri);
    return uri;
  }
}
