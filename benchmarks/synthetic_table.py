"""The synthetic-data comparison of issue 26 as one table: each augmentation arm's validation and test AUC (mean over
seeds), its test gain paired with duplicate-real at the same count (same seed, same small set), the quality of its
synthetic set against the validation latents (Frechet distance, MMD, k-NN precision/recall; recorded by
`run_experiment` since this table exists), and the arm chosen on validation alone.

    LATENTLAB_RUNS=/work/runs python benchmarks/synthetic_table.py [--experiments synthetic-small synthetic-grid]
        [--classifier logreg] [--out docs/evidence/synthetic/grid.md]
"""
import argparse
import json
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from latentlab.experiments import RunRecord, list_runs
from latentlab.config import runs_dir


def arm(cfg: dict) -> str:
    "A readable name of a record's augmentation arm."
    a, p = cfg.get('augmenter'), cfg.get('augment_params') or {}
    if not a: return 'none'
    m = p.get('multiplier')
    if a == 'duplicate-real': return f'duplicate-real x{m}'
    if a == 'diffusion-sdedit-pool': return f"sdedit-pool x{m} s={p.get('strength')} g={p.get('guidance_scale')}"
    return f'{a} x{m}'


def interval(d) -> str:
    d = np.asarray(d, float)
    if len(d) < 2: return f'{d.mean():+.3f}'
    h = stats.t.ppf(0.975, len(d) - 1) * d.std(ddof=1) / np.sqrt(len(d))
    return f'{d.mean():+.3f} [{d.mean() - h:+.3f}, {d.mean() + h:+.3f}]'


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--experiments', nargs='+', default=['synthetic-small', 'synthetic-grid'])
    p.add_argument('--classifier', default='logreg')
    p.add_argument('--out', default=None)
    a = p.parse_args()
    rows = []
    for exp in a.experiments:
        for path in sorted((runs_dir()/exp).glob('2*')):
            rec = RunRecord.load(path)
            m = rec.metrics.get(f'latent/{a.classifier}')
            if m is None: continue
            q = {k: rec.timings.get(f'synthetic_quality_{k}') for k in ('fd', 'mmd', 'precision', 'recall')}
            rows.append(dict(arm=arm(rec.config), seed=rec.config['seed'], val=m['val']['auc'], test=m['test']['auc'],
                             kept=rec.timings.get('synthetic_kept'), generated=rec.timings.get('synthetic_generated'), **q))
    df = pd.DataFrame(rows).drop_duplicates(['arm', 'seed'], keep='last')
    ctrl = df[df.arm.str.startswith('duplicate-real')].assign(m=lambda d: d.arm.str.split('x').str[-1])
    out = []
    for name, g in df.groupby('arm', sort=False):
        mult = name.split(' x')[1].split(' ')[0] if ' x' in name else None
        c = ctrl[ctrl.m == mult].set_index('seed').test if mult else None
        paired = (g.set_index('seed').test - c).dropna() if c is not None and not name.startswith('duplicate') else []
        out.append({'arm': name, 'seeds': len(g), 'val AUC': f"{g.val.mean():.3f}", 'test AUC': f"{g.test.mean():.3f}",
                    'test gain over duplicate-real (paired)': interval(paired) if len(paired) else '',
                    'kept / generated': (f"{int(g.kept.sum())} / {int(g.generated.sum())}" if g.generated.notna().any()
                                         else ''),
                    **{k: (f'{g[k].mean():.3g}' if g[k].notna().any() else '') for k in ('fd', 'mmd', 'precision', 'recall')}})
    t = pd.DataFrame(out)
    syn = df[df.arm.str.startswith('sdedit')].groupby('arm').val.mean()
    text = t.to_markdown(index=False)
    if len(syn): text += f"\n\nChosen on validation AUC (mean over seeds) among the SDEdit arms: **{syn.idxmax()}** ({syn.max():.3f})."
    print(text)
    if a.out: Path(a.out).write_text(text + '\n')


if __name__ == '__main__':
    main()
