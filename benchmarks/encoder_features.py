"""Are the TAEF2 encoder's inner feature maps better features than its 32-channel latents?

A pretrained CNN's inner layers are often the better features for a new task. The TAEF2 encoder is such a CNN, so
this compares its latents (32 x 16 x 16 at 128 px, the features every other benchmark uses) with its inner
activations: the 64-channel outputs of the last block of each of its three downsampling stages (blocks 5, 9 and
13: 1/2, 1/4 and 1/8 of 128 px), average-pooled to 1 x 1 (with each channel's spatial standard deviation), 2 x 2
or 4 x 4, and concatenated; and the latents themselves average-pooled to 8 x 8 or 4 x 4 (fewer, smoother features
for tiny training sets). Classifiers are selected on validation as in the experiment runner
(`evaluate_classifier`); small sets are the learning curves' (`subsample_indices`), 5 seeds, with Student-t 95%
intervals; the full training set is one run.

    LATENTLAB_ASSETS=... python benchmarks/encoder_features.py breastmnist 64
    LATENTLAB_ASSETS=... python benchmarks/encoder_features.py pneumoniamnist 28
"""
import sys, time, warnings
import numpy as np
import torch
import torch.nn.functional as F
from latentlab.autoencoders import load_autoencoder
from latentlab.data import load_dataset, subsample_indices
from latentlab.evaluation import evaluate_classifier, mean_interval

BLOCKS, GRIDS, LATENT_GRIDS = (5, 9, 13), (1, 2, 4), (8, 4)


def features(ae, images: np.ndarray) -> dict:
    "`{'latent' | grid | 'latent gxg': (N, d) features}`: the latents (`ae.encode`), pooled inner activations, pooled latents."
    pooled = {g: [] for g in GRIDS}
    def pool(acts: dict):
        "Called after each encoded batch's last hooked block: pool that batch's activations for every grid."
        for g in GRIDS:
            parts = [F.adaptive_avg_pool2d(acts[i], g).flatten(1) for i in BLOCKS]
            if g == 1: parts += [acts[i].flatten(2).std(-1) for i in BLOCKS]
            pooled[g].append(torch.cat(parts, 1).numpy())
    acts = {}
    def hook(m, x, y, i):
        acts[i] = y
        if i == BLOCKS[-1]: pool(acts)
    hooks = [ae.model.encoder[i].register_forward_hook(lambda m, x, y, i=i: hook(m, x, y, i)) for i in BLOCKS]
    try: latents = ae.encode(images, batch_size=64)
    finally:
        for h in hooks: h.remove()
    lat = torch.from_numpy(latents)
    return {'latent': latents.reshape(len(latents), -1), **{g: np.concatenate(v) for g, v in pooled.items()},
            **{f'latent {g}x{g}': F.adaptive_avg_pool2d(lat, g).flatten(1).numpy() for g in LATENT_GRIDS}}

if __name__ == '__main__':
    warnings.filterwarnings('ignore', category=UserWarning)
    dataset, size, t0 = sys.argv[1], int(sys.argv[2]), time.perf_counter()
    splits = load_dataset(dataset, size=size)
    ae = load_autoencoder('taef2', resolution=128)
    X = {s: features(ae, splits[s].images) for s in ('train', 'val', 'test')}
    y = {s: splits[s].labels for s in ('train', 'val', 'test')}
    print(f"{dataset} ({size} px), TAEF2 at 128 px; test AUC, mean [95% t] over seeds")
    names = {'latent': 'latents', **{g: f'inner blocks {BLOCKS}, pooled {g}x{g}' for g in GRIDS},
             **{f'latent {g}x{g}': f'latents, pooled {g}x{g}' for g in LATENT_GRIDS}}
    for kind, name in names.items():
        print(f"{name} ({X['train'][kind].shape[1]} features)")
        for n in (25, None):
            for c in ('svm-rbf', 'logreg'):
                vals = []
                for seed in (range(5) if n else [0]):
                    idx = subsample_indices(splits['train'], n, seed=seed) if n else np.arange(len(y['train']))
                    e, _, _ = evaluate_classifier(c, {'train': X['train'][kind][idx], 'val': X['val'][kind],
                                                   'test': X['test'][kind]},
                                               {'train': y['train'][idx], 'val': y['val'], 'test': y['test']},
                                               2, None, 'auc', seed, 'argmax', 0)
                    vals.append(e['test']['auc'])
                m, lo, hi = mean_interval(vals)
                print(f"  {'25 per class' if n else 'full set':12s} {c:8s} {m:.3f}" +
                      (f" [{lo:.3f}, {hi:.3f}]" if n else ''), flush=True)
    print(f"({time.perf_counter() - t0:.0f} s)")
