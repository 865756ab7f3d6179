// Typed view of the `backmapStudio.*` settings (declared in package.json `contributes.configuration`).
import * as vscode from 'vscode';
import { DEVICES, type Device } from '../core/model/providers';
import { DEFAULT_CHUNK_SIZE } from '../core/model/chunking';
import { HYDROGENS_DEFAULT } from '../core/pipeline/options';

export { DEVICES, type Device };

export interface Settings {
  device: Device;
  /** `auto` (model matching the mapping), `template` (model-free) or a model id / .onnx path. */
  model: string;
  /**
   * `backmapStudio.mapping.set`: mapping set id (`martini3`, `ca`) or folder; `auto`: a mapping folder of the
   * workspace that knows the input, else the bundled set detected from the bead names (core/pipeline/workspace-mapping.ts, in the worker).
   */
  mapping: string;
  residueNameMap: Record<string, string>;
  refineBackbone: boolean;
  refineClashes: boolean;
  refineSidechains: boolean;
  chunkSize: number;
  referenceStructure: string;
  /** `backmapStudio.models.folders`: folders of models besides the workspace's `.backmap/models` (as written). */
  modelFolders: string[];
  /** `backmapStudio.training.python`: the interpreter training uses; '' = found automatically. */
  trainingPython: string;
  /** `backmapStudio.output.hydrogens` (on by default), `.ph`, `.names`: hydrogens (protein, lipids, water) and force-field naming. */
  hydrogens: boolean;
  ph: number;
  names: 'charmm' | 'amber' | 'gromacs';
  /** `backmapStudio.output.minimise`: the AMBER99SB-ILDN minimisation after hydrogens (every frame of a trajectory too; off by default). */
  minimise: boolean;
  /** `backmapStudio.trajectory.solvent`: water and ions placed in every frame of a whole-system trajectory (off by default). */
  trajectorySolvent: boolean;
  /** The file the settings were read for (the input of a backmap), when one was given. */
  scope?: string;
}

export function readSettings(scope?: vscode.Uri): Settings {
  const c = vscode.workspace.getConfiguration('backmapStudio', scope);
  const device = c.get<string>('device', 'auto');
  return {
    device: (DEVICES as readonly string[]).includes(device) ? (device as Device) : 'auto',
    model: c.get<string>('model', 'auto') || 'auto',
    mapping: c.get<string>('mapping.set', 'auto') || 'auto',
    residueNameMap: c.get<Record<string, string>>('residueNameMap', {}) ?? {},
    refineBackbone: c.get<boolean>('refine.backbone', true),
    refineClashes: c.get<boolean>('refine.clashes', true),
    refineSidechains: c.get<boolean>('refine.sidechains', false),
    // 0 = the whole system in one pass (the engine's convention); negative values are treated as 0.
    chunkSize: Math.max(0, Math.floor(c.get<number>('chunkSize', DEFAULT_CHUNK_SIZE))),
    referenceStructure: c.get<string>('mapping.referenceStructure', ''),
    // A hand-edited settings.json can hold anything: keep the strings.
    modelFolders: (c.get<unknown[]>('models.folders', []) ?? []).filter((d): d is string => typeof d === 'string' && d.trim() !== ''),
    trainingPython: (c.get<string>('training.python', '') ?? '').trim(),
    hydrogens: c.get<boolean>('output.hydrogens', HYDROGENS_DEFAULT),
    ph: Number(c.get<number>('output.ph', 7)),
    names: (['charmm', 'amber', 'gromacs'] as const).find((n) => n === c.get<string>('output.names', 'charmm')) ?? 'charmm',
    minimise: c.get<boolean>('output.minimise', false),
    trajectorySolvent: c.get<boolean>('trajectory.solvent', false),
    scope: scope?.scheme === 'file' ? scope.fsPath : undefined,
  };
}
