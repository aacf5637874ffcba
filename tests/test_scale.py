"""Sharded encoding at scale: resumable, the same latents on every backend, a killed worker loses nothing finished."""
import os
import signal
from pathlib import Path

import numpy as np
import pytest

from latentlab.autoencoders import Autoencoder, load_autoencoder
from latentlab.data import ImageSet
from latentlab.latents import encode_dataset, encoding, shard_bounds
from helpers import blob_images


class Dying(Autoencoder):
    "An autoencoder whose worker process kills itself (SIGKILL) the first time it meets the shard starting with `kill_at`."
    def encode(self, images, batch_size=None, progress=False):
        if (os.getpid() != self.parent and np.array_equal(np.asarray(images)[0], self.kill_at)
                and not Path(self.marker).exists()):
            Path(self.marker).write_text(str(os.getpid()))
            os.kill(os.getpid(), signal.SIGKILL)
        return super().encode(images, batch_size=batch_size, progress=progress)


def nested(address):
    "A Dask task that runs tasks on its own cluster (a sweep cell encoding on the cluster it runs on)."
    import operator
    from latentlab.latents import run_tasks
    return dict(run_tasks(operator.mul, [1, 2, 3], shared=2, scheduler=address))


def dying(tmp_path, kill_at):
    ae = load_autoencoder('taesd', resolution=32)
    ae.__class__, ae.parent, ae.kill_at, ae.marker = Dying, os.getpid(), kill_at, str(tmp_path/'killed')
    return ae


@pytest.fixture(scope='module')
def taesd():
    return load_autoencoder('taesd', resolution=32)


@pytest.fixture()
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv('LATENTLAB_CACHE', str(tmp_path/'cache'))
    return tmp_path/'cache'/'latents'/'shards'


@pytest.fixture(scope='module')
def data():
    imgs, y = blob_images(20, 2, size=32)           # 40 images: 5 shards of 8
    return ImageSet(imgs, y, ['a', 'b'], 'train', 'blobs')


@pytest.fixture(scope='module')
def reference(taesd, data, tmp_path_factory):
    "The latents of a plain single-process, sharded encode (no cache)."
    return encode_dataset(taesd, data, cache=False, shard_size=8, progress=False).latents


def mtimes(folder): return {p.name: p.stat().st_mtime_ns for p in Path(folder).glob('*.safetensors')}


def test_killed_pool_worker_loses_no_finished_shard(tmp_path, data, cache, reference):
    done = encode_dataset(load_autoencoder('taesd', resolution=32), data.subset(range(16)), shard_size=8, progress=False)
    before = mtimes(cache)                            # the first two shards, finished in an earlier run
    ae = dying(tmp_path, data.images[24])             # the worker that takes shard 3 dies
    lat = encode_dataset(ae, data, shard_size=8, workers=2, progress=False)
    assert (tmp_path/'killed').exists()
    assert np.array_equal(lat.latents, reference) and np.array_equal(done.latents, reference[:16])
    assert lat.encoding['encoded'] == 3 and lat.encoding['cached'] == 2
    after = mtimes(cache)
    assert len(after) == 5 and all(after[k] == t for k, t in before.items())   # the finished shards were not rewritten
    again = encode_dataset(ae, data, shard_size=8, workers=2, progress=False)
    assert again.from_cache and again.encoding['encoded'] == 0 and np.array_equal(again.latents, reference)


def test_dask_cluster_with_a_killed_worker(tmp_path, data, cache, reference):
    from distributed import Client, LocalCluster
    ae = dying(tmp_path, data.images[16])
    with LocalCluster(host='127.0.0.1', n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        with encoding(scheduler=client, shard_size=8):          # as the command line's --scheduler sets it
            lat = encode_dataset(ae, data, progress=False)
        # both workers busy with tasks that submit to the same cluster: they secede while waiting, no deadlock
        futures = [client.submit(nested, cluster.scheduler_address, pure=False) for _ in range(2)]
        assert [f.result(timeout=120) for f in futures] == [{0: 2, 1: 4, 2: 6}] * 2
    assert (tmp_path/'killed').exists()
    assert np.array_equal(lat.latents, reference) and lat.encoding['backend'].startswith('dask tcp://127.0.0.1')
    assert len(mtimes(cache)) == 5


def test_environment_sets_shards_and_a_crash_keeps_what_was_written(taesd, data, cache, reference, monkeypatch):
    monkeypatch.setenv('LATENTLAB_SHARD_SIZE', '8')
    calls = []
    real = taesd.encode
    def crash_on_third(images, **kw):
        calls.append(len(images))
        if len(calls) == 3: raise KeyboardInterrupt
        return real(images, **kw)
    monkeypatch.setattr(taesd, 'encode', crash_on_third)
    with pytest.raises(KeyboardInterrupt): encode_dataset(taesd, data, progress=False)
    assert len(mtimes(cache)) == 2 and not list(cache.glob('.*'))    # two shards kept, nothing half-written
    monkeypatch.setattr(taesd, 'encode', real)
    lat = encode_dataset(taesd, data, progress=False)
    assert lat.encoding['encoded'] == 3 and np.array_equal(lat.latents, reference)


def test_precision_is_part_of_the_key(taesd, data, cache):
    "bf16 autocast (on the CPU here; fp16 is what 'auto' picks on a CUDA GPU): close to fp32, never its cache entry."
    fp32 = encode_dataset(taesd, data, shard_size=8, progress=False)
    bf16 = encode_dataset(taesd, data, shard_size=8, precision='bf16', progress=False)
    assert not bf16.from_cache and bf16.encoder['precision'] == 'bf16' and 'precision' not in fp32.encoder
    assert bf16.encoding['precision'] == 'bf16' and len(mtimes(cache)) == 10
    err = np.abs(bf16.latents - fp32.latents).max() / np.abs(fp32.latents).max()
    assert 0 < err < 0.05, err


def test_small_sets_keep_one_float32_entry_and_their_key(taesd, data, tmp_path, monkeypatch):
    from latentlab.latents import latent_cache_key
    monkeypatch.setenv('LATENTLAB_CACHE', str(tmp_path))
    lat = encode_dataset(taesd, data, progress=False)               # 40 images: one shard of the default 1,024
    files = list((tmp_path/'latents').glob('*.safetensors'))
    assert [f.stem for f in files] == [latent_cache_key(data, taesd.spec)] and lat.encoding['dtype'] == 'float32'
    # an entry for the whole set (from before shards) is still used when the set is later read in shards
    assert encode_dataset(taesd, data, shard_size=8, progress=False).from_cache


def test_sampled_posterior_is_the_same_on_every_backend(data, tmp_path):
    from latentlab.autoencoders import tiny_kl_autoencoder
    import torch
    kl = load_autoencoder(str(tiny_kl_autoencoder(tmp_path/'kl')), resolution=32, sample=True, seed=3)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)   # as each of the pool's 2 workers on 2 cores: this model's attention rounds by thread count
    try: here = encode_dataset(kl, data, cache=False, shard_size=8, progress=False)
    finally: torch.set_num_threads(threads)
    pool = encode_dataset(kl, data, cache=False, shard_size=8, workers=2, progress=False)
    assert np.array_equal(here.latents, pool.latents)
    # each shard draws its own noise: two shards of the same images in other positions draw the same
    twice = ImageSet(np.concatenate([data.images[:8], data.images[:8]]), np.zeros(16, int), ['a'])
    z = encode_dataset(kl, twice, cache=False, shard_size=8, progress=False).latents
    assert np.array_equal(z[:8], z[8:]) and np.array_equal(z[:8], here.latents[:8])
    assert len(shard_bounds(len(data), 8)) == 5


# ---- classifiers for large n: scikit-learn's own estimator checks on the new estimators
from sklearn.utils.estimator_checks import parametrize_with_checks   # noqa: E402

from latentlab.classifiers import KernelFeatures, ShardedSGDClassifier   # noqa: E402


@parametrize_with_checks([KernelFeatures(n_components=20, random_state=0), KernelFeatures('fourier', 20, random_state=0),
                          ShardedSGDClassifier(shard_size=16, epochs=5, random_state=0)])
def test_sklearn_checks(estimator, check):
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        check(estimator)


def test_large_n_substitutes_fit_linearly_and_rank_well():
    "The substitutes (256 landmarks or features here) on a problem an RBF SVM solves: each ranks about as well."
    from sklearn.metrics import roc_auc_score
    from latentlab.classifiers import large_n_choice, make_classifier
    rng = np.random.default_rng(0)
    X = rng.normal(size=(3000, 10)); y = (np.linalg.norm(X[:, :3], axis=1) > 1.5).astype(int)   # not linear
    kw = {'svm-rbf': {}, 'nystroem-svm': {'n_components': 256}, 'rff-svm': {'n_components': 256}}
    auc = {n: roc_auc_score(y[2000:], make_classifier(n, C=10.0, **k).fit(X[:2000], y[:2000]).predict_proba(X[2000:])[:, 1])
           for n, k in kw.items()}
    assert auc['svm-rbf'] > 0.95 and auc['nystroem-svm'] > auc['svm-rbf'] - 0.02 and auc['rff-svm'] > auc['svm-rbf'] - 0.06, auc
    assert large_n_choice('svm-rbf', 2000)[0] == 'svm-rbf' and large_n_choice('svm-rbf', 10_001)[0] == 'nystroem-svm'
