import numpy as np
import pytest
from PIL import Image

from latentlab.data import (ImageSet, load_dataset, load_image_folder, load_medmnist, load_npz, read_image,
                            split_stratified, subsample)
from helpers import blob_images, write_folder


def test_read_image_modes(tmp_path):
    g = np.arange(256, dtype=np.uint8).reshape(16, 16)
    Image.fromarray(g.astype(np.uint16) * 257).save(tmp_path/'g16.png')
    Image.fromarray(np.dstack([g, g, g, g]), 'RGBA').save(tmp_path/'rgba.png')
    Image.fromarray(g).convert('P').save(tmp_path/'pal.png')
    Image.fromarray(g).save(tmp_path/'g.tif')
    assert np.array_equal(read_image(tmp_path/'g16.png'), g)          # 16-bit scaled back to 8 bits exactly
    assert read_image(tmp_path/'rgba.png').shape == (16, 16, 3)         # alpha dropped
    assert read_image(tmp_path/'pal.png').shape == (16, 16, 3)          # palette -> RGB
    assert np.array_equal(read_image(tmp_path/'g.tif'), g)
    (tmp_path/'broken.png').write_bytes(b'not an image')
    with pytest.raises(ValueError, match='cannot read image'): read_image(tmp_path/'broken.png')


def test_folder_split_layout_and_errors(tmp_path):
    for split in ('train', 'val', 'test'):
        write_folder(tmp_path/'ds'/split, n_per_class=4, seed=hash(split) % 100)
    sets = load_image_folder(tmp_path/'ds')
    assert set(sets) == {'train', 'val', 'test'} and all(len(s) == 8 for s in sets.values())
    assert sets['val'].classes == ['class0', 'class1']
    (tmp_path/'empty'/'a').mkdir(parents=True); (tmp_path/'empty'/'b').mkdir()
    with pytest.raises(ValueError, match='has no images'): load_image_folder(tmp_path/'empty')
    with pytest.raises(FileNotFoundError): load_image_folder(tmp_path/'nope')
    (tmp_path/'flat').mkdir()
    with pytest.raises(ValueError, match='no class sub-folders'): load_image_folder(tmp_path/'flat')


def test_folder_resize_to_requested_size(tmp_path):
    sets = load_image_folder(write_folder(tmp_path/'f', n_per_class=6), size=16)
    assert all(s.image_size == (16, 16) for s in sets.values())


def test_split_and_subsample_are_seeded():
    imgs, y = blob_images(20, 3)
    data = ImageSet(imgs, y, ['a', 'b', 'c'])
    a, b = split_stratified(data, seed=1), split_stratified(data, seed=1)
    assert all(a[s].fingerprint() == b[s].fingerprint() for s in a)
    assert a['test'].fingerprint() != split_stratified(data, seed=2)['test'].fingerprint()
    assert subsample(data, fraction=0.5, seed=0).class_counts() == {'a': 10, 'b': 10, 'c': 10}
    with pytest.warns(UserWarning, match='only 20 images'): assert len(subsample(data, n_per_class=50)) == 60
    with pytest.raises(ValueError, match='exactly one'): subsample(data)
    with pytest.raises(ValueError, match='has no images'): subsample(ImageSet(imgs[:20], y[:20], ['a', 'b']), n_per_class=2)
    with pytest.raises(ValueError, match='at least 3'): split_stratified(ImageSet(imgs[:2], [0, 1], ['a', 'b']))


def test_npz_layouts(tmp_path):
    imgs, y = blob_images(10, 2)
    np.savez(tmp_path/'med.npz', train_images=imgs, train_labels=y[:, None], val_images=imgs[:4],
             val_labels=y[:4, None], test_images=imgs[:6], test_labels=y[:6, None])
    sets = load_npz(tmp_path/'med.npz', classes=['neg', 'pos'])
    assert len(sets['train']) == 20 and sets['test'].classes == ['neg', 'pos']
    np.savez(tmp_path/'bad.npz', x=imgs)
    with pytest.raises(KeyError, match='expected train_images'): load_npz(tmp_path/'bad.npz')
    with pytest.raises(FileNotFoundError): load_npz(tmp_path/'missing.npz')
    assert load_dataset(tmp_path/"med.npz")["train"].fingerprint() == load_npz(tmp_path/"med.npz")["train"].fingerprint()


def test_medmnist_refusals(tmp_path):
    with pytest.raises(ValueError, match='unknown MedMNIST flag'): load_medmnist('cifar10')
    with pytest.raises(ValueError, match='3D'): load_medmnist('organmnist3d')
    with pytest.raises(ValueError, match='multi-label'): load_medmnist('chestmnist')
    with pytest.raises(ValueError, match='sizes are'): load_medmnist('breastmnist', size=32)
    with pytest.raises(FileNotFoundError, match='LATENTLAB_ASSETS'): load_medmnist('dermamnist', root=tmp_path)
    with pytest.raises(ValueError, match='nor a MedMNIST flag'): load_dataset('no/such/thing')


def test_pneumoniamnist_loads_through_the_package():
    sets = load_medmnist('pneumoniamnist', size=28)
    assert [len(sets[s]) for s in ('train', 'val', 'test')] == [4708, 524, 624]
    assert sets['train'].class_counts() == {'normal': 1214, 'pneumonia': 3494}
