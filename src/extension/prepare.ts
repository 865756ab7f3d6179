// "Prepare for simulation…": minimises a structure with the user's GROMACS or OpenMM (src/core/prepare, run here in
// the extension host: the engine is a child process, so nothing blocks), with the steps in a cancellable notification,
// the engine's output in the log, and the energies at the end. Menus pass the file; the palette asks. Tests pass a
// PrepareCommandOptions object instead, which skips every question.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { prepareStructure, defaultPrepareFolder, type PrepareOptions, type PrepareResult } from '../core/prepare';
import { ENGINE_CHOICES, type EngineChoice } from '../core/prepare/engines';
import { register } from './commands';
import { log } from './log';
import { resolveWorkspacePath, structureTarget } from './pick';

/** What `backmapStudio.prepareForSimulation` accepts instead of a Uri. Paths may be workspace-relative. */
export interface PrepareCommandOptions extends Pick<PrepareOptions, 'input' | 'out' | 'engine' | 'ff' | 'restrain' | 'steps' | 'emtol' | 'threads'> {
  /** Replace an existing output folder. Unset: ask; false: refuse. */
  force?: boolean;
}

/** `{ cancelled: true }`: stopped with Cancel; nothing was written. */
export type PrepareCommandOutcome = PrepareResult | { cancelled: true } | undefined;

let running: AbortController | undefined;

/** Test hook (`backmapStudio.internal.cancelPrepare`): what the notification's Cancel does. */
export function cancelPrepare(): boolean {
  if (!running) return false;
  running.abort();
  return true;
}

const asOptions = (a: unknown): PrepareCommandOptions | undefined =>
  a && typeof a === 'object' && !(a instanceof vscode.Uri) && typeof (a as PrepareCommandOptions).input === 'string' ? (a as PrepareCommandOptions) : undefined;

function settings(scope: vscode.Uri): { engine: EngineChoice; gmx?: string; python?: string } {
  const c = vscode.workspace.getConfiguration('backmapStudio', scope);
  const engine = c.get<string>('prepare.engine', 'auto');
  const gmx = (c.get<string>('prepare.gmx', '') ?? '').trim();
  // OpenMM runs in the Python the user named for training (a conda env with openmm, say), else one found.
  const python = (c.get<string>('training.python', '') ?? '').trim();
  return { engine: (ENGINE_CHOICES as readonly string[]).includes(engine) ? (engine as EngineChoice) : 'auto', gmx: gmx || undefined, python: python || undefined };
}

const f1 = (x: number | undefined) => (x === undefined ? '–' : x.toFixed(1));

export async function prepareCommand(arg?: unknown): Promise<PrepareCommandOutcome> {
  if (running) {
    void vscode.window.showWarningMessage('Backmap Studio: a structure is already being prepared; wait for it or cancel it first.');
    return undefined;
  }
  const given = asOptions(arg);
  const uri = given ? vscode.Uri.file(resolveWorkspacePath(given.input)) : await structureTarget(arg, 'Structure to prepare for simulation (PDB, GRO)');
  if (!uri) return undefined;
  const input = uri.fsPath;
  const out = given?.out ? resolveWorkspacePath(given.out, uri) : defaultPrepareFolder(input);
  let force = given?.force;
  if (fs.existsSync(out) && force === undefined) {
    const c = await vscode.window.showWarningMessage(`${path.basename(out)} already exists. Replace it?`, { modal: true }, 'Replace');
    if (c !== 'Replace') return undefined;
    force = true;
  }
  const s = settings(uri);
  const controller = new AbortController();
  running = controller;
  let result: PrepareResult;
  try {
    result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Preparing ${path.basename(input)} for simulation`, cancellable: true },
      async (progress, token) => {
        const sub = token.onCancellationRequested(() => controller.abort());
        let done = 0;
        try {
          return await prepareStructure(
            {
              input, out, force,
              engine: given?.engine ?? s.engine, gmx: s.gmx, python: s.python,
              ff: given?.ff, restrain: given?.restrain, steps: given?.steps, emtol: given?.emtol, threads: given?.threads,
            },
            {
              signal: controller.signal,
              progress: (step, fraction) => {
                const pct = Math.round(fraction * 100);
                progress.report({ message: step, increment: Math.max(0, pct - done) });
                done = Math.max(done, pct);
                log().info(`prepare: ${step}`);
              },
              log: (line) => log().info(line),
            },
          );
        } finally {
          sub.dispose();
        }
      },
    );
  } catch (e) {
    if ((e as Error)?.name === 'CancelledError') {
      log().info(`prepare: ${input} cancelled; nothing written`);
      return { cancelled: true };
    }
    throw e;
  } finally {
    running = undefined;
  }
  const e = result.energy;
  const summary =
    `${path.basename(input)} minimised with ${result.engine === 'gromacs' ? 'GROMACS' : 'OpenMM'} ${result.version} (${result.forceField}): ` +
    `${f1(e.before.perResidue)} → ${f1(e.after.perResidue)} kJ/mol per residue, largest force ${f1(result.maxForce.before)} → ${f1(result.maxForce.after)} kJ/mol/nm, ` +
    `heavy atoms moved ${result.heavyAtoms.rmsd.toFixed(2)} Å RMS.`;
  log().info(`prepare: ${summary} → ${result.folder}`);
  for (const w of result.warnings) log().warn(`prepare: ${w}`);
  // Not awaited: the command returns its result while the message stays up
  void vscode.window.showInformationMessage(`${summary}${result.warnings.length ? ` ${result.warnings.length} warning(s): see prepare.md.` : ''}`, 'Open prepare.md', 'Reveal folder').then(async (c) => {
    if (c === 'Open prepare.md') await vscode.window.showTextDocument(vscode.Uri.file(path.join(result.folder, 'prepare.md')));
    else if (c === 'Reveal folder') await vscode.commands.executeCommand('revealFileInOS', vscode.Uri.file(path.join(result.folder, 'prepare.md')));
  });
  return result;
}

/** The command and its test hook (called once from activation). */
export function registerPrepare(ctx: vscode.ExtensionContext): void {
  register(ctx, 'backmapStudio.prepareForSimulation', 'Prepare for simulation', (arg?: unknown) => prepareCommand(arg));
  ctx.subscriptions.push(vscode.commands.registerCommand('backmapStudio.internal.cancelPrepare', () => cancelPrepare()));
  // A window closed or reloaded mid-run stops the engine (its process group), not only the progress notification.
  ctx.subscriptions.push({ dispose: () => running?.abort() });
}
