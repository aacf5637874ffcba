"""What the large-n classifiers cost against the exact RBF SVM, and what AUC they keep (PneumoniaMNIST, TAEF2 latents).

For each training size (a seeded stratified subset of PneumoniaMNIST's 4,708 training images; 28 px images encoded
by TAEF2 at 128 px, latents 32x16x16 = 8,192 numbers), each classifier is selected on the validation split over its
grid and scored on the test split exactly as `run_experiment` does (`evaluation.evaluate_classifier`), timed
(seconds of the whole selection + calibrated refit) and its peak resident memory sampled. It then fits a power
law `seconds ~ n^k` over the sizes. `--fp16` adds the same scores on latents rounded to float16 (how sharded
latents are stored) to show whether the rounding costs AUC.

Usage (about 25 minutes of one core here):
  LATENTLAB_ASSETS=... nice -n 10 .venv/bin/python benchmarks/scale_classifiers.py --fp16 [--torch] [--out FILE.json]
"""
import argparse
import json
import threading
import time

import numpy as np
import psutil

from latentlab.autoencoders import load_autoencoder
from latentlab.data import load_medmnist, subsample_indices
from latentlab.evaluation import evaluate_classifier
from latentlab.latents import encode_dataset

DEFAULT = ['svm-rbf', 'nystroem-svm', 'rff-svm', 'sgd-logreg', 'logreg']


class PeakRSS:
    "Peak resident memory of this process (sampled every 20 ms) while the block runs, in MB above the start."
    def __enter__(self):
        self.proc, self.start, self.peak, self.stop = psutil.Process(), psutil.Process().memory_info().rss, 0, False
        def watch():
            while not self.stop:
                self.peak = max(self.peak, self.proc.memory_info().rss); time.sleep(0.02)
        self.t = threading.Thread(target=watch, daemon=True); self.t.start()
        return self

    def __exit__(self, *exc):
        self.stop = True; self.t.join()
        self.mb = max(0, self.peak - self.start) / 2**20


def score(name, X, y, shape, seed=0):
    t = time.perf_counter()
    with PeakRSS() as mem:
        entry, _, _ = evaluate_classifier(name, X, y, 2, shape, 'auc', seed, 'val', n_boot=200)
    return {'seconds': time.perf_counter() - t, 'peak_mb': mem.mb, 'val_auc': entry['val']['auc'],
            'test_auc': entry['test']['auc'], 'params': entry['params']}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--sizes', type=int, nargs='+', default=[1000, 2000, 4708])
    p.add_argument('--classifiers', nargs='*', default=DEFAULT)
    p.add_argument('--fp16', action='store_true', help='also score the largest size on float16-rounded latents')
    p.add_argument('--torch', action='store_true', help='also time latent-cnn (20 epochs at most)')
    p.add_argument('--out', default=None, help='write the rows as JSON here')
    a = p.parse_args()
    ae = load_autoencoder('taef2', resolution=128)
    splits = load_medmnist('pneumoniamnist', size=28)
    lat = {s: encode_dataset(ae, d, progress=True) for s, d in splits.items()}
    shape = lat['train'].shape
    print(f"PneumoniaMNIST latents {shape}: train {len(lat['train'])}, val {len(lat['val'])}, test {len(lat['test'])}")
    rows = []
    names = list(a.classifiers) + (['latent-cnn'] if a.torch else [])
    if a.torch:          # at most 20 epochs (the registered model: 100 with early stopping): time per epoch is the point
        from latentlab.classifiers import CLASSIFIERS
        cnn = CLASSIFIERS['latent-cnn']
        CLASSIFIERS._entries['latent-cnn'] = lambda random_state=0, shape=None: cnn(random_state, shape=shape).set_params(max_epochs=20)
    for n in a.sizes:
        idx = (np.arange(len(lat['train'])) if n >= len(lat['train'])
               else subsample_indices(lat['train'], fraction=n / len(lat['train']), seed=0))
        X = {'train': lat['train'].X[idx], 'val': lat['val'].X, 'test': lat['test'].X}
        y = {'train': lat['train'].labels[idx], 'val': lat['val'].labels, 'test': lat['test'].labels}
        for name in names:
            r = {'n': int(len(idx)), 'classifier': name, 'latents': 'float32', **score(name, X, y, shape)}
            rows.append(r)
            print(f"n={r['n']:5d} {name:13s} {r['seconds']:8.1f} s  peak +{r['peak_mb']:7.0f} MB  val AUC {r['val_auc']:.4f}  "
                  f"test AUC {r['test_auc']:.4f}  {r['params']}", flush=True)
    if a.fp16:
        n = max(a.sizes)
        idx = np.arange(min(n, len(lat['train'])))
        X = {'train': lat['train'].X[idx], 'val': lat['val'].X, 'test': lat['test'].X}
        X = {s: x.astype(np.float16).astype(np.float32) for s, x in X.items()}
        y = {'train': lat['train'].labels[idx], 'val': lat['val'].labels, 'test': lat['test'].labels}
        for name in ('logreg', 'svm-rbf'):
            r = {'n': int(len(idx)), 'classifier': name, 'latents': 'float16', **score(name, X, y, shape)}
            rows.append(r)
            ref = next(q for q in rows if q['n'] == r['n'] and q['classifier'] == name and q['latents'] == 'float32')
            print(f"n={r['n']:5d} {name:13s} float16 latents: test AUC {r['test_auc']:.4f} (float32 {ref['test_auc']:.4f}, "
                  f"difference {r['test_auc'] - ref['test_auc']:+.4f}); val AUC {r['val_auc']:.4f} "
                  f"(float32 {ref['val_auc']:.4f})", flush=True)
    print('\npower law seconds ~ n^k over the sizes:')
    for name in names:
        pts = [(r['n'], r['seconds']) for r in rows if r['classifier'] == name and r['latents'] == 'float32']
        if len(pts) > 1:
            k = np.polyfit(np.log([n for n, _ in pts]), np.log([s for _, s in pts]), 1)[0]
            print(f"  {name:13s} k = {k:.2f}")
    if a.out:
        with open(a.out, 'w') as f: json.dump(rows, f, indent=1, default=str)


if __name__ == '__main__':
    main()
