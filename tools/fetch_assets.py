#!/usr/bin/env python
"""Fetch the datasets and weights latentlab's tests and `make run` read into $LATENTLAB_ASSETS (CI, fresh machines).

Layout (the same as an offline assets folder, see README "Where things live"):

    medmnist/breastmnist.npz, medmnist/breastmnist_64.npz, medmnist/pneumoniamnist.npz   (the medmnist package's downloads)
    models/taesd/config.json + diffusion_pytorch_model.safetensors                      (huggingface_hub snapshot of madebyollin/taesd)
    models/taef2/taef2_encoder.pth, models/taef2/taef2_decoder.pth                     (GitHub raw, madebyollin/taesd)

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
TAESD_REPO, TAESD_FILES = 'madebyollin/taesd', ['config.json', 'diffusion_pytorch_model.safetensors']
TAEF2_URL = 'https://github.com/madebyollin/taesd/raw/main/{name}'
TAEF2_FILES = ['taef2_encoder.pth', 'taef2_decoder.pth']


def medmnist_name(flag: str, size: int) -> str:
    "The file name the medmnist package gives dataset `flag` at `size`."
    return f"{flag}{'' if size == 28 else f'_{size}'}.npz"


def taesd_present(folder: Path) -> bool:
    "TAESD in either layout latentlab reads: a diffusers folder, or the split encoder/decoder safetensors."
    return all((folder/f).is_file() for f in TAESD_FILES) or all(
        (folder/f'taesd_{p}.safetensors').is_file() for p in ('encoder', 'decoder'))


def missing(root: Path) -> list:
    "The assets not in `root` yet, as (kind, what) pairs."
    out = [('medmnist', (f, s)) for f, s in MEDMNIST if not (root/'medmnist'/medmnist_name(f, s)).is_file()]
    if not taesd_present(root/'models'/'taesd'): out.append(('taesd', TAESD_REPO))
    out += [('taef2', n) for n in TAEF2_FILES if not (root/'models'/'taef2'/n).is_file()]
    return out


def fetch(root: Path, kind: str, what) -> None:
    if kind == 'medmnist':
        import medmnist
        flag, size = what
        (root/'medmnist').mkdir(parents=True, exist_ok=True)
        cls = getattr(medmnist, medmnist.INFO[flag]['python_class'])
        cls(split='test', root=str(root/'medmnist'), size=size, download=True)   # the package checks the MD5
    elif kind == 'taesd':
        from huggingface_hub import snapshot_download
        snapshot_download(TAESD_REPO, allow_patterns=TAESD_FILES, local_dir=str(root/'models'/'taesd'))
    elif kind == 'taef2':
        dst = root/'models'/'taef2'/what
        dst.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=dst.parent, delete=False) as tmp:
            with urllib.request.urlopen(TAEF2_URL.format(name=what), timeout=120) as r: shutil.copyfileobj(r, tmp)
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
