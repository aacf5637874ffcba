"""Does the unlabelled rest of the training split help at a few labelled images per class?

The learning curves label `n` images per class and leave the rest of the training split unused. Those images are
cheap in practice (they only lack labels), so three standard ways to use them are measured here, each against the
same classifier on the labelled images alone, paired by seed (the seed draws the labelled subset and seeds the model):

- `unlabelled PCA`: a scaler and PCA fitted on every training latent (no labels), the classifier on the components;
  the number of components (16, 32, 64) chosen on validation AUC.
- `self-training`: scikit-learn's `SelfTrainingClassifier` around the classifier (its hyper-parameters chosen on
  the labelled images as usual): it labels the 50 most confident unlabelled images per round, for up to 5 rounds.
- `label spreading`: scikit-learn's `LabelSpreading` (k-NN graph over every training latent's 32 PCA components);
  `n_neighbors` and `alpha` chosen on validation AUC.

Everything but the unlabelled images is the runner's own path: the same splits, subsets and latents as the learning
curves (`subsample_indices`, `_experiment_features`), classifiers selected on validation (`evaluate_classifier`).
Gains are means over seeds with Student-t 95% intervals (`mean_interval`).

    LATENTLAB_ASSETS=... python benchmarks/semi_supervised.py breastmnist 64 taef2:128 25
    LATENTLAB_ASSETS=... python benchmarks/semi_supervised.py pneumoniamnist 28 taef2:128 25
"""
import sys, time, warnings
import numpy as np
from sklearn.decomposition import PCA
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.semi_supervised import LabelSpreading, SelfTrainingClassifier
from latentlab.classifiers import make_classifier
from latentlab.data import load_dataset, subsample_indices
from latentlab.evaluation import evaluate_classifier, mean_interval
from latentlab.experiments import _experiment_features, make_config

CLASSIFIERS, SEEDS = ('svm-rbf', 'logreg'), range(5)


def val_test_auc(model, X, y) -> tuple:
    "`(val AUC, test AUC)` of a fitted model; label spreading can give NaN rows for isolated points (scored 0.5)."
    p = {s: np.nan_to_num(model.predict_proba(X[s])[:, 1], nan=0.5) for s in ('val', 'test')}
    return roc_auc_score(y['val'], p['val']), roc_auc_score(y['test'], p['test'])


def on_val(candidates) -> float:
    "Test AUC of the candidate with the best validation AUC; `candidates` yields `(val AUC, test AUC)`."
    return max(candidates, key=lambda c: c[0])[1]


def one_seed(Z: dict, y: dict, n: int, seed: int, splits) -> dict:
    "Test AUC of each classifier alone and with each use of the unlabelled images, for one seed."
    idx = subsample_indices(splits['train'], n, seed=seed)
    rest = np.setdiff1d(np.arange(len(Z['train'])), idx)
    X = {'train': Z['train'][idx], 'val': Z['val'], 'test': Z['test']}
    Y = {'train': y['train'][idx], 'val': y['val'], 'test': y['test']}
    Xa = np.concatenate([X['train'], Z['train'][rest]])        # labelled first, then the unlabelled (-1)
    ya = np.concatenate([Y['train'], -np.ones(len(rest), int)])
    pcas = {k: make_pipeline(StandardScaler(), PCA(k, random_state=seed)).fit(Z['train']) for k in (16, 32, 64)}
    P = {k: {s: pca.transform(v) for s, v in X.items()} for k, pca in pcas.items()}   # every split, each size
    out = {}
    for c in CLASSIFIERS:
        entry, _, _ = evaluate_classifier(c, X, Y, 2, None, 'auc', seed, 'argmax', 0)
        out[c] = entry['test']['auc']
        out[f'{c} + unlabelled PCA'] = on_val(
            (e['val']['auc'], e['test']['auc'])
            for e, _, _ in (evaluate_classifier(c, P[k], Y, 2, None, 'auc', seed, 'argmax', 0) for k in pcas))
        st = SelfTrainingClassifier(make_classifier(c, seed, **entry['params']), criterion='k_best', k_best=50,
                                    max_iter=5).fit(Xa, ya)
        out[f'{c} + self-training'] = val_test_auc(st, X, Y)[1]
    Pa = pcas[32].transform(Xa)
    out['label spreading'] = on_val(val_test_auc(LabelSpreading(kernel='knn', n_neighbors=k, alpha=a, max_iter=200)
                                                 .fit(Pa, ya), P[32], Y)
                                    for k in (5, 10, 20) for a in (0.2, 0.5, 0.8))
    return out


if __name__ == '__main__':
    warnings.filterwarnings('ignore', category=UserWarning)
    warnings.filterwarnings('ignore', 'invalid value encountered', RuntimeWarning)   # label spreading's isolated points
    dataset, size, space, n = sys.argv[1], int(sys.argv[2]), sys.argv[3].split(':'), int(sys.argv[4])
    t0 = time.perf_counter()
    splits = load_dataset(dataset, size=size)
    cfg = make_config(dataset=dataset, size=size, autoencoder=space[0], resolution=int(space[1]), features=['latent'])
    sp = _experiment_features(cfg, splits, np.arange(len(splits['train'])), False, {})['latent']
    Z, y = sp.X, sp.y
    rows = []
    for seed in SEEDS:
        rows.append(one_seed(Z, y, n, seed, splits))
        print(f"seed {seed}: " + ', '.join(f'{k} {v:.3f}' for k, v in rows[-1].items()), flush=True)
    print(f"\n{dataset} ({size} px), {space[0]} at {space[1]} px, {n} labelled per class, "
          f"{len(Z['train']) - 2 * n} unlabelled; test AUC mean over {len(rows)} seeds [95% t]; paired gain [95% t]")
    for k in rows[0]:
        v = np.array([r[k] for r in rows])
        b = np.array([r[k.split(' + ')[0] if ' + ' in k else 'svm-rbf'] for r in rows])
        m, lo, hi = mean_interval(v)
        g, glo, ghi = mean_interval(v - b)
        vs = k.split(' + ')[0] if ' + ' in k else 'svm-rbf'
        print(f"- {k:26s} {m:.3f} [{lo:.3f}, {hi:.3f}]" + ('' if k == vs else f"  gain over {vs} {g:+.3f} [{glo:+.3f}, {ghi:+.3f}]"))
    print(f"({time.perf_counter() - t0:.0f} s)")
