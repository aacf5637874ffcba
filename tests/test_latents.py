"""The latent cache: keyed by inputs, atomic, never returns another key's entry."""
import os
import numpy as np
import pytest

import latentlab.latents as L
from latentlab.autoencoders import load_autoencoder
from latentlab.data import ImageSet
from latentlab.latents import LatentSet, decode_latents, encode_dataset, latent_cache_key
from helpers import blob_images


@pytest.fixture(scope='module')
def taesd():
    return load_autoencoder('taesd', resolution=32)


@pytest.fixture()
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv('LATENTLAB_CACHE', str(tmp_path))
    return tmp_path/'latents'


@pytest.fixture(scope='module')
def data():
    imgs, y = blob_images(4, 2, size=32)
    return ImageSet(imgs, y, ['a', 'b'], 'train', 'blobs')


def entries(cache): return sorted(cache.glob('*.safetensors'))


def test_second_call_loads(taesd, data, cache):
    a = encode_dataset(taesd, data, progress=False)
    b = encode_dataset(taesd, data, progress=False)
    assert not a.from_cache and b.from_cache and np.array_equal(a.latents, b.latents)
    assert len(entries(cache)) == 1 and entries(cache)[0].stem == latent_cache_key(data, taesd.spec)
    assert not list(cache.glob('.*tmp*'))


def test_key_depends_on_data_encoder_and_preprocessing(taesd, data):
    other_res = load_autoencoder('taesd', resolution=64)
    keys = {latent_cache_key(data, taesd.spec), latent_cache_key(data, other_res.spec),
            latent_cache_key(data.subset([1, 0, 2, 3, 4, 5, 6, 7]), taesd.spec)}
    assert len(keys) == 3
    assert latent_cache_key(data, taesd.spec) == latent_cache_key(data, load_autoencoder('taesd', resolution=32).spec)


def test_other_encoder_never_gets_the_entry(taesd, data, cache, tmp_path):
    from latentlab.autoencoders import tiny_kl_autoencoder
    kl = load_autoencoder(str(tiny_kl_autoencoder(tmp_path/'kl')), resolution=32)
    a = encode_dataset(taesd, data, progress=False)
    b = encode_dataset(kl, data, progress=False)
    assert not b.from_cache and b.encoder['name'] == 'kl' and b.latents.shape != a.latents.shape
    with pytest.raises(ValueError, match='decode them with the autoencoder that made them'):
        decode_latents(kl, a)
    # an entry planted under the wrong name is detected by its embedded key and not returned
    wrong = cache/f'{latent_cache_key(data, kl.spec)}.safetensors'
    os.replace(cache/f'{latent_cache_key(data, taesd.spec)}.safetensors', wrong)
    with pytest.warns(UserWarning, match='made for other inputs'):
        c = encode_dataset(kl, data, progress=False)
    assert not c.from_cache and np.array_equal(c.latents, b.latents)


def test_corrupt_entry_is_recomputed(taesd, data, cache):
    a = encode_dataset(taesd, data, progress=False)
    path = entries(cache)[0]
    path.write_bytes(path.read_bytes()[:100])
    with pytest.warns(UserWarning, match='unreadable'):
        b = encode_dataset(taesd, data, progress=False)
    assert not b.from_cache and np.array_equal(a.latents, b.latents)
    assert encode_dataset(taesd, data, progress=False).from_cache   # rewritten whole


def test_interrupted_encoding_leaves_nothing(taesd, data, cache, monkeypatch):
    def boom(*a, **k): raise KeyboardInterrupt
    monkeypatch.setattr(taesd, 'encode', boom)
    with pytest.raises(KeyboardInterrupt): encode_dataset(taesd, data, progress=False)
    assert not cache.exists() or not list(cache.iterdir())


def test_interrupted_write_leaves_nothing(taesd, data, cache, monkeypatch):
    import safetensors.numpy as stn
    def half_write(tensors, filename, metadata=None):
        open(filename, 'wb').write(b'partial'); raise KeyboardInterrupt
    monkeypatch.setattr(stn, 'save_file', half_write)
    with pytest.raises(KeyboardInterrupt): encode_dataset(taesd, data, progress=False)
    assert not list(cache.iterdir())


def test_latentset_shapes_and_errors(data):
    z = np.zeros((8, 4, 2, 2), np.float32)
    ls = LatentSet(z, data.labels, data.classes)
    assert ls.X.shape == (8, 16) and ls.with_latents(ls.X[:3], [0, 1, 1]).shape == (4, 2, 2)
    with pytest.raises(ValueError, match='expected rows of 16'): ls.unflatten(np.zeros((2, 15)))
    with pytest.raises(ValueError, match='latents must be'): LatentSet(np.zeros((8, 16)), data.labels, data.classes)
    with pytest.raises(ValueError, match='empty'): encode_dataset(None, data.subset([]))
