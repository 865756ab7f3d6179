// train.py --grow and export.py stage cards. --grow: a checkpoint deepened by appended layers must start as exactly
// the same function, and the new layers must still receive gradients (else they would stay identities for ever).
// Runs the training code itself with Debian's python3-torch; skipped, saying so, where that is not installed (CI
// machines need not have it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const python = process.env.BACKMAP_PYTHON || '/usr/bin/python3';
const training = join(__dirname, '..', '..', 'training');
const hasTorch = spawnSync(python, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;

const CHECK = `
import json, torch
from model import BackmapNet
from train import grow_layers
torch.manual_seed(0)
n, k, types = 40, 12, 9
old = BackmapNet(types, 5, features=16, layers=2, cutoff=8.0)
new = BackmapNet(types, 5, features=16, layers=3, cutoff=8.0)
grow_layers(new, old.state_dict(), 2)
pos = torch.randn(n, 3) * 4
nbr = torch.stack([torch.randperm(n)[:k] for _ in range(n)])
args = (pos, torch.randint(0, types, (n,)), nbr, (torch.rand(n, k) > 0.2).float(), torch.randint(0, 8, (n, k)))
with torch.no_grad():
    v0, t0 = old(*args)
v1, t1 = new(*args)
(v1.square().sum() + t1.sum()).backward()
bad = None
try:
    partial = {key: val for key, val in old.state_dict().items() if key != 'embed.weight'}
    grow_layers(BackmapNet(types, 5, features=16, layers=3, cutoff=8.0), partial, 2)
except SystemExit as e:
    bad = str(e)
print(json.dumps({
    'dv': (v0 - v1).abs().max().item(), 'dt': (t0 - t1).abs().max().item(),
    'grad_inter': new.inter[2].phi[2].weight.grad.abs().sum().item(),
    'grad_update': new.update[2].mlp[2].weight.grad.abs().sum().item(),
    'refused': bad,
}))
`;

test('train.py --grow: appended layers start as exact identities and still train', { skip: hasTorch ? false : `${python} has no torch (apt install python3-torch); --grow check skipped` }, () => {
  const r = spawnSync(python, ['-c', CHECK], { cwd: training, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
  assert.equal(out.dv, 0, 'slot vectors unchanged');
  assert.equal(out.dt, 0, 'torsions unchanged');
  assert.ok(out.grad_inter > 0 && out.grad_update > 0, 'the zeroed maps of the new layer get gradients');
  assert.match(out.refused ?? '', /does not fit the first 2 layers/, 'a checkpoint missing one of the kept weights is refused');
});

// A warm-started card lists each stage as it trained: a fine-tune with other augmentation must not be reported
// with the first stage's noise (the card's top-level `augmentation` is the last stage's).
const STAGES = `
import json
from train import checkpoint_stages
from export import stage_summaries
first = {'wall_s': 600.0, 'epochs': 2, 'steps': 100, 'hardware': 'cpu',
         'args': {'lr': 2e-3, 'seed': 1, 'layers': 3, 'noise': 0.08, 'outward': 0.15}}
tune = {'wall_s': 1200.0, 'epochs': 1, 'steps': 50, 'hardware': 'cpu',
        'args': {'lr': 3e-4, 'seed': 2, 'layers': 3, 'noise': 0.03, 'outward': 0.0}}
print(json.dumps({'chained': stage_summaries(checkpoint_stages({**tune, 'stages': [first, tune]})),
                  'legacy': stage_summaries(checkpoint_stages(first))}))
`;

test('export.py cards: each stage keeps its own rate, depth and augmentation', { skip: hasTorch ? false : `${python} has no torch (apt install python3-torch); card stage check skipped` }, () => {
  const r = spawnSync(python, ['-c', STAGES], { cwd: training, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
  assert.deepEqual(out.chained.map((s: { noise: number; outward: number; lr: number; wallMinutes: number }) => [s.noise, s.outward, s.lr, s.wallMinutes]),
    [[0.08, 0.15, 2e-3, 10], [0.03, 0, 3e-4, 20]]);
  assert.equal(out.legacy.length, 1, 'a checkpoint saved before stages existed is one stage');
  assert.equal(out.legacy[0].noise, 0.08);
});
