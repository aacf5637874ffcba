"""Which images to label next: does any active-learning strategy beat random choice with few labels?

Replays active learning (`latentlab.active.simulate`) on MedMNIST data sets whose labels are all known: the training
split is the pool, its labels hidden from the strategy and revealed when an image is picked. Each seed starts from 2
labelled images per class (the same for every strategy), labels in rounds up to every multiple of 10, and scores the
classifiers (chosen on the validation split) on the test split after each round. Prints the mean test AUC over seeds
at 20 and 50 labels per strategy and classifier with its 95% interval, and the gain over random paired by seed with
its 95% interval; writes the tidy results, one CSV per data set, to `--out` (finished data sets are not run again;
the report `nbs/reports/active_learning.ipynb` reads them with `--set results_dir=...`).

    LATENTLAB_ASSETS=... nice -n 10 python benchmarks/active_learning.py --out runs/active_learning
    LATENTLAB_ASSETS=... python benchmarks/active_learning.py --datasets breastmnist:64 --seeds 2 --budget 50
"""
import argparse, sys, time, warnings
from pathlib import Path

import pandas as pd

from latentlab.active import STRATEGIES, gain_table, simulate
from latentlab.autoencoders import load_autoencoder
from latentlab.config import atomic_path, defaults
from latentlab.data import load_medmnist
from latentlab.latents import encode_dataset


def run_dataset(flag: str, size: int, args) -> pd.DataFrame:
    "The simulation's tidy results for one data set: read from `--out` if there, else run and written there."
    path = Path(args.out)/f'{flag}_{size}.csv'
    if path.is_file() and not args.force: return pd.read_csv(path)
    ae = load_autoencoder(args.autoencoder, resolution=args.resolution)
    lat = {s: encode_dataset(ae, d) for s, d in load_medmnist(flag, size=size).items()}
    t0 = time.perf_counter()
    res = simulate({s: l.X for s, l in lat.items()}, {s: l.labels for s, l in lat.items()},
                   strategies=args.strategies, classifiers=tuple(args.classifiers), seeds=range(args.seeds),
                   step=args.step, budget=args.budget, dataset=flag)
    print(f"{flag}: simulated in {time.perf_counter() - t0:.0f} s", flush=True)
    with atomic_path(path) as tmp: res.to_csv(tmp, index=False)
    return res


def cell(mean, low, high, signed=False) -> str:
    f = '+.3f' if signed else '.3f'
    return f"{mean:{f}} [{low:{f}}, {high:{f}}]"


if __name__ == '__main__':
    ae_default, res_default = defaults('autoencoder', 'resolution')
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--datasets', nargs='+', default=['breastmnist:64', 'pneumoniamnist:28'], help='FLAG:SIZE ...')
    p.add_argument('--autoencoder', default=ae_default)
    p.add_argument('--resolution', type=int, default=res_default)
    p.add_argument('--strategies', nargs='+', default=None, help=f'default: all ({", ".join(STRATEGIES.names())})')
    p.add_argument('--classifiers', nargs='+', default=['logreg', 'svm-rbf'])
    p.add_argument('--seeds', type=int, default=5)
    p.add_argument('--step', type=int, default=10)
    p.add_argument('--budget', type=int, default=100)
    p.add_argument('--sizes', type=int, nargs='+', default=[20, 50], help='labelled-set sizes of the table')
    p.add_argument('--out', default='runs/active_learning', help='folder of the results CSVs')
    p.add_argument('--force', action='store_true', help='run data sets again even if their CSV exists')
    args = p.parse_args()
    warnings.filterwarnings('ignore', category=UserWarning)
    t0 = time.perf_counter()
    parts = [run_dataset(d.split(':')[0], int(d.split(':')[1]), args) for d in args.datasets]
    results = pd.concat(parts, ignore_index=True)
    table = gain_table(results, sizes=args.sizes)
    seeds = results.seed.nunique()
    print(f"\n{args.autoencoder} at {args.resolution} px; test AUC, mean over {seeds} seeds [95% t]; "
          f"gain over random paired by seed [95% t]\n")
    for (ds, clf, n), df in table.groupby(['dataset', 'classifier', 'n_labelled']):
        print(f"{ds}, {clf}, {n} labels")
        for r in df.itertuples():
            gain = "" if r.strategy == "random" else (f"  gain {cell(r.gain, r.gain_low, r.gain_high, True)}"
                                                     + (' *' if r.excludes_zero else ''))
            print(f"  {r.strategy:10s} {cell(r.mean, r.low, r.high)}{gain}")
    print("\n* the interval excludes zero")
    print(f"({time.perf_counter() - t0:.0f} s wall, {len(results)} result rows)")
