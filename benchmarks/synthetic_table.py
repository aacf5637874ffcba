"""The synthetic-data comparison of issue 26 as one table: for each data set, labelled size and classifier, each
augmentation arm's validation and test AUC (mean over seeds), its test gain paired with duplicate-real at the same
count (same seed, same small set; a 95% t interval over seeds), each class's test recall, the kept fraction after
the filter, the quality of its synthetic set against the validation latents (Frechet distance, MMD, k-NN
precision/recall; recorded by `run_experiment`), and the SDEdit arm chosen on validation alone. The rows come from
`latentlab.experiments.synthetic_rows`, as in the augmentation report's section on the pool.

    LATENTLAB_RUNS=/work/runs python benchmarks/synthetic_table.py [--experiments synthetic-small synthetic-grid]
        [--classifiers logreg] [--out docs/evidence/synthetic/grid.md]
"""
import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from latentlab.evaluation import mean_interval
from latentlab.experiments import synthetic_rows

KEYS = ['dataset', 'n', 'classifier']


def interval(d) -> str:
    "Mean of paired differences with its 95% t interval (`evaluation.mean_interval`)."
    m, lo, hi = mean_interval(d)
    return f'{m:+.3f}' if not np.isfinite(lo) else f'{m:+.3f} [{lo:+.3f}, {hi:+.3f}]'


def summary(df: pd.DataFrame) -> pd.DataFrame:
    "One row per setting and arm: means over seeds, the paired gain over duplicate-real at the same count."
    out = []
    for key, s in df.groupby(KEYS, sort=False):
        ctrl = s[s.augmenter == 'duplicate-real']
        for name, g in s.groupby('arm', sort=False):
            c = ctrl[(ctrl.copies == g.copies.iloc[0]) & (ctrl.mix.fillna(-1) == g.mix.fillna(-1).iloc[0])]
            paired = ((g.set_index('seed').test - c.set_index('seed').test).dropna()
                      if g.copies.notna().all() and len(c) and (g.augmenter != 'duplicate-real').all() else [])
            out.append({**dict(zip(KEYS, key)), 'arm': name, 'seeds': len(g), 'val AUC': f"{g.val.mean():.3f}",
                        'test AUC': f"{g.test.mean():.3f}",
                        'test gain over duplicate-real (paired)': interval(paired) if len(paired) else '',
                        'recall 0 / 1': f"{g.recall0.mean():.2f} / {g.recall1.mean():.2f}",
                        'kept / generated': (f"{int(g.kept.sum())} / {int(g.generated.sum())}"
                                             if g.generated.notna().any() else ''),
                        **{k: (f'{g[k].mean():.3g}' if g[k].notna().any() else '')
                           for k in ('fd', 'mmd', 'precision', 'recall')}})
    return pd.DataFrame(out)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--experiments', nargs='+', default=['synthetic-small', 'synthetic-grid'])
    p.add_argument('--classifiers', nargs='+', default=['logreg'])
    p.add_argument('--out', default=None)
    a = p.parse_args()
    df = synthetic_rows(a.experiments)
    df = df[df.classifier.isin(a.classifiers)]
    text = summary(df).to_markdown(index=False)
    for key, s in df[df.augmenter == 'diffusion-sdedit-pool'].groupby(KEYS, sort=False):
        v = s.groupby('arm').val.mean()
        if len(v) > 1: text += (f"\n\n{' / '.join(map(str, key))}: chosen on validation AUC (mean over seeds) among the "
                                f"SDEdit arms: **{v.idxmax()}** ({v.max():.3f}).")
    print(text)
    if a.out:
        cmd = ' '.join(['python benchmarks/synthetic_table.py', '--experiments', *a.experiments, '--classifiers', *a.classifiers])
        Path(a.out).write_text(f"Made by `{cmd}` from the run records of those sweeps (test AUC means over seeds; gains "
                               f"paired seed by seed with duplicate-real at the same count, 95% t interval).\n\n{text}\n")


if __name__ == '__main__':
    main()
