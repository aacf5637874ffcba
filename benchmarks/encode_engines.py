"""Encoder throughput on the CPU: FLOPs per image, achieved GFLOP/s against the CPU's peak, and what engines give.

For each encoder (TAEF2, TAESD) at one resolution it counts the FLOPs of one image (torch's FlopCounterMode: 2 per
multiply-add of the convolutions), computes the CPU's fp32 peak from lscpu/cpuinfo (cores x FMA lanes x 2 FLOPs x FMA
units x clock; the arithmetic is printed), then encodes the same images with each engine a CPU inference engineer
would try:

  eager            latentlab's `Autoencoder.encode` (float32, batches of 32, all cores) - the reference
  eager 1 thread   the same on one core (what each of two pool workers gets)
  eager batch 8/128
  channels-last    the model and its input in NHWC memory format
  bf16 autocast    torch.autocast(cpu, bfloat16)
  jit freeze       torch.jit.trace + torch.jit.freeze + optimize_for_inference (oneDNN fusions)
  torch.compile    inductor (its compile time is reported apart)
  onnxruntime      the encoder exported to ONNX, run by ONNX Runtime (CPU execution provider)
  openvino         the encoder converted by OpenVINO (`ov.convert_model`), compiled for the CPU

Each row: images/s (best of --repeats passes over --n images, the engines interleaved in each round;\npreprocessing included; bf16 on one batch), GFLOP/s achieved, % of peak,
and the largest difference of its latents from the reference, relative to the largest reference latent; it matches
when that is at most --tol (default 1e-3, about the float16 rounding of the sharded cache). With --auc, the fastest
matching engine other than the reference also encodes BreastMNIST (64 px, 780 images) and the test AUC of the
logistic regression on its latents is compared with the reference's.

onnxruntime, onnx, onnxscript and openvino are not latentlab requirements: install them aside, e.g.
  pip install --target /tmp/enginelibs onnxruntime onnx onnxscript openvino   (then drop the numpy it brings)
  PYTHONPATH=.:/tmp/enginelibs nice -n 10 .venv/bin/python benchmarks/encode_engines.py --n 256 --auc
A missing engine is reported as a row that says why.
"""
import argparse
import copy
import os
import re
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from latentlab.autoencoders import load_autoencoder
from latentlab.data import load_medmnist
from latentlab.latents import encoder_graph


def cpu_peak() -> dict:
    "fp32 peak of this machine's cores: cores x FMA lanes x 2 FLOPs x FMA units x clock, with where each came from."
    lscpu = subprocess.run(['lscpu'], capture_output=True, text=True).stdout
    info = dict(re.findall(r'^([^:\n]+):\s*(.*)$', lscpu, re.M))
    flags = set(info.get('Flags', '').split())
    cores = len(os.sched_getaffinity(0))
    lanes = 16 if 'avx512f' in flags else 8 if 'avx2' in flags else 4
    units = 2      # two FMA pipes per core: Zen 2/3/4 (Zen 4 double-pumps AVX-512), Skylake-SP Gold/Platinum, Ice Lake
    mhz = float(info.get('CPU max MHz') or 0) or float(re.search(r'cpu MHz\s*:\s*([\d.]+)', Path('/proc/cpuinfo').read_text()).group(1))
    fma = 'fma' in flags
    peak = cores * lanes * (2 if fma else 1) * units * mhz / 1e3
    return {'model': info.get('Model name', '?'), 'cores': cores, 'lanes': lanes, 'fma': fma, 'units': units, 'mhz': mhz,
            'gflops': peak, 'text': f"{cores} cores x {lanes} fp32 lanes ({'AVX-512' if lanes == 16 else 'AVX2'}) x "
                                    f"{2 if fma else 1} FLOPs per FMA x {units} FMA units x {mhz / 1e3:.3f} GHz = {peak:.1f} GFLOP/s"}


def gemm_rate(n: int = 2048, repeats: int = 5) -> float:
    """GFLOP/s of a large float32 matrix product on all cores, best of `repeats`: what this machine's FMA units reach
    (a VM often reports its nominal clock while the cores boost above it, so the nominal peak can be beaten)."""
    a, b = torch.randn(n, n), torch.randn(n, n)
    torch.mm(a, b)
    best = min(_timed(lambda: torch.mm(a, b)) for _ in range(repeats))
    return 2 * n ** 3 / best / 1e9


def _timed(fn) -> float:
    t = time.perf_counter(); fn(); return time.perf_counter() - t


EncodeOnly = encoder_graph   # the graph latentlab's onnxruntime engine exports: the same module for every engine


def flops_per_image(ae) -> float:
    from torch.utils.flop_counter import FlopCounterMode
    x = torch.zeros(1, 3, ae.resolution, ae.resolution)
    with torch.inference_mode(), FlopCounterMode(display=False) as fc: EncodeOnly(ae)(x)
    return float(fc.get_total_flops())


def batched(ae, images, bs, run):
    "`run(preprocessed batch) -> latents` over `images` in batches of `bs`."
    out = []
    for i in range(0, len(images), bs):
        out.append(np.asarray(run(ae.preprocess(images[i:i + bs]))))
    return np.concatenate(out)


def engines(ae, bs, cores):
    "`{name: (prepare() -> run(x) -> latents, notes)}`: each prepared lazily so a missing package fails its row only."
    def torch_run(module, fmt=None, autocast=None):
        def run(x):
            with torch.inference_mode():
                if fmt is not None: x = x.contiguous(memory_format=fmt)
                if autocast is None: return module(x).float().numpy()
                with torch.autocast('cpu', dtype=autocast): return module(x).float().numpy()
        return run

    def eager(): return torch_run(EncodeOnly(ae))

    def channels_last():
        m = copy.deepcopy(EncodeOnly(ae)).to(memory_format=torch.channels_last)
        return torch_run(m, torch.channels_last)

    def bf16(): return torch_run(EncodeOnly(ae), autocast=torch.bfloat16)

    def jit_freeze():
        x = ae.preprocess(np.zeros((bs, 8, 8), np.uint8))
        with torch.inference_mode():
            m = torch.jit.optimize_for_inference(torch.jit.freeze(torch.jit.trace(EncodeOnly(ae).eval(), x)))
        return torch_run(m)

    def compiled():
        m = torch.compile(EncodeOnly(ae), dynamic=False)
        run = torch_run(m)
        t = time.perf_counter(); run(ae.preprocess(np.zeros((bs, 8, 8), np.uint8)))
        NOTES['torch.compile'] = f'compile {time.perf_counter() - t:.0f} s'
        return run

    def onnx():
        import onnxruntime as ort
        path = Path(tempfile.mkdtemp())/'encoder.onnx'
        x = ae.preprocess(np.zeros((bs, 8, 8), np.uint8))
        torch.onnx.export(EncodeOnly(ae).eval(), (x,), str(path), input_names=['x'], output_names=['z'],
                          dynamic_axes={'x': {0: 'n'}, 'z': {0: 'n'}}, dynamo=False)
        so = ort.SessionOptions()
        so.intra_op_num_threads, so.graph_optimization_level = cores, ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        sess = ort.InferenceSession(str(path), so, providers=['CPUExecutionProvider'])
        NOTES['onnxruntime'] = f'onnxruntime {ort.__version__}'
        return lambda x: sess.run(['z'], {'x': x.numpy()})[0]

    def openvino():
        import openvino as ov
        x = ae.preprocess(np.zeros((bs, 8, 8), np.uint8))
        model = ov.convert_model(EncodeOnly(ae).eval(), example_input=x)
        cm = ov.Core().compile_model(model, 'CPU', {'INFERENCE_PRECISION_HINT': 'f32', 'INFERENCE_NUM_THREADS': cores})
        req = cm.create_infer_request()
        NOTES['openvino'] = f"openvino {ov.__version__.split('-')[0]}, f32"
        return lambda x: req.infer({0: x.numpy()})[cm.output(0)].copy()

    return {'eager': eager, 'eager 1 thread': eager, 'eager batch 8': eager, 'eager batch 128': eager,
            'channels-last': channels_last, 'bf16 autocast': bf16, 'jit freeze': jit_freeze, 'torch.compile': compiled,
            'onnxruntime': onnx, 'openvino': openvino}


def time_engines(ae, images, prepared: dict, repeats: int) -> dict:
    "Best seconds per image of each engine, the engines interleaved in each round (the load of other processes drifts)."
    best, z = {}, {}
    for name, (run, bs, threads, k) in prepared.items():      # warm-up, and the latents each engine gives
        with torch_threads(threads): z[name] = batched(ae, images[:k], bs, run)
    for _ in range(repeats):
        for name, (run, bs, threads, k) in prepared.items():
            with torch_threads(threads):
                t = time.perf_counter(); batched(ae, images[:k], bs, run)
                best[name] = min(best.get(name, np.inf), (time.perf_counter() - t) / k)
    return best, z


class torch_threads:
    "Within the block, torch uses `n` threads (None: unchanged)."
    def __init__(self, n): self.n = n
    def __enter__(self):
        self.old = torch.get_num_threads()
        if self.n: torch.set_num_threads(self.n)
    def __exit__(self, *exc): torch.set_num_threads(self.old)


def auc_check(ae, bs, run, ref_run):
    "Test AUC of logistic regression (chosen on validation) on BreastMNIST latents from `run` and from `ref_run`."
    from latentlab.evaluation import evaluate_classifier
    d = load_medmnist('breastmnist', size=64)
    out = {}
    for name, r in (('engine', run), ('reference', ref_run)):
        X = {s: batched(ae, d[s].images, bs, r).reshape(len(d[s]), -1) for s in ('train', 'val', 'test')}
        y = {s: d[s].labels for s in X}
        out[name] = evaluate_classifier('logreg', X, y, 2, None, 'auc', 0, 'val', n_boot=200)[0]['test']['auc']
    return out


SLOW = ('bf16 autocast',)
NOTES = {}      # engine name -> a note its preparation left (versions, compile time)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--encoders', nargs='+', default=['taef2', 'taesd'])
    p.add_argument('--resolution', type=int, default=128)
    p.add_argument('--n', type=int, default=256, help='images per timed pass')
    p.add_argument('--batch-size', type=int, default=32)
    p.add_argument('--repeats', type=int, default=3)
    p.add_argument('--engines', nargs='+', default=None, help='a subset of the engine names')
    p.add_argument('--tol', type=float, default=1e-3)
    p.add_argument('--auc', action='store_true', help='AUC check of the fastest matching engine (BreastMNIST)')
    a = p.parse_args()
    peak, cores = cpu_peak(), len(os.sched_getaffinity(0))
    print(f"CPU: {peak['model']}; fp32 peak: {peak['text']}")
    gemm = gemm_rate()
    print(f"measured: a 2048 x 2048 float32 matrix product runs at {gemm:.1f} GFLOP/s ({100 * gemm / peak['gflops']:.0f}% of "
          "that peak): the '% GEMM' column is each engine's rate over it")
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; load average {os.getloadavg()[0]:.1f} "
          "(other processes share these cores: rates are best-of-repeats)")
    images = load_medmnist('pneumoniamnist', size=28)['train'].images[:a.n]
    for enc in a.encoders:
        ae = load_autoencoder(enc, resolution=a.resolution, device='cpu')
        flops = flops_per_image(ae)
        print(f"\n{enc} encoder at {a.resolution} px: {flops / 1e9:.2f} GFLOP per image; {a.n} PneumoniaMNIST images")
        print(f"{'engine':16s} {'img/s':>8s} {'GFLOP/s':>8s} {'% peak':>7s} {'% GEMM':>7s} {'max|dz|/max|z|':>15s}  match  notes")
        prepared = {}
        for name, prepare in engines(ae, a.batch_size, cores).items():
            if a.engines and name not in a.engines and name != 'eager': continue
            bs = {'eager batch 8': 8, 'eager batch 128': 128}.get(name, a.batch_size)
            k = a.batch_size if name in SLOW else len(images)       # bf16 without AVX512-BF16: one batch is enough
            try:
                with torch_threads(1 if name == 'eager 1 thread' else None): prepared[name] = (prepare(), bs, 1 if name == 'eager 1 thread' else None, k)
            except Exception as e:
                print(f"{name:16s} {'-':>8s} {'-':>8s} {'-':>7s} {'-':>7s} {'-':>15s}  -      failed: {type(e).__name__}: {str(e)[:120]}")
        best, z = time_engines(ae, images, prepared, a.repeats)
        rows, runs = [], {}
        for name, (run, bs, threads, k) in prepared.items():
            rate, ref = 1 / best[name], z['eager'][:k]
            err = float(np.abs(z[name] - ref).max() / np.abs(ref).max())
            ok = err <= a.tol
            rows.append((name, rate, ok)); runs[name] = (run, bs)
            print(f"{name:16s} {rate:8.1f} {rate * flops / 1e9:8.1f} {100 * rate * flops / 1e9 / peak['gflops']:6.1f}% "
                  f"{100 * rate * flops / 1e9 / gemm:6.1f}% "
                  f"{err:15.2e}  {'yes' if ok else 'NO ':3s}    {NOTES.get(name, '')}{' (one batch)' if k < len(images) else ''}",
                  flush=True)
        if a.auc:
            best = max((r for r in rows if r[2] and r[0] != 'eager'), key=lambda r: r[1], default=None)
            if best is not None:
                got = auc_check(ae, runs[best[0]][1], runs[best[0]][0], runs['eager'][0])
                print(f"AUC check ({best[0]} vs eager, logreg on BreastMNIST latents): test AUC {got['engine']:.4f} "
                      f"vs {got['reference']:.4f} (difference {got['engine'] - got['reference']:+.4f})")


if __name__ == '__main__':
    main()
