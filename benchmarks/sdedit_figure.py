"""Real images (BreastMNIST or PneumoniaMNIST) beside their SDEdit variations from the pool-trained latent diffusion model (issue 26).

The model is the one `benchmarks/sweeps/synthetic_sizes_<dataset>.yaml` trains (pretrained on every TAEF2 latent of the
training split, labels unused; fine-tuned on 25 labelled images per class, seed 0), read from the cache when that
sweep ran. Rows: three real images per class, then `--variations` SDEdit variations of each (strength s, guidance
g), decoded by TAEF2.
    python benchmarks/sdedit_figure.py [--dataset breastmnist --size 64 --strength 0.5 --guidance 3 --out PNG]"""
import argparse
import numpy as np
from PIL import Image, ImageDraw
from latentlab.augment import make_augmenter
from latentlab.autoencoders import load_autoencoder
from latentlab.data import load_medmnist, subsample_indices
from latentlab.diffusion import sdedit_variations
from latentlab.latents import encode_dataset

p = argparse.ArgumentParser()
p.add_argument('--strength', type=float, default=0.5); p.add_argument('--guidance', type=float, default=3.0)
p.add_argument('--variations', type=int, default=5)
p.add_argument('--dataset', default='breastmnist'); p.add_argument('--size', type=int, default=64)
p.add_argument('--out', default=None, help='default: docs/evidence/synthetic/sdedit_<dataset>.png')
a = p.parse_args()
a.out = a.out or f'docs/evidence/synthetic/sdedit_{a.dataset}.png'
train = load_medmnist(a.dataset, size=a.size)['train']
ae = load_autoencoder('taef2', resolution=128)
lat = encode_dataset(ae, train, progress=False)
idx = subsample_indices(train, 25, seed=0)
rest = np.setdiff1d(np.arange(len(train)), idx)
X, y, pool = lat.X[idx], train.labels[idx], lat.X[rest]
sampler = make_augmenter('diffusion-sdedit-pool', random_state=0, shape=lat.shape, pool=pool,
                         config={'channels': [32, 64, 64], 'train_steps': 2000, 'batch_size': 32}, finetune_steps=200,
                         steps=20, strength=a.strength, guidance_scale=a.guidance, multiplier=2)
sampler.fit_resample(X, y)
pick = np.concatenate([np.flatnonzero(y == c)[:3] for c in np.unique(y)])
z = sdedit_variations(sampler.model_, X[pick], np.searchsorted(sampler.classes_, y[pick]), a.variations, a.strength,
                      a.guidance, 20, seed=0)                                  # (variations, N, C, h, w)
real = train.images[idx][pick]
dec = ae.decode(z.reshape(-1, *lat.shape), size=(a.size, a.size), gray=True).reshape(a.variations, len(pick), a.size, a.size)
s, pad = 96, 4
sheet = Image.new('L', ((a.variations + 1) * (s + pad) + 150, len(pick) * (s + pad) + 24), 255)
d = ImageDraw.Draw(sheet)
d.text((150, 4), 'real', fill=0)
for v in range(a.variations): d.text((150 + (v + 1) * (s + pad), 4), f'SDEdit #{v + 1}', fill=0)
for r, i in enumerate(pick):
    top = 24 + r * (s + pad)
    d.text((4, top + s // 2), train.classes[y[i]][:20], fill=0)
    sheet.paste(Image.fromarray(real[r]).resize((s, s)), (150, top))
    for v in range(a.variations): sheet.paste(Image.fromarray(dec[v, r]).resize((s, s)), (150 + (v + 1) * (s + pad), top))
sheet.save(a.out)
print(f"{a.out}: {len(pick)} real images and {a.variations} variations each (s={a.strength}, g={a.guidance}); "
      f"filter counts of the sampler's own fit: {sampler.filter_counts_}")
