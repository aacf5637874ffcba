"""The augmentation report template runs end to end with fast parameters and leaves a complete run record."""
import json

from latentlab.experiments import run_experiment
from latentlab.reports import execute_report, report_parameters

SMALL = dict(experiment='pool-arms', dataset='breastmnist', size=28, autoencoder='taesd', resolution=64,
             features=['latent'], classifiers=['logreg'], n_per_class=10, n_boot=50, keep_models=False)


def test_augmentation_report_fast(tmp_path, monkeypatch):
    monkeypatch.setenv('LATENTLAB_RUNS', str(tmp_path))
    for seed in (0, 1):   # real records for the pool section: no augmentation, the control, a generator at its count
        for arm in ({}, *({'augmenter': a, 'augment_params': {'multiplier': m}}
                          for a in ('duplicate-real', 'noise') for m in (2, 3))):     # two counts: two controls
            run_experiment({**SMALL, **arm, 'seed': seed}, root=tmp_path, progress=False)
    params = report_parameters('augmentation')
    assert {'dataset', 'autoencoder', 'resolution', 'n_per_class', 'generators', 'n_synthetic', 'seed',
            'diffusion_steps'} <= set(params)
    gens = ['interp-slerp', 'noise', 'smote', 'inversion-counterfactual', 'guided-counterfactual', 'diffusion']
    rec = execute_report('augmentation', {'n_per_class': 15, 'n_synthetic': 20, 'generators': gens,
                                          'diffusion_steps': 60, 'sample_steps': 8, 'n_ood': 50,
                                          'synthetic_experiments': ['pool-arms']},
                         root=tmp_path, progress=False)
    assert {'report.html', 'report.ipynb', 'metrics.json', 'results.csv', 'config.json'} <= {p.name for p in rec.path.iterdir()}
    m = json.loads((rec.path/'metrics.json').read_text())
    for g in gens:
        for k in ('disc_auc', 'ood_rel', 'ood_frac', 'fd', 'mmd', 'consistency', 'diversity', 'memorisation', 'test_auc'):
            assert isinstance(m[f'{g}.{k}'], float), (g, k)
        assert 0 <= m[f'{g}.disc_auc'] <= 1 and 0 <= m[f'{g}.consistency'] <= 1
    assert m['ood_auroc_mahalanobis'] > 0.9 and rec.timings['report/diffusion_train_s'] > 0
    assert not [k for k in m if k.endswith(('_s', 'seconds'))]                  # timings live in timings.json only
    assert {f'report/{g}.seconds' for g in gens} <= set(rec.timings)
    assert 0.3 < m['real test (yardstick).disc_auc'] < 0.7          # real held-out latents look real
    html = (rec.path/'report.html').read_text(encoding='utf-8')
    assert 'Key findings' in html and f"{m['baseline_test_auc']:.3f}" in html   # prose built from the numbers
    assert (rec.path/'outputs'/'comparison.csv').is_file()
    # the pool section pairs the generator with duplicate-real at its count, seed by seed, from the records
    assert {type(m[f'pool.breastmnist.10.logreg.noise x{k}.gain_over_duplicate']) for k in (2, 3)} == {float}
    assert 'Synthetic data from the pool' in html and 'paired with duplicate-real at the same count over 2 seeds' in html
    assert (rec.path/'outputs'/'synthetic_pool.csv').is_file()
