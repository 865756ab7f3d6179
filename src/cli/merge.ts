/** `backmap merge`: shard outputs of one run (`--frames` ranges) into one file in frame order (src/core/trajectory/merge.ts). */
import { resolve } from 'node:path';
import { mergeShards } from '../core/trajectory/merge';
import { UsageError, type CliIO, type CliOptions } from './options';

export async function merge(shards: string[], opts: CliOptions, io: CliIO): Promise<void> {
  if (!shards.length) throw new UsageError('missing the shard files: backmap merge <shard1> <shard2> … -o <merged.xtc|trr|dcd|pdb>');
  if (!opts.output) throw new UsageError('missing -o <merged.xtc|trr|dcd|pdb>');
  const r = mergeShards({
    shards,
    out: resolve(opts.output),
    force: opts.force,
    warn: (w) => io.err(`warning: ${w.message}\n`),
  });
  io.out(
    `merged ${r.frames} frame(s) of ${r.shards} shard(s)${r.copied ? '' : ` (decoded and written again as ${r.format.toUpperCase()})`} → ${r.out}` +
      `${r.topologyOut ? ` (+ topology ${r.topologyOut})` : ''}\n`,
  );
}
