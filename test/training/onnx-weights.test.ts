// training/onnx_weights.py: a shipped model read back into PyTorch (for `train.py --init models/<id>.onnx`) must be
// the network users run: it reproduces the stored reference outputs, and a wrong architecture is refused by name.
// Runs Debian's python3-torch; skipped, saying so, where that is not installed (CI machines need not have it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const python = process.env.BACKMAP_PYTHON || '/usr/bin/python3';
const repo = join(__dirname, '..', '..');
const training = join(repo, 'training');
const hasTorch = spawnSync(python, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;
const skip = hasTorch ? false : `${python} has no torch (apt install python3-torch); ONNX weight recovery not checked`;
const shipped = readdirSync(join(repo, 'models')).filter((f) => f.endsWith('.onnx'));

for (const file of shipped) {
  test(`onnx_weights.py recovers ${file} exactly (stored reference reproduced)`, { skip }, () => {
    const r = spawnSync(python, [join(training, 'onnx_weights.py'), join(repo, 'models', file)], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const m = /(\d+) parameters recovered, stored reference reproduced to ([0-9.e+-]+)/.exec(r.stdout);
    assert.ok(m, r.stdout);
    assert.ok(Number(m[1]) > 1000);
    assert.ok(Number(m[2]) <= 1e-4, `reference gap ${m[2]}`);
  });
}

test('onnx_weights.py refuses an architecture the file was not exported from', { skip: skip || (existsSync(join(repo, 'models', 'martini3-protein.onnx')) ? false : 'martini3-protein.onnx absent') }, () => {
  const code = `
import sys, json
from model import BackmapNet
from onnx_weights import state_dict_from_onnx
c = json.load(open(sys.argv[1].replace('.onnx', '.json')))
wide = BackmapNet(c['numTypes'], c['R'], features=c['architecture']['features'] * 2, layers=c['architecture']['layers'], cutoff=c['cutoff'])
try:
    state_dict_from_onnx(sys.argv[1], wide)
    print('accepted')
except SystemExit as e:
    print('refused:', e)
`;
  const r = spawnSync(python, ['-c', code, join(repo, 'models', 'martini3-protein.onnx')], { cwd: training, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /refused: .*martini3-protein\.onnx: \S+ has shape \([\d, ]+\), the architecture needs \([\d, ]+\)/);
});
