"""Rebuild docs/evidence/benchmark/tables.md from a benchmark report record's CSV outputs (its `outputs/*.csv`).

    python benchmarks/benchmark_tables.py runs/benchmark-report/<run-id> "a paragraph on what this render adds"
"""
import sys, pandas as pd
from pathlib import Path
rec = Path(sys.argv[1]); out = rec/'outputs'; note = sys.argv[2]
fmt = lambda m, lo, hi, n: (f"{m:.3f} [{lo:.3f}, {hi:.3f}] ({n})" if n > 1 and pd.notna(lo) else f"{m:.3f} ({n})")
lc = pd.read_csv(out/'learning_curves.csv')
lc = lc[lc.classifier.isin(['svm-rbf', 'logreg', 'resnet18', 'resnet50', 'densenet121', 'transformer', 'latent-cnn'])]
lc['cell'] = [fmt(r['mean'], r.low, r.high, int(r.seeds)) for _, r in lc.iterrows()]
order = ['10', '25', '50', '100', 'full']
t1 = lc.pivot_table(index=['dataset', 'pipeline', 'classifier'], columns='n_per_class', values='cell', aggfunc='first')
t1 = t1[[c for c in order if c in t1.columns]]
lv = pd.read_csv(out/'latents_vs_pixels.csv')
lv['cell'] = [f"{r.gain:+.3f} [{r.low:+.3f}, {r.high:+.3f}]" for _, r in lv.iterrows()]
lv['n_per_class'] = lv.n_per_class.astype(str)
t2 = lv.pivot_table(index=['dataset', 'pipeline', 'classifier'], columns='n_per_class', values='cell', aggfunc='first')
t2 = t2[[c for c in order if c in t2.columns]]
fp = pd.read_csv(out/'full_vs_published.csv').round(3)
ag = pd.read_csv(out/'augmentation_gains.csv').round(3)
ood = pd.read_csv(out/'ood.csv').round(3).pivot_table(index=['dataset', 'latent space', 'scorer'], columns='out', values='AUROC')
body = f"""# Benchmark report: tables from the final render

Record `{rec.name}` (`runs/benchmark-report/`, not committed). Re-render with:

```sh
latentlab report benchmark --experiment benchmark-report --set sweep=benchmarks/sweeps/learning_curves.yaml --set run_missing=False \\
  --set 'extra_experiments=["benchmark-full","benchmark-aug","benchmark-cnn","benchmark-levers","benchmark-decoded"]' \\
  --set 'ood_checks=[["breastmnist",64,"pneumoniamnist",28]]' --set 'ood_autoencoders=[["taesd",128],["taef2",128]]'
```

{note}

## Learning curves (test AUC, mean [95% t-interval] (seeds); SVM, logistic regression and the torch models)

{t1.fillna('').to_markdown()}

## Latents minus pixels, same classifier, paired by seed (test AUC)

{t2.fillna('').to_markdown()}

## Full training set beside the published results

{fp.to_markdown(index=False)}

## Augmentation at 25 per class: paired gain over none

{ag.to_markdown(index=False)}

## Out of distribution (AUROC)

{ood.to_markdown()}
"""
Path('docs/evidence/benchmark/tables.md').write_text(body)
print(len(body))
