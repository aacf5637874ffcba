"""Small synthetic inputs for the tests (real data and weights come from $LATENTLAB_ASSETS)."""
from pathlib import Path

import numpy as np
from PIL import Image


def blob_images(n_per_class=12, n_classes=3, size=32, seed=0):
    "Gray images whose brightness pattern depends on the class: learnable, small, deterministic."
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:size, :size] / size
    imgs, labels = [], []
    for k in range(n_classes):
        cx, cy = 0.25 + 0.5 * (k % 2), 0.25 + 0.5 * (k // 2 % 2)
        for _ in range(n_per_class):
            blob = np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / 0.02)
            img = 200 * blob + rng.normal(0, 20, (size, size)) + 30
            imgs.append(np.clip(img, 0, 255).astype(np.uint8)); labels.append(k)
    return np.stack(imgs), np.array(labels)


def write_folder(root, n_per_class=8, n_classes=2, size=32, seed=0):
    "An image folder (one sub-folder per class) of `blob_images`."
    root = Path(root)
    imgs, labels = blob_images(n_per_class, n_classes, size, seed)
    for i, (img, k) in enumerate(zip(imgs, labels)):
        (root/f'class{k}').mkdir(parents=True, exist_ok=True)
        Image.fromarray(img).save(root/f'class{k}'/f'{i:03d}.png')
    return root
