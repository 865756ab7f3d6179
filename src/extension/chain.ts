// Chains of model stages in the editor (issue #28): a structure of UCG beads is backmapped by a chain, UCG beads →
// C-alpha trace (a UCG stage) → all atoms (a C-alpha model). Before anything runs, the chain found among the installed
// models (shipped, the workspace's .backmap/models, backmapStudio.models.folders) is offered: run it, or write only
// the C-alpha trace of its first stage. The worker then runs exactly the models chosen.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { chooseChain, type ChainStage } from '../core/pipeline/chain';
import { readStructureFile } from '../core/structure/read';
import { isUcgStructureFile } from '../core/ucg/map';
import type { Settings } from './config';
import { log } from './log';
import { modelDirs } from './models';

/** The models the user chose (ids or .onnx paths, in order) and what the last of them gives. */
export interface ChainChoice {
  models: string[];
  gives: string;
  description: string;
}

const SHORT: Record<string, string> = { ucg: 'UCG', ca: 'C-alpha', atoms: 'atoms' };
const shortEnd = (kind: string) => SHORT[kind] ?? (kind.startsWith('beads:') ? `${kind.slice(6)} beads` : kind);

/** "s1 (UCG → C-alpha) → ca-protein (C-alpha → atoms)". */
export function describeChain(stages: Pick<ChainStage, 'card' | 'takes' | 'gives'>[]): string {
  return stages.map((s) => `${s.card.id} (${shortEnd(s.takes)} → ${shortEnd(s.gives)})`).join(' → ');
}

/** Labels of the offer on screen (test hook `backmapStudio.internal.chainOffer`: tests answer it once it is up). */
let shownOffer: string[] | undefined;
export const chainOfferShown = (): string[] | undefined => shownOffer;

interface ChainItem extends vscode.QuickPickItem {
  stages: ChainStage[];
}

/**
 * For a file of UCG beads with the model setting `auto`: the chain the user accepts, `undefined` when they dismiss
 * the offer (nothing runs), `null` when there is nothing to offer (other input, or a model set: the worker runs
 * it). No installed model that takes the beads: chooseChain's InputError, which says what to train.
 */
export async function offerChain(input: string, settings: Settings): Promise<ChainChoice | null | undefined> {
  // The first atom record tells (64 KB read); only UCG files, a few beads per frame, are read in full here.
  if (settings.model !== 'auto' || !isUcgStructureFile(input)) return null;
  const s = readStructureFile(input);
  const chosen = chooseChain(s, modelDirs(settings));
  if (!chosen) return null;
  log().info(`chain for ${input}: ${chosen.note}`);
  const { stages } = chosen;
  const first = stages[0];
  const frames = s.models.length > 1 ? `, ${s.models.length} frames` : '';
  const items: ChainItem[] = [
    {
      label: stages.length > 1 ? '$(run-all) Run the chain' : `$(run) Run ${first.card.id}`,
      description: describeChain(stages),
      detail: chosen.note,
      stages,
    },
  ];
  if (stages.length > 1)
    items.push({
      label: first.gives === 'ca' ? '$(debug-step-over) C-alpha trace only' : `$(debug-step-over) First stage only (${shortEnd(first.gives)})`,
      description: describeChain([first]),
      detail: `writes what ${first.card.id} gives (${path.basename(first.onnxPath)}), without the later stages`,
      stages: [first],
    });
  shownOffer = items.map((i) => i.label);
  let pick: ChainItem | undefined;
  try {
    pick = await vscode.window.showQuickPick(items, {
      title: `Backmap ${path.basename(input)}: ${s.atoms.count} UCG beads${frames}`,
      placeHolder: 'A chain of models rebuilds UCG beads: run it, or write its first stage alone',
      ignoreFocusOut: true,
    });
  } finally {
    shownOffer = undefined;
  }
  if (!pick) {
    log().info(`chain for ${input}: dismissed, nothing run`);
    return undefined;
  }
  const description = describeChain(pick.stages);
  log().info(`chain for ${input}: ${description}`);
  return { models: pick.stages.map((st) => st.onnxPath), gives: pick.stages[pick.stages.length - 1].gives, description };
}
