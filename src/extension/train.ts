// "Train model for this mapping…": trains a backmapping model for a mapping folder of the user's from their own
// all-atom frames (src/core/training `trainModel`, run in the inference worker so the window stays responsive; the
// worker runs training/train.py in a Python with PyTorch). The model lands in
// `<workspace>/.backmap/models/<mapping folder>.onnx` + card, which every backmap then considers (models.ts).
// Menus pass the mapping folder or one of its files; the palette asks. Tests and automation pass an options object
// (TrainCommandOptions) instead, which skips every picker.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { CancelledError } from '../core/errors';
import { resolveMappingFolder } from '../core/mapping/load';
import { isUcgMappingPath } from '../core/ucg/format';
import { readFileHead } from '../core/io/text';
import { parseFrameRange } from '../core/trajectory/frames';
import type { TrainProgress, TrainSettings } from '../shared/worker-protocol';
import { MAPPING_LANGUAGE } from './client';
import { readSettings } from './config';
import { looksLikeMapping } from './detect';
import { trainingEngine } from './engine';
import { log } from './log';
import { workspaceModelsFolder } from './models';
import { STRUCTURE_FILTER, TRAJECTORY_FILTER, argUri, isTrajectoryPath, pickFile, pickFolder, resolveWorkspacePath } from './pick';
import { pickNear } from './structure-actions';

/** What `backmapStudio.trainModel` accepts instead of a Uri (no pickers are shown). Paths may be workspace-relative. */
export interface TrainCommandOptions {
  /** Mapping folder (or a file in it), or a bundled set id. */
  mapping: string;
  /** All-atom topology (PDB/GRO/mmCIF); its models are the frames when there is no trajectory. */
  topology: string;
  trajectory?: string;
  /** "start:stop[:step]"; default every frame. */
  frames?: string;
  /** Training budget in minutes (default 5). */
  minutes?: number;
  /** Output .onnx (default `<workspace>/.backmap/models/<mapping folder name>.onnx`). */
  out?: string;
  /** Replace an existing model. Unset: ask; false: refuse. */
  force?: boolean;
  /** A UCG mapping file: what the model gives (`ca`: the first stage of a chain; `atoms`: one step). Unset: asked. */
  target?: 'ca' | 'atoms';
}

export interface TrainCommandResult {
  /** Card id of the trained model. */
  id: string;
  onnxPath: string;
  cardPath: string;
  mapping: string;
  /** Content hash of the mapping set the model reads (the card's). */
  mappingHash: string;
  validation: { median: number; mean: number } | null;
  frames: { selected: number; train: number; validation: number; range: string };
  seconds: number;
  python: string;
}

/** `{ cancelled: true }`: the run was stopped (Cancel); nothing was written. */
export type TrainCommandOutcome = TrainCommandResult | { cancelled: true } | undefined;

// ------------------------------------------------------------------------------------------- the running run

interface ActiveRun {
  out: string;
  controller: AbortController;
  progress?: TrainProgress;
}
let active: ActiveRun | undefined;

/** Test hook (`backmapStudio.internal.training`): the running training's output and latest progress. */
export function trainingState(): { running: boolean; out?: string; progress?: TrainProgress } {
  return active ? { running: true, out: active.out, progress: active.progress } : { running: false };
}

/** Test hook (`backmapStudio.internal.cancelTraining`): what the notification's Cancel does. */
export function cancelTraining(): boolean {
  if (!active) return false;
  active.controller.abort();
  return true;
}

// ------------------------------------------------------------------------------------- mapping folder context

const MAPPING_FOLDERS_KEY = 'backmapStudio.mappingFolders';
let mappingFolders: string[] = [];

function isMappingYaml(file: string): boolean {
  if (!/\.ya?ml$/i.test(file) || path.basename(file).startsWith('bead_types')) return false;
  // Top-level keys sit near the top (detect.ts reads the same prefix).
  const head = readFileHead(file);
  return !!head && looksLikeMapping(head.toString('utf8'));
}

/** Test hook (`backmapStudio.internal.mappingFolders`): the folders the explorer menu currently offers. */
export const knownMappingFolders = (): string[] => [...mappingFolders];

/** Folders of the workspace holding mapping YAML files (what the explorer menu offers training on). */
async function scanMappingFolders(): Promise<string[]> {
  const files = await vscode.workspace.findFiles('**/*.{yaml,yml}', '{**/node_modules/**,**/.git/**}', 10000);
  const dirs = new Set<string>();
  for (const f of files) {
    if (f.scheme !== 'file') continue;
    const dir = path.dirname(f.fsPath);
    if (!dirs.has(dir) && isMappingYaml(f.fsPath)) dirs.add(dir);
  }
  return [...dirs].sort();
}

/**
 * Keeps the `backmapStudio.mappingFolders` context key (the explorer's "Train model for this mapping…" on a folder)
 * up to date: scanned after activation and again, debounced, when a YAML file is created, changed or deleted.
 */
export function registerMappingFolderContext(ctx: vscode.ExtensionContext): void {
  let timer: NodeJS.Timeout | undefined;
  const refresh = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      scanMappingFolders().then(
        (dirs) => {
          mappingFolders = dirs;
          return vscode.commands.executeCommand('setContext', MAPPING_FOLDERS_KEY, dirs);
        },
        (e) => log().warn(`scanning the workspace for mapping folders failed: ${e instanceof Error ? e.message : e}`),
      );
    }, 500);
  };
  const watcher = vscode.workspace.createFileSystemWatcher('**/*.{yaml,yml}');
  ctx.subscriptions.push(watcher, watcher.onDidCreate(refresh), watcher.onDidChange(refresh), watcher.onDidDelete(refresh),
    vscode.workspace.onDidChangeWorkspaceFolders(refresh), { dispose: () => clearTimeout(timer) });
  refresh();
}

// ---------------------------------------------------------------------------------------------- the questions

const isDir = (p: string) => { try { return fs.statSync(p).isDirectory(); } catch { return false; } };

/** The mapping folder of a menu's Uri (a folder, or a file in it), else the active mapping editor's, else asked. */
async function mappingTarget(arg: unknown): Promise<string | undefined> {
  const uri = argUri(arg);
  // A UCG mapping is one file, trained as itself; a per-residue mapping file stands for its folder (the set).
  if (uri) return isDir(uri.fsPath) || isUcgMappingPath(uri.fsPath) ? uri.fsPath : path.dirname(uri.fsPath);
  const doc = vscode.window.activeTextEditor?.document;
  if (doc?.uri.scheme === 'file' && doc.languageId === MAPPING_LANGUAGE) return isUcgMappingPath(doc.uri.fsPath) ? doc.uri.fsPath : path.dirname(doc.uri.fsPath);
  const found = mappingFolders.length ? mappingFolders : await scanMappingFolders();
  const items: (vscode.QuickPickItem & { value: string })[] = found.map((d) => ({ label: path.basename(d), description: vscode.workspace.asRelativePath(d), value: d }));
  items.push({ label: '$(folder-opened) Choose a mapping folder…', value: '' });
  const c = await vscode.window.showQuickPick(items, { title: 'Train a model for which mapping folder?', placeHolder: 'a folder of mapping YAML files (HEroBM/CGmap dialect)' });
  if (!c) return undefined;
  return c.value || (await pickFolder('Folder of mapping YAML files'))?.fsPath;
}

function validateFrames(text: string): string | undefined {
  if (!text.trim()) return undefined;
  try {
    parseFrameRange(text, 'Frames');
    return undefined;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

function validateMinutes(text: string): string | undefined {
  const m = Number(text.trim());
  return text.trim() && Number.isFinite(m) && m > 0 ? undefined : 'Training minutes: a number above 0, e.g. 5 or 0.5';
}

/** Asks for the topology, trajectory, frames and minutes; undefined when the user dismissed a question. */
async function askRun(mapping: string): Promise<Omit<TrainCommandOptions, 'mapping'> | undefined> {
  const topology = (await pickFile(`All-atom topology for ${path.basename(mapping)} (PDB/GRO/mmCIF, or a multi-model PDB)`, STRUCTURE_FILTER))?.fsPath;
  if (!topology) return undefined;
  const trajectory = await pickNear(topology, isTrajectoryPath, TRAJECTORY_FILTER, 'All-atom trajectory (XTC, TRR, DCD)', 'None: use the models of the topology');
  if (trajectory === undefined) return undefined;
  const frames = await vscode.window.showInputBox({
    title: 'Frames to train on', value: '', placeHolder: 'all frames',
    prompt: 'start:stop[:step], 0-based, stop exclusive (e.g. 0:800 or 100::10); empty = every frame. The last 10 % are held out for validation.',
    validateInput: validateFrames,
  });
  if (frames === undefined) return undefined;
  const minutes = await vscode.window.showInputBox({ title: 'Training time', value: '5', prompt: 'Minutes of training (the wall-clock budget; dataset and export come on top)', validateInput: validateMinutes });
  if (minutes === undefined) return undefined;
  return { topology, trajectory: trajectory ?? undefined, frames: frames.trim() || undefined, minutes: Number(minutes) };
}

const asOptions = (a: unknown): TrainCommandOptions | undefined =>
  a && typeof a === 'object' && !(a instanceof vscode.Uri) && typeof (a as TrainCommandOptions).mapping === 'string' && typeof (a as TrainCommandOptions).topology === 'string'
    ? (a as TrainCommandOptions)
    : undefined;

/** `<name>.onnx` from the mapping folder's name (ids are file names: no separators, no spaces). */
const modelFileName = (mappingName: string) => `${mappingName.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[.-]+/, '') || 'model'}.onnx`;

const cardPathOf = (onnx: string) => onnx.replace(/\.onnx$/i, '') + '.json';

// --------------------------------------------------------------------------------------------------- the command

export async function trainModelCommand(ctx: vscode.ExtensionContext, arg?: unknown): Promise<TrainCommandOutcome> {
  if (active) {
    void vscode.window.showWarningMessage(`Backmap Studio: a model is already being trained (${path.basename(active.out)}); wait for it or cancel it first.`);
    return undefined;
  }
  const given = asOptions(arg);
  const scope = given ? undefined : argUri(arg);
  let mapping = given ? given.mapping : await mappingTarget(arg);
  if (!mapping) return undefined;
  // A bundled set id stays an id; anything else is a folder (a file in it counts as its folder).
  let mappingName: string;
  const asPath = resolveWorkspacePath(mapping, scope);
  const ucg = fs.existsSync(asPath) && !isDir(asPath) && isUcgMappingPath(asPath);
  let target = given?.target;
  if (ucg) {
    // UCG beads → C-alpha trace (the first stage of a chain) or → heavy atoms in one step (docs/ucg-mapping.md).
    if (!target) {
      const c = await vscode.window.showQuickPick(
        [
          { label: 'UCG beads → C-alpha trace', description: 'first stage of a chain; the shipped C-alpha model (or one fine-tuned on your frames) follows it', value: 'ca' as const },
          { label: 'UCG beads → heavy atoms', description: 'one step', value: 'atoms' as const },
        ],
        { title: `What should the model of ${path.basename(asPath)} give?` },
      );
      if (!c) return undefined;
      target = c.value;
    }
    mapping = asPath;
    mappingName = `${path.basename(asPath).replace(/\.ucg\.ya?ml$|\.ya?ml$/i, '')}-${target}`;
  } else if (fs.existsSync(asPath)) {
    mapping = isDir(asPath) ? asPath : path.dirname(asPath);
    if (!fs.readdirSync(mapping).some((f) => isMappingYaml(path.join(mapping!, f))))
      throw new Error(`${mapping} holds no mapping YAML file (a file with top-level "molecule:" and "atoms:")`);
    mappingName = path.basename(mapping);
  } else {
    mappingName = resolveMappingFolder(mapping).id; // throws, naming the unknown id or missing folder
  }

  // Where the model goes, and whether that replaces one, is settled before the questions about the data.
  const folder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(mapping)) ?? vscode.workspace.workspaceFolders?.find((f) => f.uri.scheme === 'file');
  let out: string;
  if (given?.out) out = resolveWorkspacePath(given.out, folder?.uri);
  else if (folder) out = path.join(workspaceModelsFolder(folder.uri.fsPath), modelFileName(mappingName));
  else throw new Error('open a folder first: trained models are saved in <workspace folder>/.backmap/models');
  if (!/\.onnx$/i.test(out)) throw new Error(`the model file must end in .onnx (got ${out})`);
  const card = cardPathOf(out);
  const reference = out.replace(/\.onnx$/i, '') + '.reference.bin';

  // Never silently over a model of the user's: ask (or obey an explicit force from automation).
  let force = given?.force === true;
  const existing = [out, card, reference].filter((f) => fs.existsSync(f));
  if (existing.length && !force) {
    const shown = vscode.workspace.asRelativePath(out);
    if (given?.force === false) throw new Error(`${shown} already exists; pass force: true to replace it`);
    const when = new Date(fs.statSync(existing[0]).mtimeMs).toLocaleString();
    const c = await vscode.window.showWarningMessage(
      `${shown} already exists (written ${when}). Replace it with the new model once training completes?`,
      { modal: true, detail: 'The current model stays in place until the new one is complete; a cancelled or failed run leaves it untouched.' },
      'Replace',
    );
    if (c !== 'Replace') return undefined;
    force = true;
  }
  const run = given ? { ...given } : await askRun(mapping);
  if (!run) return undefined;
  fs.mkdirSync(path.dirname(out), { recursive: true });

  const settings = readSettings(vscode.Uri.file(mapping));
  const options: TrainSettings = {
    mapping,
    topology: resolveWorkspacePath(run.topology, folder?.uri),
    trajectory: run.trajectory ? resolveWorkspacePath(run.trajectory, folder?.uri) : undefined,
    frames: run.frames?.trim() || undefined,
    minutes: run.minutes ?? 5,
    ...(target ? { target } : {}),
    out,
    force,
    // A bare command name ("python3") is looked up on PATH; a relative path is the workspace's.
    python: settings.trainingPython ? (/[\\/]/.test(settings.trainingPython) ? resolveWorkspacePath(settings.trainingPython, folder?.uri) : settings.trainingPython) : undefined,
  };
  if (options.frames) {
    const bad = validateFrames(options.frames);
    if (bad) throw new Error(bad);
  }
  if (!(options.minutes! > 0)) throw new Error(`training minutes must be above 0 (got ${options.minutes})`);
  log().info(`training a model for ${mapping} from ${options.topology}${options.trajectory ? ` + ${options.trajectory}` : ' (its models)'}, frames ${options.frames ?? 'all'}, ${options.minutes} min → ${out}${force ? ' (replacing)' : ''}`);

  const controller = new AbortController();
  const me: ActiveRun = { out, controller };
  active = me;
  const t0 = Date.now();
  let result;
  try {
    result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Training ${path.basename(out)}`, cancellable: true },
      async (progress, token) => {
        const sub = token.onCancellationRequested(() => controller.abort());
        let shown = 0;
        let phase = '';
        progress.report({ message: 'checking the inputs' });
        try {
          return await trainingEngine(ctx).trainModel(options, {
            signal: controller.signal,
            onLog: (level, message) => (level === 'error' ? log().error(message) : level === 'warning' ? log().warn(message) : log().info(message)),
            onTrainProgress: (p) => {
              me.progress = p;
              if (p.phase !== phase) log().info(`training: ${p.message}`);
              phase = p.phase;
              const pct = Math.min(Math.max(p.fraction, 0), 1) * 100;
              progress.report({ message: p.message, increment: pct > shown ? pct - shown : 0 });
              shown = Math.max(shown, pct);
            },
          });
        } finally {
          sub.dispose();
        }
      },
    );
  } catch (e) {
    if (e instanceof CancelledError || (e as Error)?.name === 'CancelledError') {
      const kept = existing.length ? `; ${vscode.workspace.asRelativePath(out)} is unchanged` : '';
      log().info(`training cancelled after ${((Date.now() - t0) / 1000).toFixed(1)} s: nothing written${kept}`);
      void vscode.window.showInformationMessage(`Training cancelled: nothing was written${kept}.`);
      return { cancelled: true };
    }
    throw e;
  } finally {
    if (active === me) active = undefined;
  }

  const v = result.validation;
  const rmsd = v ? `validation RMSD ${v.median.toFixed(3)} Å (median of ${result.frames.validation} held-out frames)` : 'no validation frames';
  log().info(`trained ${result.card.id} in ${result.seconds.toFixed(0)} s with ${result.python}: ${rmsd}; frames ${result.frames.range}: ${result.frames.train} train, ${result.frames.validation} validation → ${result.onnxPath}`);
  void vscode.window
    .showInformationMessage(`Trained model "${result.card.id}" (${vscode.workspace.asRelativePath(result.onnxPath)}): ${rmsd}.`, 'Backmap a structure', 'Show model card')
    .then(async (c) => {
      if (c === 'Backmap a structure') await vscode.commands.executeCommand('backmapStudio.backmap');
      if (c === 'Show model card') await vscode.window.showTextDocument(vscode.Uri.file(result.cardPath), { preview: false });
    });
  return {
    id: result.card.id,
    onnxPath: result.onnxPath,
    cardPath: result.cardPath,
    mapping,
    mappingHash: result.card.mapping.hash,
    validation: result.validation,
    frames: result.frames,
    seconds: result.seconds,
    python: result.python,
  };
}
