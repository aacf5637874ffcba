#!/usr/bin/env python
"""Fetch the datasets and weights latentlab's tests and `make run` read into $LATENTLAB_ASSETS (CI, fresh machines).

Layout (the same as an offline assets folder, see README "Where things live"):

    medmnist/breastmnist.npz, medmnist/breastmnist_64.npz, medmnist/pneumoniamnist.npz   (the medmnist package's downloads)
    models/{taesd,taesd3,taef1}/config.json + diffusion_pytorch_model.safetensors      (huggingface_hub snapshots of madebyollin/<name>)
    models/{taef2,taesana}/<name>_encoder.pth, <name>_decoder.pth                      (GitHub raw, madebyollin/taesd)

A tiny autoencoder counts as present in either layout latentlab reads: a diffusers folder, or the split files
`<name>_encoder.{safetensors,pth}` (+ the decoder; TAESana's encoder alone is enough, latentlab uses it encoder-only).

What is already there is kept (so a cached folder costs nothing); `--check` only says what is missing (exit 1 if any).
"""
import argparse
import os
import shutil
import sys
import tempfile
import urllib.request
from pathlib import Path

MEDMNIST = [('breastmnist', 28), ('breastmnist', 64), ('pneumoniamnist', 28)]
DIFFUSERS_FILES = ['config.json', 'diffusion_pytorch_model.safetensors']
HUB_IDS = {'taesd': 'madebyollin/taesd', 'taesd3': 'madebyollin/taesd3', 'taef1': 'madebyollin/taef1'}
GITHUB_URL = 'https://github.com/madebyollin/taesd/raw/main/{name}'
GITHUB_MODELS = ['taef2', 'taesana']
ENCODER_ONLY_OK = {'taesana'}     # its decoder is optional: latentlab uses TAESana as an encoder


def medmnist_name(flag: str, size: int) -> str:
    "The file name the medmnist package gives dataset `flag` at `size`."
    return f"{flag}{'' if size == 28 else f'_{size}'}.npz"


def tiny_present(folder: Path, name: str) -> bool:
    "Tiny autoencoder `name` in either layout latentlab reads: a diffusers folder, or the split files."
    part = lambda p: any((folder/f'{name}_{p}.{ext}').is_file() for ext in ('safetensors', 'pth'))
    return all((folder/f).is_file() for f in DIFFUSERS_FILES) or (
        part('encoder') and (part('decoder') or name in ENCODER_ONLY_OK))


def missing(root: Path) -> list:
    "The assets not in `root` yet, as (kind, what) pairs."
    out = [('medmnist', (f, s)) for f, s in MEDMNIST if not (root/'medmnist'/medmnist_name(f, s)).is_file()]
    out += [('hub', hub_id) for name, hub_id in HUB_IDS.items() if not tiny_present(root/'models'/name, name)]
    out += [('github', f'{name}_{part}.pth') for name in GITHUB_MODELS if not tiny_present(root/'models'/name, name)
            for part in ('encoder', 'decoder') if not (root/'models'/name/f'{name}_{part}.pth').is_file()]
    return out


def fetch(root: Path, kind: str, what) -> None:
    if kind == 'medmnist':
        import medmnist
        flag, size = what
        (root/'medmnist').mkdir(parents=True, exist_ok=True)
        cls = getattr(medmnist, medmnist.INFO[flag]['python_class'])
        cls(split='test', root=str(root/'medmnist'), size=size, download=True)   # the package checks the MD5
    elif kind == 'hub':
        from huggingface_hub import snapshot_download
        snapshot_download(what, allow_patterns=DIFFUSERS_FILES, local_dir=str(root/'models'/what.split('/')[1]))
    elif kind == 'github':
        dst = root/'models'/what.rsplit('_', 1)[0]/what
        dst.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=dst.parent, delete=False) as tmp:
            with urllib.request.urlopen(GITHUB_URL.format(name=what), timeout=120) as r: shutil.copyfileobj(r, tmp)
        os.replace(tmp.name, dst)
    else: raise ValueError(kind)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--root', default=os.environ.get('LATENTLAB_ASSETS'), help='assets folder (default: $LATENTLAB_ASSETS)')
    p.add_argument('--check', action='store_true', help='only list what is missing')
    args = p.parse_args(argv)
    if not args.root: p.error('set LATENTLAB_ASSETS or pass --root')
    root = Path(args.root).expanduser().resolve()
    todo = missing(root)
    for kind, what in todo:
        print(f"{'missing' if args.check else 'fetching'}: {kind} {what}", flush=True)
        if not args.check: fetch(root, kind, what)
    left = missing(root)
    print(f"{root}: {'complete' if not left else f'{len(left)} missing: {left}'}")
    return 1 if left else 0


if __name__ == '__main__':
    sys.exit(main())
