// Rebuilds a comparison from the file paths kept in the webview state (after a window reload). No vscode.
import { readStructureFile } from '../../core/structure/read';
import { loadMappingSet } from '../../core/mapping/load';
import { mapToCg } from '../../core/forward';
import type { Structure } from '../../core/structure/types';
import type { ComparisonSource } from '../../shared/webview-protocol';
import { TrajectoryFrames, type TrajectoryLayer } from './frames';

export interface ReloadedInput {
  cg?: Structure;
  backmapped?: Structure;
  reference?: Structure;
  source: ComparisonSource;
  /** Trajectories (`cgTrajectory` / `backmappedTrajectory` in the source) opened again, read frame by frame. */
  trajectory?: TrajectoryFrames;
}

/**
 * Reads the layers back from disk. `source.mapping` means the CG layer was made by mapping the file in
 * `source.cg` to beads (Map to CG / mapping preview), so it is mapped again rather than read as beads.
 */
export function reloadComparison(source: ComparisonSource): ReloadedInput {
  const read = (p?: string) => (p ? readStructureFile(p) : undefined);
  const out: ReloadedInput = { source, backmapped: read(source.backmapped), reference: read(source.reference) };
  if (source.cg) {
    const s = source.cg === source.reference && out.reference ? out.reference : readStructureFile(source.cg);
    out.cg = source.mapping ? mapToCg(s, loadMappingSet(source.mapping)).cg : s;
  }
  if (!out.cg && !out.backmapped && !out.reference) throw new Error('nothing to show: the comparison has no files');
  const layers: { cg?: TrajectoryLayer; backmapped?: TrajectoryLayer } = {};
  if (source.cgTrajectory && out.cg) layers.cg = { topology: out.cg, trajectory: source.cgTrajectory };
  if (source.backmappedTrajectory && out.backmapped) layers.backmapped = { topology: out.backmapped, trajectory: source.backmappedTrajectory };
  if (layers.cg || layers.backmapped) out.trajectory = new TrajectoryFrames(layers);
  return out;
}
