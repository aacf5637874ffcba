"""Scale benchmark: a folder of 10,000 or 100,000 images encoded and classified end to end, as a user runs it.

1. Builds an image folder of N PNGs in class folders (`normal/`, `pneumonia/`) from PneumoniaMNIST (all 5,856 28 px
   images): each file is a seeded draw of a source image with a random horizontal flip, a random crop (22-28 px,
   resized back to 28) and a random shift (up to 2 px, edges repeated). The first 10,000 files of the 100,000 folder
   are the 10,000 folder.
2. Runs `latentlab run` on it (the command a user types; `--set dataset=FOLDER ...`), once per backend, each with its
   own empty latent cache under --work:
     one process   encoding in the CLI process (LATENTLAB_ENCODE_WORKERS=0)
     pool of 2     a local pool of 2 processes (LATENTLAB_ENCODE_WORKERS=2); one worker is SIGKILLed mid-run
     dask 2        a loopback `dask.distributed` cluster of 2 worker processes (LATENTLAB_SCHEDULER=its address);
                   one worker is SIGKILLed mid-run (its nanny starts another)
     re-run        `latentlab run` again on the one-process cache: everything from cache
   The backend reaches the CLI through the environment (the `--scheduler`/`--shard-size` options set the same).
3. Reports per run: wall seconds, encode seconds and images/s (all three splits), classifier seconds, peak memory
   (the CLI process, and the CLI + its pool or the Dask workers), test AUCs; checks that the killed runs lost no shard
   written before the kill (same files, same modification times) and that every backend's shards hold the same
   latents as the one-process run, bit for bit; and, with both sizes, the time at 100k over the time at 10k
   (target: within 12x).

Encoder: --autoencoder (default TAEF2) at --resolution (default 32 px: the source images are 28 px; TAEF2 is 0.47 GFLOP
per image there, a 16th of 128 px). `--autoencoder taesana --resolution 64` (2 x 2 x 32 latents) is what fits a
100,000-image run in well under an hour on this 2-core CPU.
Classifiers: logreg and nystroem-svm (what `svm-rbf` becomes above 10,000 training rows), on latents.

Usage (10k: about 25 minutes of 2 busy cores here; 100k: see the report):
  LATENTLAB_ASSETS=... PYTHONPATH=. nice -n 10 .venv/bin/python benchmarks/scale.py --n 10000 [100000] \
      --work /tmp/latentlab-scale [--backends one pool dask rerun]
"""
import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import psutil
from PIL import Image

from latentlab.data import load_medmnist


def build_folder(root: Path, n: int, seed: int = 0) -> Path:
    "N augmented PneumoniaMNIST PNGs in class folders under `root` (kept if a folder of the same n and seed is there)."
    stamp = root/'_built.json'
    if stamp.is_file() and json.loads(stamp.read_text()) == {'n': n, 'seed': seed}: return root
    if root.exists(): shutil.rmtree(root)
    sets = load_medmnist('pneumoniamnist', size=28)
    imgs = np.concatenate([s.images for s in sets.values()]); labels = np.concatenate([s.labels for s in sets.values()])
    classes = sets['train'].classes
    for c in classes: (root/c).mkdir(parents=True)
    rng = np.random.default_rng(seed)
    src = rng.integers(0, len(imgs), n)
    t = time.perf_counter()
    for i, j in enumerate(src):
        img = imgs[j]
        if rng.random() < 0.5: img = img[:, ::-1]
        s = int(rng.integers(22, 29)); y0, x0 = rng.integers(0, 28 - s + 1, 2)
        img = np.array(Image.fromarray(np.ascontiguousarray(img[y0:y0 + s, x0:x0 + s])).resize((28, 28), Image.BILINEAR))
        dy, dx = rng.integers(-2, 3, 2)
        img = np.pad(img, 2, mode='edge')[2 - dy:30 - dy, 2 - dx:30 - dx]
        Image.fromarray(img).save(root/classes[labels[j]]/f'{i:06d}.png')
    stamp.write_text(json.dumps({'n': n, 'seed': seed}))
    print(f"built {root}: {n} PNGs in {time.perf_counter() - t:.0f} s", flush=True)
    return root


def shard_files(cache: Path) -> dict:
    "`{name: modification time (ns)}` of the shard entries in a latent cache."
    return {p.name: p.stat().st_mtime_ns for p in (cache/'latents'/'shards').glob('*.safetensors')}


def tree(pids) -> list:
    out = []
    for pid in pids:
        try:
            p = psutil.Process(pid); out += [p, *p.children(recursive=True)]
        except psutil.NoSuchProcess: pass
    return out


class Monitor(threading.Thread):
    "Samples peak memory of the CLI process and of it + the workers; SIGKILLs one worker when `kill_at` shards exist."
    def __init__(self, cli: psutil.Process, cache: Path, workers, kill_at: int | None):
        super().__init__(daemon=True)
        self.cli, self.cache, self.workers, self.kill_at = cli, cache, workers, kill_at
        self.peak_cli = self.peak_all = 0
        self.killed, self.snapshot, self.done = None, None, False

    def run(self):
        while not self.done:
            try:
                procs = {p.pid: p for p in tree([self.cli.pid, *self.workers()])}
                rss = {pid: p.memory_info().rss for pid, p in procs.items() if p.is_running()}
            except (psutil.NoSuchProcess, psutil.AccessDenied): rss = {}
            self.peak_cli = max(self.peak_cli, rss.get(self.cli.pid, 0))
            self.peak_all = max(self.peak_all, sum(rss.values()))
            if self.kill_at is not None and self.killed is None:
                have = shard_files(self.cache)
                victims = [pid for pid in self.workers() if pid != self.cli.pid] or \
                          [c.pid for c in self.cli.children() if 'spawn_main' in ' '.join(c.cmdline())]
                if len(have) >= self.kill_at and victims:
                    self.snapshot = have
                    os.kill(victims[0], signal.SIGKILL)
                    self.killed = {'pid': victims[0], 'after_shards': len(have), 'at_s': time.perf_counter() - self.t0}
            time.sleep(0.2)


class WorkerPids:
    "The process ids of a Dask cluster's workers, asked again at most every 2 s (a killed worker is replaced)."
    def __init__(self, client): self.client, self.pids, self.t = client, [], 0.0

    def __call__(self) -> list:
        if time.perf_counter() - self.t > 2 or not all(psutil.pid_exists(p) for p in self.pids):
            try: self.pids = list(self.client.run(os.getpid, wait=True, on_error='ignore').values())
            except Exception: self.pids = [p for p in self.pids if psutil.pid_exists(p)]
            self.t = time.perf_counter()
        return [p for p in self.pids if isinstance(p, int)]


def cli_command() -> list:
    exe = Path(sys.executable).with_name('latentlab')
    return [str(exe)] if exe.exists() else [sys.executable, '-c', 'import sys; from latentlab.cli import main; sys.exit(main())']


def run_cli(folder: Path, work: Path, name: str, cache: Path, env_extra: dict, args, workers=lambda: [],
            kill_at=None) -> dict:
    "One `latentlab run` on `folder` with the latent cache `cache`: timings, memory, AUCs, what was killed."
    sets = [f'dataset={folder}', 'size=28', f'autoencoder={args.autoencoder}', f'resolution={args.resolution}', 'features=latent',
            f'classifiers={args.classifiers}', f'experiment=scale-{folder.name}', 'n_boot=200']
    cmd = cli_command() + ['run', *sum((['--set', s] for s in sets), [])]
    env = {**os.environ, 'LATENTLAB_CACHE': str(cache), 'LATENTLAB_RUNS': str(work/'runs'), **env_extra}
    log = work/f'{folder.name}-{name}.log'
    print(f"\n[{folder.name} / {name}] {' '.join(cmd[-len(sets) * 2 - 1:])}\n  env: "
          + ' '.join(f'{k}={v}' for k, v in env_extra.items()), flush=True)
    t0 = time.perf_counter()
    with open(log, 'w') as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT)
        mon = Monitor(psutil.Process(proc.pid), cache, workers, kill_at); mon.t0 = t0; mon.start()
        rc = proc.wait()
        mon.done = True; mon.join()
    wall = time.perf_counter() - t0
    text = log.read_text()
    if rc != 0: raise RuntimeError(f"latentlab run failed ({rc}); see {log}:\n{text[-3000:]}")
    rec = Path(text.rsplit('Run record:', 1)[1].strip().split()[0])
    timings = json.loads((rec/'timings.json').read_text()) if (rec/'timings.json').is_file() else {}
    metrics = json.loads((rec/'metrics.json').read_text())
    if not timings: timings = metrics.get('timings', {})
    aucs = {k: round(v['test']['auc'], 4) for k, v in metrics.items() if isinstance(v, dict) and 'test' in v}
    return {'backend': name, 'wall_s': wall, 'encode_s': timings.get('encode_s'),
            'from_cache': timings.get('latents_from_cache'), 'classifiers_s': timings.get('classifiers_s'),
            'load_data_s': timings.get('load_data_s'), 'peak_cli_mb': mon.peak_cli / 2**20,
            'peak_all_mb': mon.peak_all / 2**20, 'test_auc': aucs, 'killed': mon.killed, 'snapshot': mon.snapshot,
            'record': str(rec), 'log': str(log), 'shards': len(shard_files(cache))}


def same_shards(a: Path, b: Path) -> tuple:
    "Whether the shard entries of caches `a` and `b` are the same files holding the same latents, and how many."
    from safetensors.numpy import load_file
    fa, fb = shard_files(a), shard_files(b)
    if set(fa) != set(fb): return False, len(fa), len(fb)
    same = all(np.array_equal(load_file(str(a/'latents'/'shards'/f))['latents'],
                              load_file(str(b/'latents'/'shards'/f))['latents']) for f in fa)
    return same, len(fa), len(fb)


def bench(n: int, work: Path, args) -> list:
    folder = build_folder(work/f'images-{n // 1000}k', n)
    rows, caches = [], {}
    per_shard = 1024
    n_shards = sum(-(-int(round(n * f)) // per_shard) for f in (0.7, 0.15, 0.15))
    for name in args.backends:
        cache = work/f'cache-{n // 1000}k-{"one" if name == "rerun" else name}'
        if name != 'rerun' and cache.exists(): shutil.rmtree(cache)
        kill_at = max(1, int(0.4 * n_shards)) if name in ('pool', 'dask') else None
        if name == 'dask':
            from distributed import Client, LocalCluster
            with LocalCluster(host='127.0.0.1', n_workers=2, threads_per_worker=1, processes=True,
                              dashboard_address=None) as cluster, Client(cluster) as client:
                r = run_cli(folder, work, name, cache, {'LATENTLAB_SCHEDULER': cluster.scheduler_address}, args,
                            workers=WorkerPids(client), kill_at=kill_at)
        else:
            env = {'LATENTLAB_ENCODE_WORKERS': '2' if name == 'pool' else '0'}
            r = run_cli(folder, work, name, cache, env, args, kill_at=kill_at)
        r['n'] = n
        r['images_per_s'] = n / r['encode_s'] if r['encode_s'] else None
        if r['snapshot'] is not None:
            now = shard_files(cache)
            r['finished_before_kill'] = len(r['snapshot'])
            r['none_lost'] = all(now.get(f) == t for f, t in r['snapshot'].items())
        caches[name] = cache
        if name != 'one' and 'one' in caches and name != 'rerun':
            r['same_latents_as_one'] = same_shards(caches['one'], cache)
        r.pop('snapshot')
        rows.append(r)
        print(json.dumps({k: v for k, v in r.items() if k not in ('log', 'record')}, default=str), flush=True)
    return rows


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--n', type=int, nargs='+', default=[10000])
    p.add_argument('--work', default='/tmp/latentlab-scale')
    p.add_argument('--autoencoder', default='taef2', help='a registered autoencoder (taesana: encoder only, the cheapest)')
    p.add_argument('--resolution', type=int, default=32)
    p.add_argument('--classifiers', default='logreg,nystroem-svm')
    p.add_argument('--backends', nargs='+', default=['one', 'pool', 'dask', 'rerun'])
    a = p.parse_args()
    work = Path(a.work); work.mkdir(parents=True, exist_ok=True)
    print(f"load average {os.getloadavg()[0]:.1f} on {len(os.sched_getaffinity(0))} cores", flush=True)
    rows = [r for n in a.n for r in bench(n, work, a)]
    (work/'scale-results.json').write_text(json.dumps(rows, indent=1, default=str))
    print(f"\n{'n':>7s} {'backend':8s} {'wall s':>7s} {'encode s':>8s} {'img/s':>6s} {'clf s':>6s} {'peak CLI MB':>11s} "
          f"{'peak all MB':>11s}  test AUC / checks")
    for r in rows:
        checks = []
        if r.get('killed'): checks.append(f"worker killed after {r['killed']['after_shards']} shards, "
                                          f"{'none' if r.get('none_lost') else 'SOME'} of them lost")
        if 'same_latents_as_one' in r: checks.append(f"latents {'identical to' if r['same_latents_as_one'][0] else 'DIFFER from'} one-process")
        if r['backend'] == 'rerun': checks.append(f"from cache: {r['from_cache']}")
        ips = f"{r['images_per_s']:6.1f}" if r['images_per_s'] else '     -'
        print(f"{r['n']:7d} {r['backend']:8s} {r['wall_s']:7.0f} {r['encode_s'] or 0:8.0f} {ips} {r['classifiers_s'] or 0:6.0f} "
              f"{r['peak_cli_mb']:11.0f} {r['peak_all_mb']:11.0f}  {r['test_auc']}; {'; '.join(checks)}")
    sizes = sorted({r['n'] for r in rows})
    if len(sizes) > 1:
        for b in a.backends:
            w = {r['n']: r['wall_s'] for r in rows if r['backend'] == b}
            if len(w) == len(sizes):
                print(f"{b}: wall at {sizes[-1]:,} / at {sizes[0]:,} = {w[sizes[-1]] / w[sizes[0]]:.1f}x "
                      f"(target within {sizes[-1] / sizes[0] * 1.2:.0f}x)")


if __name__ == '__main__':
    main()
