import numpy as np
import pytest

from latentlab.autoencoders import AUTOENCODERS, load_autoencoder, tiny_kl_autoencoder


@pytest.fixture(scope='module')
def taesd():
    return load_autoencoder('taesd', resolution=64)


def test_registry_names():
    assert {'taesd', 'taesd3', 'taef1', 'taef2', 'taesana', 'sd-vae-ft-mse', 'sd-vae-ft-ema'} <= set(AUTOENCODERS)


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
    with pytest.raises(FileNotFoundError, match='neither a diffusers model'):
        load_autoencoder('taesd', source=str(tmp_path/'notmodel'))
    with pytest.raises(FileNotFoundError, match='neither a diffusers model'): load_autoencoder(str(tmp_path/'notmodel'))


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


# Reference numbers, produced here by running the published reference implementation, taesd.py of
# github.com/madebyollin/taesd at commit 5cccb12 (not part of this repository), on the weights in
# $LATENTLAB_ASSETS/models/<name>/: `TAESD(encoder.pth, decoder.pth or None)` with the reference's own loader for the
# .pth files (taef2, taesana); `TAESD(None, None, latent_channels=4 or 16, arch_variant=None)` then
# `encoder/decoder.load_state_dict(safetensors.torch.load_file(...))` for the safetensors (taesd, taesd3, taef1).
# x = torch.rand(2, 3, 128, 128, generator=torch.Generator().manual_seed(0)) (the reference's [0, 1] range);
# z = encoder(x): shape, z.double().sum(), z.double().abs().sum(), z[0, :4, 0, 0];
# dec_mean = decoder(z).clamp(0, 1).double().mean().
# psnr16 / ssim16: the first 16 BreastMNIST test images (64 px): gray -> RGB, / 255, bilinear antialiased resize to
# 128 px, reference decoder(encoder(.)).clamp(0, 1), back to [-1, 1], resized to 64 px, channel mean, uint8
# (round), latentlab.metrics.reconstruction_metrics(...).mean() (on the first 48: taesd 29.83 dB / 0.903, taesd3
# 33.35 / 0.955, taef1 31.81 / 0.938, taef2 33.86 / 0.964).
# Our modules load the same weights bit for bit (encoder outputs identical, decoder outputs within 1.5e-8 here).
REFERENCE = {
    'taesd': dict(
        shape=(2, 4, 16, 16), sum=-533.626523, abs_sum=1237.423947,
        first=[-0.313559, 0.606835, -1.421696, -0.555931],
        dec_mean=0.492462126, psnr16=30.2611, ssim16=0.91102),
    'taesd3': dict(
        shape=(2, 16, 16, 16), sum=1389.494445, abs_sum=5022.611669,
        first=[0.806014, -0.773201, 0.516516, 1.037146],
        dec_mean=0.508374237, psnr16=33.8266, ssim16=0.95928),
    'taef1': dict(
        shape=(2, 16, 16, 16), sum=-1190.224341, abs_sum=3982.094403,
        first=[0.116311, -0.458841, 0.645171, 0.36233],
        dec_mean=0.503633237, psnr16=32.3269, ssim16=0.94276),
    'taef2': dict(
        shape=(2, 32, 16, 16), sum=-289.083004, abs_sum=8766.991311,
        first=[-0.760641, 0.28007, -0.645141, 0.092791],
        dec_mean=0.517925044, psnr16=34.2462, ssim16=0.96613),
    'taesana': dict(
        shape=(2, 32, 4, 4), sum=74.402318, abs_sum=555.750315,
        first=[-0.274944, -0.204181, 0.289955, -0.235839]),
}


@pytest.fixture(scope='module')
def breast16():
    from latentlab.data import load_medmnist
    return load_medmnist('breastmnist', size=64)['test'].images[:16]


@pytest.mark.parametrize('name', list(REFERENCE))
def test_matches_published_taesd_py(name, breast16):
    import torch
    from latentlab.autoencoders import CannotDecode
    from latentlab.metrics import reconstruct, reconstruction_metrics
    ref, ae = REFERENCE[name], load_autoencoder(name, resolution=128)
    x = torch.rand(2, 3, 128, 128, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        z = ae.model.encode(x * 2 - 1).latents.double()               # our convention: images in [-1, 1]
    assert tuple(z.shape) == ref['shape'] and ae.latent_shape == ref['shape'][1:]
    assert float(z.sum()) == pytest.approx(ref['sum'], rel=1e-5, abs=1e-2)
    assert float(z.abs().sum()) == pytest.approx(ref['abs_sum'], rel=1e-5)
    assert z[0, :4, 0, 0].tolist() == pytest.approx(ref['first'], abs=1e-5)
    if 'dec_mean' not in ref:                                          # TAESana: an encoder only
        assert not ae.can_decode
        with pytest.raises(CannotDecode, match=f'{name} is an encoder only'): ae.decode(z.float().numpy())
        return
    with torch.no_grad():
        y = ae.model.decode(z.float()).sample.add(1).div(2).clamp(0, 1)
    assert float(y.double().mean()) == pytest.approx(ref['dec_mean'], abs=1e-6)
    m = reconstruction_metrics(breast16, reconstruct(ae, breast16)).mean()
    assert m.psnr == pytest.approx(ref['psnr16'], abs=0.02) and m.ssim == pytest.approx(ref['ssim16'], abs=5e-4), m


def test_taesana_encoder_only_works_without_decoding(tmp_path, monkeypatch, breast16):
    from latentlab.autoencoders import CannotDecode
    from latentlab.data import ImageSet
    from latentlab.latents import decode_latents, encode_dataset
    monkeypatch.setenv('LATENTLAB_CACHE', str(tmp_path))
    sana = load_autoencoder('taesana', resolution=128)
    data = ImageSet(breast16, np.arange(16) % 2, ['a', 'b'], 'test', 'breast16')
    lat = encode_dataset(sana, data, progress=False)
    again = encode_dataset(sana, data, progress=False)
    assert lat.latents.shape == (16, 32, 4, 4) and again.from_cache and np.array_equal(lat.latents, again.latents)
    assert lat.X.shape == (16, 512)
    sentence = r'no decoder weights in .*models/taesana\): reconstructions and decoded images need an autoencoder'
    with pytest.raises(CannotDecode, match=sentence):
        decode_latents(sana, lat)
    with pytest.raises(ValueError): sana.decode(lat.latents)           # a ValueError, for callers that catch those


def test_split_folder_by_path_reads_prefix_channels_and_variant(tmp_path):
    import shutil
    from latentlab.autoencoders import TinyAutoencoder
    from latentlab.config import assets_dir
    for name, ext in [('taef1', 'safetensors'), ('taef2', 'pth')]:
        (tmp_path/name).mkdir()
        for part in ('encoder', 'decoder'):
            shutil.copy(assets_dir()/'models'/name/f'{name}_{part}.{ext}', tmp_path/name/f'renamed_{part}.{ext}')
    f1, f2 = load_autoencoder(str(tmp_path/'taef1')), load_autoencoder(str(tmp_path/'taef2'))
    assert (f1.name, f1.latent_shape, type(f1.model).__name__) == ('renamed', (16, 16, 16), 'AutoencoderTiny')
    assert (f2.name, f2.latent_shape, type(f2.model).__name__) == ('renamed', (32, 16, 16), 'TinyAutoencoder')
    assert f2.model.encoder[11].pool is not None and f2.spec['architecture'] == TinyAutoencoder.architecture
    assert f2.weights_hash == load_autoencoder('taef2').weights_hash
    assert f1.weights_hash == load_autoencoder('taef1').weights_hash


def test_download_error_names_both_paths(tmp_path, monkeypatch):
    import torch
    monkeypatch.setenv('LATENTLAB_ASSETS', str(tmp_path/'assets'))
    monkeypatch.setenv('LATENTLAB_CACHE', str(tmp_path/'cache'))
    monkeypatch.setenv('HF_HUB_OFFLINE', '1')
    def no_network(url, dst, **kw): raise OSError(f'no network for {url}')
    monkeypatch.setattr(torch.hub, 'download_url_to_file', no_network)
    with pytest.raises(FileNotFoundError) as e: load_autoencoder('taesana')
    msg = str(e.value)
    assert "autoencoder 'taesana': no local weights" in msg
    assert 'github.com/madebyollin/taesd/raw/main/taesana_encoder.pth' in msg
    with pytest.raises(FileNotFoundError) as e: load_autoencoder('taef1')
    assert "from_pretrained('madebyollin/taef1') failed" in str(e.value) and 'taef1_encoder.pth' in str(e.value)
