"""Trains a backmapping model on a BMDS0001 dataset (built by training/build-dataset.ts) within a wall-clock budget.

  /usr/bin/python3 training/train.py --model-id martini3-protein --data training/data/martini3-train.bmds \
      --budget-min 40 [--device cpu|cuda] [--threads 2]

Writes training/runs/<id>/checkpoint.pt (best validation) and history.json. The CPU recipe is the shipped one;
the same code trains on a GPU with --device cuda and larger --features/--layers.
"""
import argparse
import collections
import json
import math
import os
import platform
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dataset import Dataset, batches  # noqa: E402
from model import BackmapNet, reconstruct  # noqa: E402


STAGE_KEYS = ('wall_s', 'epochs', 'steps', 'hardware', 'args', 'val')


def checkpoint_stages(ck):
    """The training stages behind a checkpoint (--init chains them); one saved before stages existed is one stage."""
    return ck.get('stages') or [{k: ck.get(k) for k in STAGE_KEYS}]


def angle_of(p, tri):
    a = p[tri[:, 0]] - p[tri[:, 1]]
    b = p[tri[:, 2]] - p[tri[:, 1]]
    cr = torch.cross(a, b, dim=-1)
    return torch.atan2(torch.sqrt((cr * cr).sum(-1) + 1e-12), (a * b).sum(-1))


def compute_loss(model, batch, max_level, w_bond=5.0, w_angle=5.0, w_tors=0.2, bond_tol=0.02, angle_tol=math.radians(2.0)):
    vec, tors = model(batch['pos'], batch['bead_type'], batch['nbr'], batch['nbr_mask'], batch['res_offset'])
    pred = reconstruct(batch['pos'], vec, batch['slot_exists'], batch['slot_anchor'], batch['slot_level'],
                       batch['slot_weight'], batch['slot_atom'], batch['n_atoms'], max_level)
    true = batch['atom_pos']
    ok = torch.isfinite(true).all(-1)
    diff = (pred - torch.nan_to_num(true))[ok]
    l_pos = (diff * diff).sum(-1).mean()
    losses = {'pos': l_pos}
    total = l_pos
    bonds = batch['bonds']
    if bonds.shape[0]:
        dp = (pred[bonds[:, 0]] - pred[bonds[:, 1]]).norm(dim=-1)
        dt = (true[bonds[:, 0]] - true[bonds[:, 1]]).norm(dim=-1)
        okb = torch.isfinite(dt)
        l_bond = torch.relu((dp - dt).abs()[okb] - bond_tol).pow(2).mean()
        losses['bond'] = l_bond
        total = total + w_bond * l_bond
    ang = batch['angles']
    if ang.shape[0]:
        ap = angle_of(pred, ang)
        at = angle_of(true, ang)
        oka = torch.isfinite(at)
        l_ang = torch.relu((ap - at).abs()[oka] - angle_tol).pow(2).mean()
        losses['angle'] = l_ang
        total = total + w_angle * l_ang
    tm = batch['torsion_mask']
    if tm.sum() > 0:
        tt = batch['torsions'].reshape(-1, 2, 2)
        tp = tors.reshape(-1, 2, 2)
        l_t = (((tp - tt) ** 2).sum(-1) * tm).sum() / tm.sum()
        losses['tors'] = l_t
        total = total + w_tors * l_t
    else:
        # No residue with a backbone (lipids): keep the torsion head in the graph so data-parallel training
        # (DDP) sees every parameter take part.
        total = total + 0.0 * tors.sum()
    losses['total'] = total
    return total, losses, pred


@torch.no_grad()
def evaluate(model, ds, ids, cfg, device):
    """Median/mean per-chain heavy-atom RMSD (Å, no superposition) on clean input."""
    model.eval()
    rng = np.random.default_rng(0)
    bb, sc, al = [], [], []
    for i in ids:
        b = ds.batch([i], rng, cfg['cutoff'], cfg['k_max'], noise=0.0, outward=0.0, rotate=False, device=device)
        _, _, pred = compute_loss(model, b, ds.max_level)
        true = b['atom_pos']
        ok = torch.isfinite(true).all(-1)
        d2 = ((pred - torch.nan_to_num(true)) ** 2).sum(-1)
        isbb = b['atom_bb'].bool()
        bb.append(math.sqrt(d2[ok & isbb].mean().item()) if (ok & isbb).any() else float('nan'))  # ligands: none
        sc.append(math.sqrt(d2[ok & ~isbb].mean().item()) if (ok & ~isbb).any() else float('nan'))
        al.append(math.sqrt(d2[ok].mean().item()))
    model.train()
    f = lambda x: (float(np.nanmedian(x)), float(np.nanmean(x))) if np.isfinite(x).any() else (float('nan'),) * 2  # noqa: E731
    return {'bb': f(bb), 'sc': f(sc), 'all': f(al), 'chains': len(ids)}


def grow_layers(model, state_dict, old_layers):
    """Loads a checkpoint with fewer interaction/update layers and appends the rest as identity maps: both blocks are
    residual (s + ds, v + dv), so zeroing the last linear map of each new block (phi[2] of the interaction, mlp[2] of
    the update) makes them add exactly 0 while their gradients are not 0. The network starts as the old function."""
    missing, unexpected = model.load_state_dict(state_dict, strict=False)
    new = {f'{kind}.{i}.' for kind in ('inter', 'update') for i in range(old_layers, len(model.inter))}
    stray = [k for k in missing if not any(k.startswith(p) for p in new)]
    if stray or unexpected:
        raise SystemExit(f'--grow: checkpoint does not fit the first {old_layers} layers: missing {stray}, unexpected {unexpected}')
    with torch.no_grad():
        for i in range(old_layers, len(model.inter)):
            for lin in (model.inter[i].phi[2], model.update[i].mlp[2]):
                lin.weight.zero_()
                lin.bias.zero_()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--model-id', required=True)
    ap.add_argument('--data', required=True)
    ap.add_argument('--out-dir', default=None)
    ap.add_argument('--budget-min', type=float, default=40.0)
    ap.add_argument('--max-epochs', type=int, default=100000)
    ap.add_argument('--val-frac', type=float, default=0.06)
    ap.add_argument('--features', type=int, default=64)
    ap.add_argument('--layers', type=int, default=3)
    ap.add_argument('--cutoff', type=float, default=8.0)
    ap.add_argument('--k-max', type=int, default=32)
    ap.add_argument('--batch-beads', type=int, default=2000)
    ap.add_argument('--lr', type=float, default=2e-3)
    ap.add_argument('--noise', type=float, default=0.15)
    ap.add_argument('--outward', type=float, default=0.3)
    ap.add_argument('--split-chain', type=float, default=0.15)
    ap.add_argument('--eval-every-min', type=float, default=5.0)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--device', default='cpu')
    ap.add_argument('--seed', type=int, default=1234)
    ap.add_argument('--cluster-weight', type=float, default=0.0,
                    help='draw each training chain with weight (chains in its sequence cluster)^-γ: 0 = every chain '
                         'equally (a 300-chain cluster then outweighs 300 singletons), 1 = every cluster equally')
    ap.add_argument('--init', default=None,
                    help='warm start: continue from this checkpoint, or from a shipped models/<id>.onnx (weights read '
                         'back and checked against its stored reference), same dataset and architecture, with a fresh '
                         'learning-rate schedule; the card then records every stage and their summed time')
    ap.add_argument('--grow', action='store_true',
                    help='with --init from a checkpoint with fewer --layers (all else equal): keep its layers and append '
                         'new ones whose last linear maps start at zero, so training starts from exactly the same function')
    ap.add_argument('--finetune', action='store_true',
                    help='with --init: new data (backmap train --init): keep the weights, not the split or the stages')
    ap.add_argument('--progress-json', action='store_true',
                    help='also print "@progress {json}" lines (step, epoch, minutes, validation) for backmap train')
    ap.add_argument('--procs', type=int, default=1,
                    help='data-parallel training processes (gloo); --threads is per process. On this 2-core CPU two '
                         '1-thread processes train 1.75x faster than one 2-thread process.')
    args = ap.parse_args()
    if args.procs > 1:
        import socket
        import torch.multiprocessing as mp
        with socket.socket() as sock:  # a free local port for the process group
            sock.bind(('127.0.0.1', 0))
            os.environ['MASTER_PORT'] = str(sock.getsockname()[1])
        os.environ['MASTER_ADDR'] = '127.0.0.1'
        mp.spawn(train_worker, args=(args,), nprocs=args.procs, join=True)
    else:
        train_worker(0, args)


def progress(**fields):
    """One machine-readable line for backmap train (src/core/training/train.ts reads it)."""
    print('@progress ' + json.dumps(fields), flush=True)


def train_worker(rank, args):
    """One training process. With --procs > 1 every process draws its own batches (seed + rank) and DDP averages the
    gradients; rank 0 owns the clock (learning rate, stop) and broadcasts it each step, evaluates and saves."""
    procs = args.procs
    if procs > 1:
        import torch.distributed as dist
        dist.init_process_group('gloo', rank=rank, world_size=procs)
    torch.manual_seed(args.seed)  # identical initial weights on every rank
    np.random.seed(args.seed + rank)
    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(args.seed + 1000 * rank)
    main_rank = rank == 0
    out_dir = args.out_dir or os.path.join(os.path.dirname(os.path.abspath(__file__)), 'runs', args.model_id)
    os.makedirs(out_dir, exist_ok=True)

    ds = Dataset(args.data)
    n = ds.n
    split = ds.meta.get('split')
    if split:  # the dataset's own split (backmap train: the last frames in time are validation)
        val_ids = sorted(int(i) for i in split['validation'])
        train_ids = sorted(int(i) for i in split['train']) or val_ids
    else:
        perm = np.random.default_rng(42).permutation(n)
        n_val = max(1, int(round(n * args.val_frac))) if n > 1 else 0
        val_ids = sorted(perm[:n_val].tolist())
        train_ids = sorted(perm[n_val:].tolist()) or val_ids
    cfg = dict(num_types=ds.num_types, R=ds.R, features=args.features, layers=args.layers, cutoff=args.cutoff,
               k_max=args.k_max)
    model = BackmapNet(ds.num_types, ds.R, features=args.features, layers=args.layers, cutoff=args.cutoff).to(args.device)
    prior_stages = []
    if args.init:
        if args.init.endswith('.onnx'):  # a shipped model: its weights, card stages and the split it was scored on
            from onnx_weights import checkpoint_from_onnx
            init = checkpoint_from_onnx(args.init, cfg, ds.meta, val_ids, finetune=args.finetune)
        else:
            init = torch.load(args.init, map_location='cpu')
        differ = {k: (init['config'].get(k), v) for k, v in cfg.items() if init['config'].get(k) != v}
        grown = args.grow and set(differ) == {'layers'} and init['config']['layers'] < args.layers
        if differ and not grown:
            raise SystemExit(f'--init {args.init}: architecture differs from this run: {differ}'
                             + (' (--grow only appends layers)' if args.grow else ''))
        if init.get('val_ids') != val_ids and not args.finetune:
            raise SystemExit(f'--init {args.init}: trained on another dataset or split (validation chains differ)')
        if grown:
            grow_layers(model, init['state_dict'], init['config']['layers'])
        else:
            model.load_state_dict(init['state_dict'])
        prior_stages = checkpoint_stages(init)
        if args.finetune:  # the earlier stages trained on other data: the card lists this run alone (initFrom)
            prior_stages = []
    n_params = sum(p.numel() for p in model.parameters())
    net = torch.nn.parallel.DistributedDataParallel(model) if procs > 1 else model
    opt = torch.optim.Adam(net.parameters(), lr=args.lr)
    budget = args.budget_min * 60.0
    t0 = time.time()
    step = 0
    epoch = 0
    warmup = 50
    history = []
    best = None
    last_eval = t0
    sizes = [ds.samples[i]['n_beads'] for i in train_ids]
    clusters = [c.get('cluster') or f'#{i}' for i, c in enumerate(ds.meta.get('chains') or [])]
    if len(clusters) != n:  # an older dataset without per-chain entries: no cluster information
        clusters = []
    if args.cluster_weight and not clusters:
        raise SystemExit(f'--cluster-weight: {args.data} records no sequence cluster per chain (rebuild it)')
    weights = None
    if args.cluster_weight:
        count = collections.Counter(clusters[i] for i in train_ids)
        weights = [count[clusters[i]] ** -args.cluster_weight for i in train_ids]
    train_beads = int(sum(sizes))
    log = print if main_rank else (lambda *a, **k: None)
    log(f'{args.model_id}: {len(train_ids)} train / {len(val_ids)} val chains, {train_beads} train beads, R={ds.R}, '
        f'{ds.num_types} types, {n_params} parameters, budget {args.budget_min} min, device {args.device}, '
        f'{procs} process(es) x {args.threads} thread(s)' + (f', warm start from {args.init} ({len(prior_stages)} earlier stage(s))' if args.init else ''), flush=True)

    if clusters and val_ids and not split:
        seen = {clusters[i] for i in train_ids}
        shared = sum(clusters[i] in seen for i in val_ids)
        log(f'  validation: {shared} of {len(val_ids)} chains share a sequence cluster with a training chain, so it '
            f'scores near-neighbours more than new folds (the benchmark has held-out clusters only)'
            + (f'; chains drawn with cluster weight {args.cluster_weight:g}' if weights else ''), flush=True)

    def save(tag_metrics, path):
        # This stage's fields also stand at the top level (what export.py and older checkpoints read).
        stage = {'wall_s': time.time() - t0, 'epochs': epoch, 'steps': step, 'args': vars(args), 'val': tag_metrics,
                 'hardware': f'{platform.processor() or platform.machine()}, {procs} process(es) x {args.threads} torch threads, {args.device}'}
        torch.save({**stage, 'stages': prior_stages + [stage], 'state_dict': model.state_dict(), 'config': cfg,
                    'meta': {k: v for k, v in ds.meta.items() if k != 'chains'},
                    'train_ids': train_ids, 'val_ids': val_ids,
                    'train_chains': len(train_ids), 'train_beads': train_beads, 'n_params': n_params,
                    'dataset': os.path.basename(args.data)}, path)

    done = False
    while not done and epoch < args.max_epochs:
        run = {'total': 0.0, 'pos': 0.0, 'bond': 0.0, 'angle': 0.0, 'tors': 0.0}
        nb = 0
        for group in batches(sizes, args.batch_beads, rng, weights):
            elapsed = time.time() - t0
            frac = min(1.0, elapsed / budget)
            lr = args.lr * min(1.0, (step + 1) / warmup) * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * frac)))
            stop = elapsed > budget
            if procs > 1:  # every rank follows rank 0's clock so the collectives stay paired
                clock = torch.tensor([lr, 1.0 if stop else 0.0], dtype=torch.float64)
                dist.broadcast(clock, 0)
                lr, stop = float(clock[0]), bool(clock[1] > 0.5)
            if stop:
                done = True
                break
            for g in opt.param_groups:
                g['lr'] = lr
            ids = [train_ids[i] for i in group]
            b = ds.batch(ids, rng, args.cutoff, args.k_max, noise=args.noise, outward=args.outward,
                         split_chain=args.split_chain, device=args.device)
            loss, parts, _ = compute_loss(net, b, ds.max_level)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            opt.step()
            step += 1
            nb += 1
            for k, v in parts.items():
                run[k] += float(v)
            if args.progress_json and main_rank and step % 5 == 0:
                progress(t_min=(time.time() - t0) / 60, budget_min=args.budget_min, epoch=epoch, step=step,
                         loss=run['total'] / nb)
            if step % 25 == 0:
                log(f'  step {step} t={(time.time() - t0) / 60:.1f}min lr={lr:.2e} loss={run["total"] / nb:.4f} '
                      f'pos={run["pos"] / nb:.4f}', flush=True)
            if main_rank and time.time() - last_eval > args.eval_every_min * 60 and val_ids:
                m = evaluate(model, ds, val_ids, cfg, args.device)
                last_eval = time.time()
                history.append({'t_min': (last_eval - t0) / 60, 'epoch': epoch, 'step': step, 'val': m})
                log(f'  eval t={(last_eval - t0) / 60:.1f}min ep={epoch} step={step} val median BB {m["bb"][0]:.3f} '
                      f'SC {m["sc"][0]:.3f} ALL {m["all"][0]:.3f}', flush=True)
                if args.progress_json:
                    progress(t_min=(last_eval - t0) / 60, budget_min=args.budget_min, epoch=epoch, step=step,
                             val_median=m['all'][0], val_mean=m['all'][1])
                if best is None or m['all'][0] < best:
                    best = m['all'][0]
                    save(m, os.path.join(out_dir, 'checkpoint.pt'))
        if nb:
            log(f'epoch {epoch} t={(time.time() - t0) / 60:.1f}min steps={step} ' +
                  ' '.join(f'{k}={v / nb:.4f}' for k, v in run.items()), flush=True)
        epoch += 1 if not done or nb else 0
    if procs > 1:
        dist.destroy_process_group()
    if not main_rank:
        return
    m = evaluate(model, ds, val_ids, cfg, args.device) if val_ids else None
    history.append({'t_min': (time.time() - t0) / 60, 'epoch': epoch, 'step': step, 'val': m, 'final': True})
    if m is not None and args.progress_json:
        progress(t_min=(time.time() - t0) / 60, budget_min=args.budget_min, epoch=epoch, step=step,
                 val_median=m['all'][0], val_mean=m['all'][1], final=True)
    if m is not None:
        print(f'final val median BB {m["bb"][0]:.3f} SC {m["sc"][0]:.3f} ALL {m["all"][0]:.3f} '
              f'(mean {m["bb"][1]:.3f}/{m["sc"][1]:.3f}/{m["all"][1]:.3f})', flush=True)
    # The final (fully annealed) weights are kept unless an earlier evaluation was clearly better.
    if best is None or m is None or m['all'][0] <= best + 0.005:
        save(m, os.path.join(out_dir, 'checkpoint.pt'))
    with open(os.path.join(out_dir, 'history.json'), 'w') as fh:
        json.dump({'history': history, 'args': vars(args), 'wall_s': time.time() - t0, 'epochs': epoch, 'steps': step,
                   'n_params': n_params}, fh, indent=1)
    print(f'done: {epoch} epochs, {step} steps, {(time.time() - t0) / 60:.1f} min', flush=True)


if __name__ == '__main__':
    main()
