"""Reads a shipped model (models/<id>.onnx + its card) back into a training checkpoint, so that a later run can
continue from exactly what users run (`train.py --init models/<id>.onnx`), also on a machine that never held the
original checkpoint (checkpoints are not in git; the ONNX file is).

  /usr/bin/python3 training/onnx_weights.py models/martini3-protein.onnx      # recover and check against the reference

The ONNX file is read with a minimal protobuf reader (Debian's python3 has no `onnx` package): initializers keep
the parameter names torch gave them, except the bias-free linear maps, which the exporter folds into a MatMul by
a transposed constant named after nothing; the MatMul node's name (`/update.0/U/MatMul`) says whose it is.
The lean export form fuses each interaction's filter weights (model.py `fuse_filters`, inter.<l>.filt<h>): they are
read back as the same function (radial weights, a zero radial bias, the bias held in the residue-offset embedding).
The recovery is checked: the rebuilt network must reproduce the stored reference outputs (models/<id>.reference.bin).
"""
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dataset import read_bmds  # noqa: E402
from model import NUM_RES_OFFSETS, BackmapNet  # noqa: E402

ONNX_FLOAT, ONNX_INT64, ONNX_INT32 = 1, 7, 6
NP_OF = {ONNX_FLOAT: '<f4', ONNX_INT64: '<i8', ONNX_INT32: '<i4'}


def _varint(b, i):
    r = s = 0
    while True:
        c = b[i]
        i += 1
        r |= (c & 0x7F) << s
        s += 7
        if c < 0x80:
            return r, i


def _fields(b):
    """(field number, wire type, value) of one protobuf message; length-delimited values stay bytes."""
    i, n = 0, len(b)
    while i < n:
        key, i = _varint(b, i)
        f, w = key >> 3, key & 7
        if w == 0:
            v, i = _varint(b, i)
        elif w == 1:
            v, i = b[i:i + 8], i + 8
        elif w == 5:
            v, i = b[i:i + 4], i + 4
        elif w == 2:
            ln, i = _varint(b, i)
            v, i = b[i:i + ln], i + ln
        else:
            raise ValueError(f'protobuf wire type {w} not supported')
        yield f, w, v


def _tensor(b):
    """TensorProto → (name, array). Only what torch writes: dims (1), data_type (2), float_data (4), name (8), raw_data (9)."""
    dims, dtype, name, raw, floats = [], None, '', None, []
    for f, w, v in _fields(b):
        if f == 1:
            if w == 0:
                dims.append(v)
            else:  # packed
                j = 0
                while j < len(v):
                    d, j = _varint(v, j)
                    dims.append(d)
        elif f == 2:
            dtype = v
        elif f == 4:
            floats.append(np.frombuffer(v, '<f4'))
        elif f == 8:
            name = v.decode()
        elif f == 9:
            raw = v
    if dtype not in NP_OF:
        return name, None
    a = np.frombuffer(raw, NP_OF[dtype]).copy() if raw is not None else np.concatenate(floats) if floats else np.zeros(0)
    return name, a.reshape(dims)


def read_onnx_weights(path):
    """Initializers by name, plus {initializer name: MatMul node name} for the ones only a node names."""
    with open(path, 'rb') as fh:
        model = fh.read()
    inits, matmul_of = {}, {}
    for f, _, graph in _fields(model):
        if f != 7:  # ModelProto.graph
            continue
        for g, _, v in _fields(graph):
            if g == 5:  # GraphProto.initializer
                name, a = _tensor(v)
                if a is not None:
                    inits[name] = a
            elif g == 1:  # GraphProto.node
                ins, node_name, op = [], '', ''
                for h, _, x in _fields(v):
                    if h == 1:
                        ins.append(x.decode())
                    elif h == 3:
                        node_name = x.decode()
                    elif h == 4:
                        op = x.decode()
                if op == 'MatMul' and len(ins) == 2:
                    matmul_of[ins[1]] = node_name
    return inits, matmul_of


def state_dict_from_onnx(path, model):
    """The state dict of `model`'s architecture filled from the ONNX file; refuses a missing or misshapen tensor."""
    inits, matmul_of = read_onnx_weights(path)
    # '/update.0/U/MatMul' multiplies by update.0.U.weight transposed
    by_module = {}
    for init_name, node in matmul_of.items():
        if init_name in inits and node.startswith('/') and node.endswith('/MatMul'):
            by_module[node[1:-len('/MatMul')].replace('/', '.') + '.weight'] = inits[init_name].T
    # The lean export form (model.py `fuse_filters`) keeps each interaction's filter weights fused per head as
    # inter.<l>.filt<h> [B+8,F]: the radial weights, then embedding + radial bias per residue-offset class. Read back
    # as the same function: radial weights, a zero radial bias and the embedding holding the bias.
    for key in list(model.state_dict()):
        if not key.endswith('.w.weight') or key in inits:
            continue
        layer = key[:-len('.w.weight')]
        heads = [inits.get(f'{layer}.filt{h}') for h in range(3)]
        if any(a is None for a in heads):
            continue
        w = np.concatenate(heads, axis=1)  # [B+8, 3F]
        b = w.shape[0] - NUM_RES_OFFSETS
        by_module[key] = w[:b].T
        by_module[f'{layer}.w.bias'] = np.zeros(w.shape[1], dtype=w.dtype)
        by_module[f'{layer}.res.weight'] = w[b:]
    out = {}
    for key, ref in model.state_dict().items():
        a = inits.get(key)
        if a is None:
            a = by_module.get(key)
        if a is None:
            raise SystemExit(f'{path}: no tensor for {key} (exported from another architecture?)')
        if tuple(a.shape) != tuple(ref.shape):
            raise SystemExit(f'{path}: {key} has shape {tuple(a.shape)}, the architecture needs {tuple(ref.shape)}')
        out[key] = torch.from_numpy(np.ascontiguousarray(a)).to(ref.dtype)
    return out


def model_from_onnx(onnx_path):
    """(model, card, gap) rebuilt from models/<id>.onnx and the card beside it; gap: the largest difference from the
    stored reference outputs (refused over 1e-4), None where the model has no stored reference."""
    card_path = os.path.splitext(onnx_path)[0] + '.json'
    with open(card_path) as fh:
        card = json.load(fh)
    arch = card['architecture']
    model = BackmapNet(card['numTypes'], card['R'], features=arch['features'], layers=arch['layers'],
                       n_rbf=arch.get('rbf', 16), cutoff=card['cutoff'])
    model.load_state_dict(state_dict_from_onnx(onnx_path, model))
    model.eval()
    ref_path = os.path.join(os.path.dirname(onnx_path), card.get('reference') or f"{card['id']}.reference.bin")
    gap = None
    if os.path.exists(ref_path):
        _, r = read_bmds(ref_path)
        with torch.no_grad():
            vec, tors = model(*(torch.from_numpy(np.array(r[k])) for k in ('pos', 'bead_type', 'nbr', 'nbr_mask', 'res_offset')))
        gap = max(float(np.abs(vec.numpy() - r['vectors']).max()), float(np.abs(tors.numpy() - r['torsions']).max()))
        if gap > 1e-4:
            raise SystemExit(f'{onnx_path}: recovered network misses the stored reference by {gap:.2e}')
    return model, card, gap


def checkpoint_from_onnx(onnx_path, cfg, dataset_meta, val_ids, finetune=False):
    """A checkpoint dict as train.py saves it, for `--init` from a shipped model: the architecture must equal
    `cfg`, and the dataset must be the one the card names (same list hash, mapping hash and chain count), so the
    validation split is the one the model was scored on. With `finetune` (backmap train --init) the data are new
    (e.g. one protein's own ensemble): only the mapping must be the one the model reads."""
    model, card, _ = model_from_onnx(onnx_path)
    tr = card.get('training') or {}
    mine = {'num_types': card['numTypes'], 'R': card['R'], 'features': card['architecture']['features'],
            'layers': card['architecture']['layers'], 'cutoff': card['cutoff'], 'k_max': card['K']}
    problems = []
    hashes = {card['mapping']['hash'], card['mapping'].get('trainedWithHash')}
    if not finetune and dataset_meta.get('listHash') != tr.get('listHash'):
        problems.append(f"list hash {dataset_meta.get('listHash')} vs the card's {tr.get('listHash')}")
    if dataset_meta.get('mappingHash') not in hashes:
        problems.append('mapping hash differs from the card')
    if not finetune and tr.get('valChains') is not None and tr['valChains'] != len(val_ids):
        problems.append(f"{len(val_ids)} validation chains, the card says {tr['valChains']}")
    if problems:
        raise SystemExit(f'--init {onnx_path}: trained on another dataset: ' + '; '.join(problems))
    stages = [{'wall_s': 60.0 * float(s.get('wallMinutes') or 0), 'epochs': s.get('epochs'), 'steps': s.get('steps'),
               'hardware': s.get('hardware'), 'val': None,
               'args': {k: s.get(k) for k in ('lr', 'seed', 'layers', 'noise', 'outward')}}
              for s in tr.get('stages') or []]
    return {'state_dict': model.state_dict(), 'config': {**cfg, **mine}, 'val_ids': val_ids, 'stages': stages}


if __name__ == '__main__':
    if len(sys.argv) != 2:
        raise SystemExit('usage: onnx_weights.py models/<id>.onnx')
    m, _, gap = model_from_onnx(sys.argv[1])
    n = sum(p.numel() for p in m.parameters())
    print(f"{sys.argv[1]}: {n} parameters recovered" + (f', stored reference reproduced to {gap:.1e}' if gap is not None else ', no stored reference to check against'))
