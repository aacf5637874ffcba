"""Synthetic data from a pool-trained diffusion model and its duplicate-real control in a run: the pool reaches the
augmenter, the counts the filter kept and the synthetic set's quality reach the record, and the run's mixing
probability reaches its torch models (the samplers' own checks: tests/test_estimator_checks.py)."""
from latentlab.experiments import augmentation_name, run_experiment
from latentlab.models import load_model

BASE = dict(dataset='breastmnist', size=28, autoencoder='taesd', resolution=64, features=['latent'], classifiers=['logreg'],
            n_per_class=10, n_boot=50, keep_models=False, threshold='argmax')

def test_pool_sdedit_in_a_run(tmp_path, monkeypatch):
    "The run hands the rest of the training split to the augmenter, and records what its filter kept."
    from latentlab.config import cache_dir
    (tmp_path/'cache').mkdir(); (tmp_path/'cache'/'latents').symlink_to(cache_dir('latents'))
    monkeypatch.setenv('LATENTLAB_CACHE', str(tmp_path/'cache'))     # diffusion models start uncached; latents do not
    params = {'config': {'channels': [8, 16], 'train_steps': 20, 'batch_size': 16}, 'finetune_steps': 5, 'steps': 4,
              'variations': 3, 'multiplier': 3}
    rec = run_experiment({**BASE, 'augmenter': 'diffusion-sdedit-pool', 'augment_params': params}, root=tmp_path,
                         progress=False)
    t = rec.timings
    assert t['synthetic_generated'] == 3 * 20                       # 3 variations of each of the 20 labelled latents
    assert t['synthetic'] == min(t['synthetic_kept'], 40) <= 40     # 2 per real latent asked, what the filter kept
    assert t['synthetic_kept'] + max(t['synthetic_rejected_class'], t['synthetic_rejected_ood']) >= 60
    assert t['synthetic_pretrain_s'] > 0 and t['synthetic_finetune_s'] > 0
    again = run_experiment({**BASE, 'augmenter': 'diffusion-sdedit-pool', 'augment_params': params, 'seed': 1},
                           root=tmp_path, progress=False)
    assert again.timings['synthetic_model_from_cache'] is False     # a new labelled set: a new fine-tuning ...
    assert again.timings['synthetic_pretrain_s'] == t['synthetic_pretrain_s']   # ... from the same pretrained model
    assert 'latent/logreg' in rec.metrics
    assert {'synthetic_quality_fd', 'synthetic_quality_mmd', 'synthetic_quality_precision'} <= set(t)


def test_duplicate_real_in_a_run(tmp_path):
    "The control's rows and quality reach the record, and the run's `synthetic_p` reaches the torch model that mixes."
    rec = run_experiment({**BASE, 'augmenter': 'duplicate-real', 'augment_params': {'multiplier': 3}, 'synthetic_p': 0.5,
                          'classifiers': ['logreg', 'latent-cnn'], 'keep_models': True}, root=tmp_path, progress=False)
    assert rec.timings['synthetic'] == 40 and 'synthetic_kept' not in rec.timings
    assert load_model(rec.path/'models'/'latent'/'latent-cnn').estimator_.synthetic_p == 0.5
    assert augmentation_name(rec.config) == 'duplicate-real (p=0.5)'
    q = {k: rec.timings[f'synthetic_quality_{k}'] for k in ('fd', 'mmd', 'precision', 'recall')}
    assert q['fd'] > 0 and 0 <= q['precision'] <= 1 and 0 <= q['recall'] <= 1, q   # duplicates against validation
