"""The synthetic-data comparison of issue 26 as one table: for each data set, labelled size and classifier, each
augmentation arm's validation and test AUC (mean over seeds), its test gain paired with duplicate-real at the same
count (same seed, same small set; a 95% t interval over seeds), each class's test recall, the kept fraction after
the filter, the quality of its synthetic set against the validation latents (Frechet distance, MMD, k-NN
precision/recall; recorded by `run_experiment`), and the SDEdit arm chosen on validation alone.

    LATENTLAB_RUNS=/work/runs python benchmarks/synthetic_table.py [--experiments synthetic-small synthetic-grid]
        [--classifiers logreg] [--out docs/evidence/synthetic/grid.md]

Per-class recall of a two-class record comes from its test accuracy and balanced accuracy (their mean and the
class-weighted mean of the two recalls) and the test split's class counts: exact, no predictions needed.
"""
import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from latentlab.config import runs_dir
from latentlab.data import load_dataset
from latentlab.evaluation import mean_interval
from latentlab.experiments import RunRecord

KEYS = ['dataset', 'n', 'classifier']


def arm(cfg: dict) -> str:
    "A readable name of a record's augmentation arm (` p=` when the synthetic rows were mixed in)."
    a, p = cfg.get('augmenter'), cfg.get('augment_params') or {}
    if not a: return '+'.join(f'images:{t}' for t in cfg.get('image_augment') or []) or 'none'
    m = p.get('multiplier')
    name = (f'duplicate-real x{m}' if a == 'duplicate-real' else
            f"sdedit-pool x{m} s={p.get('strength')} g={p.get('guidance_scale')}" if a == 'diffusion-sdedit-pool' else
            f'{a} x{m}')
    if 'min_confidence' in p: name += ' unfiltered' if p['min_confidence'] is None else f" conf>={p['min_confidence']}"
    return name + (f" p={cfg['synthetic_p']:g}" if cfg.get('synthetic_p') is not None else '')


def interval(d) -> str:
    "Mean of paired differences with its 95% t interval (`evaluation.mean_interval`)."
    m, lo, hi = mean_interval(d)
    return f'{m:+.3f}' if not np.isfinite(lo) else f'{m:+.3f} [{lo:+.3f}, {hi:+.3f}]'


_COUNTS = {}

def recalls(cfg: dict, test: dict) -> tuple:
    "Test recall of class 0 and class 1 from a two-class record's accuracy and balanced accuracy."
    key = (cfg['dataset'], cfg.get('size'))
    if key not in _COUNTS: _COUNTS[key] = np.bincount(load_dataset(cfg['dataset'], cfg.get('size'))['test'].labels)
    n0, n1 = _COUNTS[key][:2]
    r1 = ((n0 + n1) * test['acc'] - 2 * test['balanced_acc'] * n0) / (n1 - n0)
    return 2 * test['balanced_acc'] - r1, r1


def records(experiments: list, classifiers: list) -> pd.DataFrame:
    "One row per (record, classifier): the arm, seed, scores and the synthetic set's counts and quality."
    rows = []
    for exp in experiments:
        for path in sorted((runs_dir()/exp).glob('2*')):
            rec = RunRecord.load(path)
            for c in classifiers:
                m = rec.metrics.get(f'latent/{c}')
                if m is None: continue
                q = {k: rec.timings.get(f'synthetic_quality_{k}') for k in ('fd', 'mmd', 'precision', 'recall')}
                r0, r1 = recalls(rec.config, m['test'])
                rows.append(dict(dataset=rec.config['dataset'], n=rec.config['n_per_class'], classifier=c,
                                 arm=arm(rec.config), seed=rec.config['seed'], val=m['val']['auc'],
                                 test=m['test']['auc'], recall0=r0, recall1=r1, kept=rec.timings.get('synthetic_kept'),
                                 generated=rec.timings.get('synthetic_generated'), **q))
    return pd.DataFrame(rows).drop_duplicates(KEYS + ['arm', 'seed'], keep='last')


def summary(df: pd.DataFrame) -> pd.DataFrame:
    "One row per setting and arm: means over seeds, the paired gain over duplicate-real at the same count."
    out = []
    for key, s in df.groupby(KEYS, sort=False):
        ctrl = s[s.arm.str.startswith('duplicate-real')]
        for name, g in s.groupby('arm', sort=False):
            mult = name.split(' x')[1].split(' ')[0] if ' x' in name else None
            c = ctrl[ctrl.arm.str.split(' x').str[1].str.split(' ').str[0] == mult].set_index('seed').test
            paired = ((g.set_index('seed').test - c).dropna() if mult and len(c) and not name.startswith('duplicate')
                      else [])
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
    df = records(a.experiments, a.classifiers)
    text = summary(df).to_markdown(index=False)
    for key, s in df[df.arm.str.startswith('sdedit')].groupby(KEYS, sort=False):
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
