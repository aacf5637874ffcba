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
