import numpy as np
import pytest

from latentlab.autoencoders import AUTOENCODERS, load_autoencoder, tiny_kl_autoencoder


@pytest.fixture(scope='module')
def taesd():
    return load_autoencoder('taesd', resolution=64)


def test_registry_names():
    assert {'taesd', 'sd-vae-ft-mse', 'sd-vae-ft-ema'} <= set(AUTOENCODERS)


def test_preprocess_gray_rgb_and_range(taesd):
    gray = np.zeros((2, 28, 28), np.uint8); gray[:, :, 14:] = 255
    rgb = np.repeat(gray[..., None], 3, -1)
    a, b = taesd.preprocess(gray), taesd.preprocess(rgb)
    assert a.shape == (2, 3, 64, 64) and float(a.min()) == -1 and float(a.max()) == 1
    assert np.allclose(a.numpy(), b.numpy())
    assert np.array_equal(taesd.encode(gray), taesd.encode(rgb))
    with pytest.raises(TypeError, match='uint8'): taesd.preprocess(gray.astype(np.float32))
    with pytest.raises(ValueError, match='shaped'): taesd.preprocess(np.zeros((2, 8, 8, 4), np.uint8))


def test_shapes_and_errors(taesd, tmp_path):
    assert taesd.latent_shape == (4, 8, 8) and taesd.scaling_factor == 1.0
    with pytest.raises(ValueError, match='multiple of'): load_autoencoder('taesd', resolution=60)
    with pytest.raises(ValueError, match='unknown autoencoder'): load_autoencoder('sdxl-vae-typo')
    with pytest.raises(ValueError, match='decode wants latents'): taesd.decode(np.zeros((1, 3, 8, 8)))
    with pytest.raises(ValueError, match='needs a KL'): load_autoencoder('taesd', sample=True)
    (tmp_path/'notmodel').mkdir()
    with pytest.raises(FileNotFoundError, match='neither a diffusers model'): load_autoencoder('taesd', source=str(tmp_path/'notmodel'))


def test_spec_tracks_weights(tmp_path):
    a = load_autoencoder(str(tiny_kl_autoencoder(tmp_path/'a', seed=0)), resolution=32)
    b = load_autoencoder(str(tiny_kl_autoencoder(tmp_path/'b', seed=1)), resolution=32)
    assert a.spec['weights'] != b.spec['weights'] and a.spec['model'] == 'AutoencoderKL'


def test_taesd_offline_without_assets_explains(tmp_path, monkeypatch):
    monkeypatch.setenv('LATENTLAB_ASSETS', str(tmp_path))
    with pytest.raises(FileNotFoundError, match='models/taesd'):
        load_autoencoder('taesd')


def test_diffusers_folder_of_tiny_autoencoder(taesd, tmp_path):
    taesd.model.save_pretrained(str(tmp_path/'taesd-diffusers'))
    again = load_autoencoder(str(tmp_path/'taesd-diffusers'), resolution=64)
    x = np.random.default_rng(0).integers(0, 256, (2, 64, 64), dtype=np.uint8)
    assert again.weights_hash == taesd.weights_hash and np.array_equal(again.encode(x), taesd.encode(x))
    monkeypatch_source = load_autoencoder('taesd', resolution=64, source=str(tmp_path/'taesd-diffusers'))
    assert monkeypatch_source.weights_hash == taesd.weights_hash


@pytest.fixture(scope='module')
def taef2():
    return load_autoencoder('taef2', resolution=128)


def test_taef2_spec_names_its_architecture(taef2, taesd):
    from latentlab.autoencoders import TinyAutoencoder
    from latentlab.latents import latent_cache_key
    assert taef2.spec['architecture'] == TinyAutoencoder.architecture and 'taesd.py' in TinyAutoencoder.architecture
    assert 'architecture' not in taesd.spec   # diffusers models keep their keys (and their caches)
    old = {k: v for k, v in taef2.spec.items() if k != 'architecture'}   # what the guessed block order recorded
    assert latent_cache_key('fp', old) != latent_cache_key('fp', taef2.spec)


def _mean_psnr(ae, images):
    from latentlab.metrics import reconstruct, reconstruction_metrics
    return reconstruction_metrics(images, reconstruct(ae, images)).psnr.mean()


def test_taef2_published_block_order_reconstructs_breastmnist(taef2, monkeypatch):
    """taesd.py's Block adds the pooled GroupNorm branch to the input, then runs the residual block.
    On 48 BreastMNIST test images (64 px, encoded at 128 px) that gives ~33.9 dB; the earlier guess,
    relu(conv(x) + x + pool(x)), gives ~31.8 dB with the same weights and must fail the same bound."""
    from latentlab.autoencoders import TinyBlock
    from latentlab.data import load_medmnist
    x = load_medmnist('breastmnist', size=64)['test'].images[:48]
    published = _mean_psnr(taef2, x)
    assert published >= 33.0, f"TAEF2 PSNR {published:.2f} dB < 33 dB: block order differs from taesd.py"

    def guessed(self, h):
        y = self.conv(h) + h
        return self.fuse(y + self.pool(h) if self.pool is not None else y)
    monkeypatch.setattr(TinyBlock, 'forward', guessed)
    old = _mean_psnr(taef2, x)
    assert old < 33.0 <= published, f"the 33 dB bound does not separate the orders: old {old:.2f}, published {published:.2f}"
