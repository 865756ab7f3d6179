"""Exports a trained checkpoint to ONNX (opset 17) + model card + a stored PyTorch reference.

  /usr/bin/python3 training/export.py --model-id martini3-protein [--checkpoint training/runs/<id>/checkpoint.pt]
      [--data training/data/<id>.bmds] [--models-dir models]
  /usr/bin/python3 training/export.py --model-id martini3-protein --from-onnx models/martini3-protein.onnx
      (a shipped model written again in the current export form: same weights, checked against its stored reference)

Writes models/<id>.onnx, models/<id>.json (card; `accuracy` is filled by `npm run bench:accuracy -- --update-cards`)
and models/<id>.reference.bin (BMDS0001: inputs and PyTorch outputs for one held-out chain, checked against
onnxruntime-node by test/core/model).
"""
import argparse
import datetime
import hashlib
import json
import math
import os
import platform
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dataset import Dataset, write_bmds  # noqa: E402
from model import NUM_RES_OFFSETS, BackmapNet  # noqa: E402
from train import checkpoint_stages  # noqa: E402

def cpu_name():
    try:
        with open('/proc/cpuinfo') as fh:
            for line in fh:
                if line.startswith('model name'):
                    return f"{line.split(':', 1)[1].strip()} ({os.cpu_count()} logical CPUs visible)"
    except OSError:
        pass
    return platform.processor() or platform.machine()


INPUTS = ['pos', 'bead_type', 'nbr', 'nbr_mask', 'res_offset']
OUTPUTS = ['vectors', 'torsions']


def stage_summaries(stages):
    """One card entry per training stage (--init chains them): time, schedule, depth and augmentation, since a later
    stage may grow the network (--grow) or train with other noise (a clean-input fine-tune)."""
    out = []
    for st in stages:
        args = st.get('args') or {}
        # Stages read back from a shipped card (--init models/<id>.onnx) lack what that card did not record.
        out.append({k: v for k, v in {'wallMinutes': round(float(st.get('wall_s') or 0) / 60, 1), 'epochs': st.get('epochs'),
                    'steps': st.get('steps'), 'lr': args.get('lr'), 'seed': args.get('seed'),
                    'layers': args.get('layers'), 'noise': args.get('noise'), 'outward': args.get('outward'),
                    'clusterWeight': args.get('cluster_weight') or 0,
                    'hardware': st.get('hardware')}.items() if v is not None})
    return out


def finite_or_null(x):
    """NaN/inf as null: JSON has no NaN (a ligand model has no backbone atoms, so its backbone RMSD is NaN)."""
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if isinstance(x, dict):
        return {k: finite_or_null(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [finite_or_null(v) for v in x]
    return x


def export_onnx(model, inputs, onnx_path):
    """The ONNX file of `model` (in the form it is set to: export uses the lean one); (sha256, bytes)."""
    torch.onnx.export(
        model, inputs, onnx_path, opset_version=17, input_names=INPUTS, output_names=OUTPUTS,
        dynamic_axes={'pos': {0: 'N'}, 'bead_type': {0: 'N'}, 'nbr': {0: 'N', 1: 'K'}, 'nbr_mask': {0: 'N', 1: 'K'},
                      'res_offset': {0: 'N', 1: 'K'}, 'vectors': {0: 'N'}, 'torsions': {0: 'N'}},
        do_constant_folding=True)
    with open(onnx_path, 'rb') as fh:
        sha = hashlib.sha256(fh.read()).hexdigest()
    return sha, os.path.getsize(onnx_path)


def reexport(src, models_dir):
    """--from-onnx: a shipped model written again in the current export form, without its checkpoint (checkpoints
    are not in git): weights read back from the file (onnx_weights.py), the lean forward checked against the stored
    PyTorch reference (refused over 1e-5), then the .onnx, the reference (same inputs and outputs, the new file's
    sha256) and the card (new sha256 and size; training record and accuracy kept, since the network computes the
    same function; `training.reexport` says when and from which file) written to `models_dir`."""
    from dataset import read_bmds
    from onnx_weights import model_from_onnx
    model, card, _ = model_from_onnx(src)
    ref_name = card.get('reference') or f"{card['id']}.reference.bin"
    ref_path = os.path.join(os.path.dirname(os.path.abspath(src)), ref_name)
    if not os.path.exists(ref_path):
        raise SystemExit(f'{src}: no stored reference ({ref_path}) to check the re-export against')
    ref_meta, ref = read_bmds(ref_path)
    ref = {k: np.array(a) for k, a in ref.items()}
    inputs = tuple(torch.from_numpy(ref[k]) for k in INPUTS)
    with torch.no_grad():
        vec, tors = model.set_lean()(*inputs)
    gap = max(float(np.abs(vec.numpy() - ref['vectors']).max()), float(np.abs(tors.numpy() - ref['torsions']).max()))
    if gap > 1e-5:
        raise SystemExit(f'{src}: the lean forward misses the stored reference by {gap:.2e} (over 1e-5)')
    old_sha = card['onnx']['sha256']
    os.makedirs(models_dir, exist_ok=True)
    onnx_path = os.path.join(models_dir, card['onnx'].get('file') or f"{card['id']}.onnx")
    sha, size = export_onnx(model, inputs, onnx_path)
    write_bmds(os.path.join(models_dir, ref_name), ref, {**ref_meta, 'onnxSha256': sha})
    card['onnx'] = {**card['onnx'], 'sha256': sha, 'bytes': size}
    card.setdefault('training', {})['reexport'] = {
        'at': datetime.datetime.utcnow().replace(microsecond=0).isoformat() + 'Z', 'fromSha256': old_sha,
        'referenceGap': gap, 'torch': torch.__version__}
    with open(os.path.join(models_dir, f"{card['id']}.json"), 'w') as fh:
        json.dump(finite_or_null(card), fh, indent=2, ensure_ascii=False, allow_nan=False)
        fh.write('\n')
    print(f'{onnx_path}: {size / 1e6:.2f} MB sha256 {sha[:16]} (was {old_sha[:16]}); stored reference reproduced to {gap:.1e}')


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    repo = os.path.dirname(here)
    ap = argparse.ArgumentParser()
    ap.add_argument('--model-id', required=True)
    ap.add_argument('--checkpoint', default=None)
    ap.add_argument('--data', default=None, help='dataset used for training (for the reference chain)')
    ap.add_argument('--models-dir', default=os.path.join(repo, 'models'))
    ap.add_argument('--note', default=None, help='free-text note for the card (e.g. machine load during training)')
    ap.add_argument('--reference-input', default=None, help='one-sample BMDS (default training/data/<mapping>-demo.bmds)')
    ap.add_argument('--molecule-kinds', default=None,
                    help='comma-separated molecule classes the model was trained on (e.g. lipid,sterol): written to the '
                         'card as moleculeKinds, and bead types absent from the training data (--data) are left out of '
                         'beadTypes, so the runtime refuses molecules the model never saw')
    ap.add_argument('--from-onnx', default=None, metavar='MODELS/ID.onnx',
                    help='re-export a shipped model in the current export form from its ONNX file, card and stored '
                         'reference (no checkpoint needed; --model-id must be its id)')
    args = ap.parse_args()
    if args.from_onnx:
        with open(os.path.splitext(args.from_onnx)[0] + '.json') as fh:
            if json.load(fh)['id'] != args.model_id:
                raise SystemExit(f'{args.from_onnx}: its card is not model {args.model_id}')
        reexport(args.from_onnx, args.models_dir)
        return
    ckpt_path = args.checkpoint or os.path.join(here, 'runs', args.model_id, 'checkpoint.pt')
    ck = torch.load(ckpt_path, map_location='cpu')
    stages = checkpoint_stages(ck)
    cfg = ck['config']
    meta = ck['meta']
    model = BackmapNet(cfg['num_types'], cfg['R'], features=cfg['features'], layers=cfg['layers'], cutoff=cfg['cutoff'])
    model.load_state_dict(ck['state_dict'])
    model.eval()
    torch.set_num_threads(2)

    # Reference input: the project's demo protein mapped by the TypeScript core (training/reference-input.ts), else
    # the shortest held-out chain; clean (no noise, no rotation), graph built as the runtime does.
    demo = args.reference_input or os.path.join(here, 'data', f"{meta['mapping']}-demo.bmds")
    if os.path.exists(demo):
        ds = Dataset(demo)
        ref_id = 0
    else:
        ds = Dataset(args.data or os.path.join(here, 'data', f'{args.model_id}.bmds'))
        val = ck['val_ids'] or [0]
        ref_id = min(val, key=lambda i: ds.samples[i]['n_beads'])
    mapping_hash = meta['mappingHash']
    trained_hash = None
    if ds.meta.get('mappingHash') not in (None, meta['mappingHash']):
        # The mapping files changed since the dataset was built (e.g. comments or formatting): accept the current hash
        # only if the compiled semantics the model depends on are identical: bead-type table, R, and every bead
        # type's slot table (exists, anchor, level, recentring weight).
        train_ds = Dataset(args.data or os.path.join(here, 'data', f'{args.model_id}.bmds'))
        problems = []
        if ds.meta['typeNames'] != meta['typeNames'] or int(ds.meta['R']) != int(meta['R']):
            problems.append('bead-type table or R differ')
        sig = lambda d: {int(t): (d.a['slot_exists'][i].tolist(), d.a['slot_anchor'][i].tolist(), d.a['slot_level'][i].tolist(),  # noqa: E731
                                  np.round(d.a['slot_weight'][i], 5).tolist()) for i, t in reversed(list(enumerate(d.a['bead_type'])))}
        st, sd = sig(train_ds), sig(ds)
        for t in sd:
            if t in st and st[t] != sd[t]:
                problems.append(f'slot table of type {t} differs')
        if problems:
            raise SystemExit(f'reference input {demo} was mapped with a different mapping set: ' + '; '.join(problems[:5]))
        trained_hash, mapping_hash = meta['mappingHash'], ds.meta['mappingHash']
        print(f'mapping hash changed since training ({trained_hash[:12]} -> {mapping_hash[:12]}); semantics verified identical')
    b = ds.batch([ref_id], np.random.default_rng(0), cfg['cutoff'], cfg['k_max'], rotate=False)
    inputs = (b['pos'], b['bead_type'], b['nbr'], b['nbr_mask'], b['res_offset'])
    with torch.no_grad():
        vec, tors = model(*inputs)
        # The ONNX graph is the memory-lean form of the interactions; it must give what training computed.
        lean_vec, lean_tors = model.set_lean()(*inputs)
    gap = max((lean_vec - vec).abs().max().item(), (lean_tors - tors).abs().max().item())
    # float32 rounding grows with the vectors' size: a UCG stage's reach 10-30 Å where a residue's stay near 1 Å.
    if gap > 1e-5 * max(1.0, vec.abs().max().item()):
        raise SystemExit(f'memory-lean forward differs from the training forward by {gap:.2e} on the reference chain')

    os.makedirs(args.models_dir, exist_ok=True)
    onnx_path = os.path.join(args.models_dir, f'{args.model_id}.onnx')
    sha, size = export_onnx(model, inputs, onnx_path)

    s = ds.samples[ref_id]
    init_from = str((ck.get('args') or {}).get('init') or '')  # the last stage's warm start, if any
    ref = {
        'pos': b['pos'].numpy().astype(np.float32),
        'bead_type': b['bead_type'].numpy().astype(np.int64),
        'nbr': b['nbr'].numpy().astype(np.int64),
        'nbr_mask': b['nbr_mask'].numpy().astype(np.float32),
        'res_offset': b['res_offset'].numpy().astype(np.int64),
        'res_index': s['res_index'].astype(np.int32),
        'chain_index': s['chain_index'].astype(np.int32),
        'vectors': vec.numpy().astype(np.float32),
        'torsions': tors.numpy().astype(np.float32),
    }
    chain = ds.meta.get('chains', [])
    ref_meta = {'model': args.model_id, 'onnxSha256': sha, 'input': chain[ref_id] if ref_id < len(chain) else None,
                'cutoff': cfg['cutoff'], 'K': cfg['k_max'], 'torch': torch.__version__}
    write_bmds(os.path.join(args.models_dir, f'{args.model_id}.reference.bin'), ref, ref_meta)

    card_path = os.path.join(args.models_dir, f'{args.model_id}.json')
    old = {}
    if os.path.exists(card_path):
        with open(card_path) as fh:
            old = json.load(fh)
    val_m = ck.get('val') or {}
    card = {
        'id': args.model_id,
        'format': 'backmap-studio-model/1',
        'description': 'HEroBM-style local SO(3)-equivariant backmapping network (PaiNN-style message passing, '
                       'explicit cross product for chirality), heavy atoms only.',
        'mapping': {'id': meta['mapping'], 'hash': mapping_hash, **({'trainedWithHash': trained_hash} if trained_hash else {})},
        'beadTypes': meta['typeNames'],
        'numTypes': cfg['num_types'],
        'R': cfg['R'],
        'maxLevel': meta.get('maxLevel'),
        'cutoff': cfg['cutoff'],
        'K': cfg['k_max'],
        'resOffsetEncoding': 'clamp(res[j]-res[i],-3,3)+3; 7 for another chain; padding uses the own index with mask 0',
        'numResOffsets': NUM_RES_OFFSETS,
        'architecture': {'features': cfg['features'], 'layers': cfg['layers'], 'rbf': model.n_rbf,
                         'parameters': int(sum(p.numel() for p in model.parameters()))},
        'inputs': [
            {'name': 'pos', 'type': 'float32', 'shape': ['N', 3], 'unit': 'Å'},
            {'name': 'bead_type', 'type': 'int64', 'shape': ['N']},
            {'name': 'nbr', 'type': 'int64', 'shape': ['N', 'K']},
            {'name': 'nbr_mask', 'type': 'float32', 'shape': ['N', 'K']},
            {'name': 'res_offset', 'type': 'int64', 'shape': ['N', 'K']},
        ],
        'outputs': [
            {'name': 'vectors', 'type': 'float32', 'shape': ['N', cfg['R'], 3], 'unit': 'Å'},
            {'name': 'torsions', 'type': 'float32', 'shape': ['N', 4], 'meaning': 'cos phi, sin phi, cos psi, sin psi'},
        ],
        'opset': 17,
        'onnx': {'file': f'{args.model_id}.onnx', 'sha256': sha, 'bytes': size},
        'training': {
            'list': meta.get('list'),
            'listHash': meta.get('listHash'),
            'dataset': ck.get('dataset'),
            'trainChains': ck.get('train_chains'),
            'trainBeads': ck.get('train_beads'),
            'valChains': len(ck.get('val_ids') or []),
            # residues renamed to the IUPAC rule when the dataset was built (false: the files' own names)
            **({'iupacNaming': meta['iupacNaming']} if 'iupacNaming' in meta else {}),
            # the last stage started from a shipped model's ONNX file rather than a checkpoint
            **({'initFrom': os.path.basename(init_from)} if init_from.endswith('.onnx') else {}),
            # A warm-started model lists every stage; epochs, steps and minutes are summed over them.
            'epochs': sum(int(st.get('epochs') or 0) for st in stages),
            'steps': sum(int(st.get('steps') or 0) for st in stages),
            'wallMinutes': round(sum(float(st.get('wall_s') or 0) for st in stages) / 60, 1),
            **({'stages': stage_summaries(stages)} if len(stages) > 1 else {}),
            'hardware': ck.get('hardware'),
            'cpu': cpu_name(),
            'torch': torch.__version__,
            'seed': ck.get('args', {}).get('seed'),
            # the last stage's augmentation (each stage's is in 'stages')
            'augmentation': {k: ck.get('args', {}).get(k) for k in ['noise', 'outward', 'split_chain']},
            'validation': val_m,
            **({'note': args.note} if args.note else {}),
            'exportedAt': datetime.datetime.utcnow().replace(microsecond=0).isoformat() + 'Z',
        },
        'reference': f'{args.model_id}.reference.bin',
        'accuracy': old.get('accuracy') if old.get('onnx', {}).get('sha256') == sha else None,
    }
    if args.molecule_kinds:
        card['moleculeKinds'] = [k for k in args.molecule_kinds.split(',') if k]
        seen = set(int(t) for t in Dataset(args.data).a['bead_type'])
        card['beadTypes'] = [n if i in seen else '' for i, n in enumerate(card['beadTypes'])]
    with open(card_path, 'w') as fh:
        json.dump(finite_or_null(card), fh, indent=2, ensure_ascii=False, allow_nan=False)
        fh.write('\n')
    print(f'{onnx_path}: {size / 1e6:.2f} MB sha256 {sha[:16]}; reference chain {ref_id} ({s["n_beads"]} beads); card {card_path}')


if __name__ == '__main__':
    main()
