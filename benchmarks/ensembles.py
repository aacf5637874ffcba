"""Do ensembles beat the best single pipeline? Averaged probabilities of classifiers over latent spaces and pixels.

Every member is a registered classifier selected on validation (`evaluate_classifier`, the experiment runner's own
step) on the full training split, on the latents of one autoencoder (TAEF2 / TAESD at an encoder resolution) or on
pixels. Ensembles average the members' probabilities. Three ways to pick one, none of them looking at test:
all latent members, all members, and greedy forward selection on validation AUC (Caruana et al. 2004, with
replacement). The best single member on validation is the baseline. Each line also gives the test accuracy at the
decision threshold chosen on validation (`choose_threshold`), as the benchmark's full-set tables do. Test AUCs carry stratified bootstrap 95%
intervals (`score_proba`), and the paired bootstrap gain of each ensemble over that baseline has its own interval.
The best ensemble *on test* is printed too, labelled as an oracle: an upper bound, not a result.

With `--cnn-seeds 0,1,2,3,4` the latent CNN joins as one member per seed, on the first latent space, trained as in
`levers.yaml`'s best full-set cell (images flipped, rotated and cropped before encoding; test-time flips). Their
average is a deep ensemble (Lakshminarayanan et al. 2017: the same network from different seeds), picked without
looking at test like the others.

    LATENTLAB_ASSETS=... python benchmarks/ensembles.py breastmnist 64 taef2:128,taef2:64,taef2:256,taesd:128
    LATENTLAB_ASSETS=... python benchmarks/ensembles.py pneumoniamnist 28 taef2:128,taesd:128
    LATENTLAB_ASSETS=... python benchmarks/ensembles.py breastmnist 64 taef2:128,taef2:64,taef2:256,taesd:128 --cnn-seeds 0,1,2,3,4
    LATENTLAB_ASSETS=... python benchmarks/ensembles.py pneumoniamnist 28 taef2:128,taesd:128 --cnn-seeds 0,1
"""
import itertools, sys, time
import numpy as np
from threadpoolctl import threadpool_limits
from latentlab.data import load_dataset
from latentlab.evaluation import choose_threshold, classification_metrics, evaluate_classifier, score_proba
from latentlab.experiments import _experiment_features, make_config

CLASSIFIERS, N_BOOT, SEED = ('svm-rbf', 'logreg', 'mlp'), 1000, 0
CNN_AUGMENT = dict(image_augment=['hflip', 'rot', 'crop'], tta=True)


def evaluated(name: str, classifier: str, X: dict, y: dict, shape, seed: int, views: dict | None = None) -> dict:
    "Member `name`: `classifier` selected on validation as the runner does; its `{split: proba}`, its AUCs printed."
    t = time.perf_counter()
    entry, proba, _ = evaluate_classifier(classifier, X, y, 2, shape, 'auc', seed, 'val', 0, views)
    print(f"{name:22s} val AUC {entry['val']['auc']:.3f}  test AUC {entry['test']['auc']:.3f}  "
          f"({time.perf_counter() - t:.0f} s)", flush=True)
    return proba


def members(splits: dict, dataset: str, size: int, spaces: list) -> tuple:
    "`({member: {split: proba}}, {split: labels})` for every classifier on every latent space and on pixels."
    probas, y = {}, {s: splits[s].labels for s in ('val', 'test')}
    for k, (ae, res) in enumerate(spaces):
        cfg = make_config(dataset=dataset, size=size, autoencoder=ae, resolution=res, seed=SEED,
                          features=['latent', 'pixel'] if k == 0 else ['latent'])
        spaces = _experiment_features(cfg, splits, np.arange(len(splits['train'])), False, {})
        for f, sp in spaces.items():
            for c in CLASSIFIERS:
                name = f"{'pixel' if f == 'pixel' else f'{ae}@{res}'}/{c}"
                probas[name] = evaluated(name, c, sp.X, sp.y, sp.shape, SEED)
    return probas, y


def cnn_members(splits: dict, dataset: str, size: int, space: tuple, seeds: list) -> dict:
    "`{member: {split: proba}}` for the latent CNN on `space`, one member per seed (augmented images, test-time flips)."
    probas = {}
    for seed in seeds:
        cfg = make_config(dataset=dataset, size=size, autoencoder=space[0], resolution=space[1], seed=seed,
                          features=['latent'], **CNN_AUGMENT)
        sp = _experiment_features(cfg, splits, np.arange(len(splits['train'])), False, {})['latent']
        name = f"{space[0]}@{space[1]}/latent-cnn+aug+tta seed {seed}"
        probas[name] = evaluated(name, 'latent-cnn', sp.X, sp.y, sp.shape, seed, sp.views)
    return probas


def mean_of(probas: dict, names: list) -> dict:
    "The ensemble of `names`: their probabilities averaged, per split."
    return {s: np.mean([probas[n][s] for n in names], axis=0) for s in ('val', 'test')}


def paired_bootstrap_gain(y, p_new, p_base, n_boot: int = N_BOOT, seed: int = SEED) -> tuple:
    "Test AUC gain of `p_new` over `p_base` with a paired stratified bootstrap 95% interval."
    from sklearn.metrics import roc_auc_score
    rng, idx = np.random.default_rng(seed), [np.flatnonzero(y == k) for k in (0, 1)]
    gains = []
    for _ in range(n_boot):
        b = np.concatenate([rng.choice(i, len(i)) for i in idx])
        gains.append(roc_auc_score(y[b], p_new[b, 1]) - roc_auc_score(y[b], p_base[b, 1]))
    d = roc_auc_score(y, p_new[:, 1]) - roc_auc_score(y, p_base[:, 1])
    return d, *np.percentile(gains, [2.5, 97.5])


def greedy(probas: dict, y: dict, rounds: int = 10) -> list:
    "Forward selection with replacement on validation AUC, stopping when no member improves it."
    chosen, best = [], -np.inf
    for _ in range(rounds):
        auc = {n: classification_metrics(y['val'], mean_of(probas, chosen + [n])['val'], 2)['auc'] for n in probas}
        n = max(auc, key=auc.get)
        if auc[n] <= best: break
        chosen, best = chosen + [n], auc[n]
    return chosen


if __name__ == '__main__':
    dataset, size = sys.argv[1], int(sys.argv[2])
    spaces = [(s.split(':')[0], int(s.split(':')[1])) for s in sys.argv[3].split(',')]
    seeds = [int(s) for s in sys.argv[sys.argv.index('--cnn-seeds') + 1].split(',')] if '--cnn-seeds' in sys.argv else []
    splits = load_dataset(dataset, size=size)
    with threadpool_limits(1):
        probas, y = members(splits, dataset, size, spaces)
    cnns = cnn_members(splits, dataset, size, spaces[0], seeds)     # torch keeps its own threads
    probas.update(cnns)
    with threadpool_limits(1):
        val_auc = {n: classification_metrics(y['val'], p['val'], 2)['auc'] for n, p in probas.items()}
        base = max(val_auc, key=val_auc.get)
        latent = [n for n in probas if not n.startswith('pixel/') and n not in cnns]   # the scikit-learn ones
        picks = {'best single member on val (baseline)': [base], 'all latent members': latent,
                 'all members': list(probas), 'greedy on val': greedy(probas, y)}
        if cnns: picks.update({'latent CNNs over seeds (deep ensemble)': list(cnns),
                               'deep ensemble + all latent scikit-learn members': latent + list(cnns)})
        test_auc = lambda names: classification_metrics(y['test'], mean_of(probas, names)['test'], 2)['auc']
        pool = [list(c) for k in (1, 2, 3, 4) for c in itertools.combinations(probas, k)]
        picks['oracle: best subset of <= 4 on TEST (upper bound, not a result)'] = max(pool, key=test_auc)
        print(f"\n{dataset} ({size} px), full training split, {len(probas)} members; test AUC [95% bootstrap]; "
              f"gain over the baseline [paired 95%]")
        for what, names in picks.items():
            p = mean_of(probas, names)
            s = score_proba(y['test'], p['test'], 2, choose_threshold(y['val'], p['val']), N_BOOT, SEED, warn=False)
            d, lo, hi = paired_bootstrap_gain(y['test'], p['test'], probas[base]['test'])
            print(f"- {what}: {s['auc']:.3f} [{s['auc_low']:.3f}, {s['auc_high']:.3f}], gain {d:+.3f} [{lo:+.3f}, {hi:+.3f}]"
                  f" (val {classification_metrics(y['val'], p['val'], 2)['auc']:.3f}), ACC {s['acc']:.3f} at the validation "
                  f"threshold; {len(names)} members: {', '.join(names)}")
