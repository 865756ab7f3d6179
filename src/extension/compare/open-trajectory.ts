// Opening a trajectory (XTC, DCD, TRR) in the comparison view: the topology is asked for (the same-stem structure
// beside it first), and frames are read one at a time in the extension host (frames.ts). Used by "Open in
// comparison view" and by the custom editor that opens when a trajectory file is clicked.
import * as vscode from 'vscode';
import * as path from 'node:path';
import { readStructureFile } from '../../core/structure/read';
import { fileFormatOf, fileStem, STRUCTURE_FILE_EXTENSIONS } from '../../core/io/formats';
import { TrajectoryFrames, topologyCandidates } from './frames';
import { looksCoarseGrained } from './payload';
import type { ComparisonInput } from './panel';

const isStructureFile = (f: string): boolean => fileFormatOf(f)?.kind === 'structure';

/**
 * The topology for `trajectory`: a quick pick of the structures beside it, the likeliest (same stem, or the
 * backmapping's `<stem>.topology.pdb`) first and preselected, then "Browse…". Undefined when cancelled.
 */
export async function chooseTopology(trajectory: string): Promise<string | undefined> {
  const candidates = topologyCandidates(trajectory, isStructureFile);
  const items: (vscode.QuickPickItem & { file?: string })[] = candidates.map((f) => ({
    label: path.basename(f),
    description: sameStem(trajectory, f) ? 'same name as the trajectory' : undefined,
    file: f,
  }));
  items.push({ label: '$(folder-opened) Browse…' });
  const picked = await vscode.window.showQuickPick(items, { title: `Topology of ${path.basename(trajectory)} (a structure with the same atoms)`, placeHolder: 'PDB, GRO or mmCIF with the trajectory\'s atoms in the same order' });
  if (!picked) return undefined;
  if (picked.file) return picked.file;
  const r = await vscode.window.showOpenDialog({
    title: `Topology of ${path.basename(trajectory)}`,
    canSelectMany: false,
    defaultUri: vscode.Uri.file(path.dirname(trajectory)),
    filters: { 'Structures (PDB, GRO, mmCIF)': [...STRUCTURE_FILE_EXTENSIONS] },
    openLabel: 'Use as topology',
  });
  return r?.[0]?.fsPath;
}

/** The candidate shares the trajectory's stem (or is its `<stem>.topology` file). */
function sameStem(trajectory: string, candidate: string): boolean {
  const t = fileStem(trajectory), c = fileStem(candidate);
  return c === t || c === `${t}.topology`;
}

/** The comparison of one trajectory: its topology's layer (CG beads or all-atom) playing its frames. */
export function trajectoryComparison(trajectory: string, topology: string): ComparisonInput & { layer: 'cg' | 'backmapped' } {
  const top = readStructureFile(topology);
  const layer = looksCoarseGrained(top) ? 'cg' : 'backmapped';
  const frames = new TrajectoryFrames({ [layer]: { topology: top, trajectory } });
  return {
    layer,
    [layer]: top,
    trajectory: frames,
    title: `${path.basename(trajectory)} (${frames.count} frames)`,
    source: { [layer]: topology, [`${layer}Trajectory`]: trajectory },
  };
}
