// One inference worker client per extension host (lazily started, disposed on deactivate), and a second one for
// training, so that backmaps are not queued behind a training run of many minutes. The worker is dist/worker.js beside
// dist/extension.js, so it also resolves onnxruntime-node from the VSIX's own node_modules.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { EngineClient } from '../engine/client';
import type { BackmapSettings, Stage } from '../shared/worker-protocol';
import type { Settings } from './config';
import { MAPPING_LANGUAGE } from './client';
import { log } from './log';
import { modelDirs } from './models';

let client: EngineClient | undefined;
let trainingClient: EngineClient | undefined;

const newClient = (ctx: vscode.ExtensionContext) => {
  ctx.subscriptions.push({ dispose: () => disposeEngine() });
  return new EngineClient({ workerPath: vscode.Uri.joinPath(ctx.extensionUri, 'dist', 'worker.js').fsPath, log: (m) => log().info(m) });
};

export function engine(ctx: vscode.ExtensionContext): EngineClient {
  client ??= newClient(ctx);
  return client;
}

/** The worker that trains models ("Train model for this mapping…"), beside the one that backmaps. */
export function trainingEngine(ctx: vscode.ExtensionContext): EngineClient {
  trainingClient ??= newClient(ctx);
  return trainingClient;
}

export function disposeEngine(): void {
  client?.dispose();
  client = undefined;
  trainingClient?.dispose();
  trainingClient = undefined;
}

/**
 * The mapping set for a backmap: the user's setting, or with `auto` the workspace's mapping folders and open mapping
 * documents, from which the worker picks one that knows the input (core/pipeline/workspace-mapping.ts; validating
 * folders takes seconds, so it is not done here). The worker logs the choice and its reason.
 */
function mappingSettings(s: Settings): Pick<BackmapSettings, 'mapping' | 'workspaceMappings'> {
  if (s.mapping !== 'auto') {
    log().info(`Mapping set: ${s.mapping} (setting backmapStudio.mapping.set)`);
    return { mapping: s.mapping };
  }
  if (!s.scope) return {};
  const openMappingFolders = vscode.workspace.textDocuments.filter((d) => d.languageId === MAPPING_LANGUAGE && d.uri.scheme === 'file').map((d) => path.dirname(d.uri.fsPath));
  return {
    workspaceMappings: {
      workspaceFolders: (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath),
      openMappingFolders,
      residueNameMap: Object.keys(s.residueNameMap).length ? { ...s.residueNameMap } : undefined,
    },
  };
}

/** Settings as the worker takes them; `modelDirs` lets model choice (`auto`) find the workspace's trained models. */
export function engineSettings(s: Settings): BackmapSettings {
  // JSON round trip: configuration values are read-only proxies, which the IPC structured clone refuses.
  return JSON.parse(JSON.stringify({
    model: s.model,
    modelDirs: modelDirs(s),
    ...mappingSettings(s),
    device: s.device,
    residueNameMap: Object.keys(s.residueNameMap).length ? s.residueNameMap : undefined,
    refine: { backbone: s.refineBackbone, clashes: s.refineClashes, sidechains: s.refineSidechains },
    chunkSize: s.chunkSize,
    hydrogens: s.hydrogens,
    ph: s.ph,
    names: s.hydrogens || s.names !== 'charmm' ? s.names : undefined,
    // The minimisation needs the hydrogens (without them every residue would be held).
    minimise: s.minimise && s.hydrogens ? true : undefined,
  })) as BackmapSettings;
}

const STAGES: Stage[] = ['parse', 'assign', 'model', 'graph', 'inference', 'rebuild', 'refine', 'metrics', 'write'];
const LABEL: Record<string, string> = {
  parse: 'reading input', assign: 'assigning beads', model: 'loading model', graph: 'building the bead graph',
  inference: 'running the network', rebuild: 'rebuilding atoms', refine: 'refining', metrics: 'computing quality metrics',
  write: 'writing', frames: 'frames',
};

/** Turns worker stage events into monotone `withProgress` increments. */
export function progressReporter(progress: vscode.Progress<{ message?: string; increment?: number }>): (stage: string, fraction: number) => void {
  let shown = 0;
  return (stage, fraction) => {
    const f = Math.min(Math.max(fraction, 0), 1);
    const i = STAGES.indexOf(stage as Stage);
    const overall = stage === 'frames' ? f * 100 : i < 0 ? shown : ((i + f) / STAGES.length) * 100;
    const increment = overall > shown ? overall - shown : 0;
    shown = Math.max(shown, overall);
    const pct = stage === 'frames' || fraction < 1 ? ` ${Math.round(f * 100)}%` : '';
    progress.report({ message: `${LABEL[stage] ?? stage}${pct}`, increment });
  };
}
