"""Time latentlab's default run on a 1,600-image, 5-class RGB PNG folder made from the real MedMNIST images.

The five classes are BreastMNIST benign/normal, BreastMNIST malignant (its 210 images and 110 of them mirrored),
PneumoniaMNIST normal, PneumoniaMNIST pneumonia (28 px, upsampled to 64) and other PneumoniaMNIST normal images at a
different contrast (gamma 0.5), 320 each, saved as
64x64 RGB PNGs in class folders; then `latentlab run --set dataset=FOLDER` runs cold (empty latent cache).

    LATENTLAB_ASSETS=... LATENTLAB_CACHE=$(mktemp -d) python benchmarks/folder_timing.py OUT_FOLDER .venv/bin/latentlab
"""
import os, subprocess, sys, time, shutil
from pathlib import Path
import numpy as np
from PIL import Image
out = Path(sys.argv[1]); shutil.rmtree(out, ignore_errors=True)
assets = Path(os.environ['LATENTLAB_ASSETS'])/'medmnist'
b = np.load(assets/'breastmnist_64.npz'); p = np.load(assets/'pneumoniamnist.npz')
bi = np.concatenate([b[f'{s}_images'] for s in ('train', 'val', 'test')]); bl = np.concatenate([b[f'{s}_labels'] for s in ('train', 'val', 'test')]).ravel()
pi = np.concatenate([p[f'{s}_images'] for s in ('train', 'val', 'test')]); pl = np.concatenate([p[f'{s}_labels'] for s in ('train', 'val', 'test')]).ravel()
rng = np.random.default_rng(0)
mal = bi[bl == 0]
normal = pi[pl == 0][rng.permutation(int((pl == 0).sum()))]
classes = {'breast_malignant': np.concatenate([mal, mal[:110, :, ::-1]]), 'breast_benign': bi[bl == 1], 'chest_normal': normal[:320],
           'chest_pneumonia': pi[pl == 1], 'chest_normal_gamma': (255 * (normal[320:] / 255.0) ** 0.5).astype(np.uint8)}
for name, imgs in classes.items():
    (out/name).mkdir(parents=True)
    pick = rng.choice(len(imgs), 320, replace=False)
    for j, k in enumerate(pick):
        Image.fromarray(imgs[k]).convert('RGB').resize((64, 64), Image.BICUBIC).save(out/name/f'{j:04d}.png')
print(sum(1 for _ in out.rglob('*.png')), 'images in', out, flush=True)
t = time.time()
r = subprocess.run([sys.argv[2], 'run', '--set', f'dataset={out}'], capture_output=True, text=True)
print(r.stdout[-2500:], r.stderr[-1500:]); print(f'latentlab run: {time.time() - t:.1f} s wall, rc {r.returncode}')
