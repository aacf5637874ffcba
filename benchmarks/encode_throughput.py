"""TAESD encode throughput (images/s) on BreastMNIST at several encoder resolutions.

Usage: LATENTLAB_ASSETS=... .venv/bin/python benchmarks/encode_throughput.py [--resolutions 64 128] [--n 256] [--device cpu]
Prints one line per resolution; numbers depend on the machine (and on what else runs on it).
"""
import argparse
import time

import torch

from latentlab.autoencoders import load_autoencoder
from latentlab.data import load_medmnist


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--resolutions', type=int, nargs='+', default=[64, 128])
    p.add_argument('--n', type=int, default=256, help='images to encode per resolution')
    p.add_argument('--batch-size', type=int, default=32)
    p.add_argument('--device', default=None)
    p.add_argument('--repeats', type=int, default=3)
    a = p.parse_args()
    x = load_medmnist('breastmnist', size=64)['train'].images[:a.n]
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, {len(x)} BreastMNIST 64px images")
    for res in a.resolutions:
        ae = load_autoencoder('taesd', resolution=res, device=a.device, batch_size=a.batch_size)
        ae.encode(x[:a.batch_size])  # warm-up
        times = []
        for _ in range(a.repeats):
            if ae.device.startswith('cuda'): torch.cuda.synchronize()
            t = time.perf_counter(); ae.encode(x)
            if ae.device.startswith('cuda'): torch.cuda.synchronize()
            times.append(time.perf_counter() - t)
        best = min(times)
        print(f"taesd encode at {res:4d}px on {ae.device}: {len(x) / best:8.1f} images/s "
              f"(best of {a.repeats}: {best:.2f}s; median {sorted(times)[len(times) // 2]:.2f}s)")


if __name__ == '__main__':
    main()
