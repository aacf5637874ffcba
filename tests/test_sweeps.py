"""Sweeps on a real dask.distributed cluster (a scheduler and two worker processes on loopback), on a local
process pool, and from the command line. Cells are small real experiments (BreastMNIST 28 px, pixels, logreg)."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from distributed import Client, LocalCluster

from latentlab.experiments import RunRecord, list_runs
from latentlab.sweeps import finished_cells, format_summary, plan_sweep, register_cell_runner, run_sweep

CHEAP = {'dataset': 'breastmnist', 'size': 28, 'features': ['pixel'], 'classifiers': ['logreg'], 'n_per_class': 10}


@pytest.fixture(scope='module')
def cluster():
    "A real scheduler and two worker processes (one thread each), listening on 127.0.0.1 only."
    with LocalCluster(host='127.0.0.1', n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as c:
        yield c


def worker_pids(address):
    with Client(address) as client: return set(client.run(os.getpid).values())


def pids(df):
    return {int(w.rsplit(':', 1)[1]) for w in df.worker}


def test_dask_sweep_records_a_failure_and_resumes(cluster, tmp_path):
    address, runs = cluster.scheduler_address, tmp_path/'runs'
    assert address.startswith('tcp://127.0.0.1:')
    spec = {'name': 'dask-sweep', 'base': CHEAP, 'grid': {'seed': [0, 1]},
            'cells': [{}, {'dataset': str(tmp_path/'no-such-data.npz')}]}
    df = run_sweep(spec, runs, scheduler=address, progress=False)
    assert list(df.status) == ['done', 'done', 'failed', 'failed'] and df.ran.all()
    assert df.error[2].startswith('FileNotFoundError') and 'no-such-data.npz' in df.error[2]
    assert pids(df) <= worker_pids(address) and os.getpid() not in pids(df)       # ran on the dask workers
    assert df.attrs['compute_s'] > 0 and df.attrs['wall_s'] > 0 and 'dask scheduler tcp://127.0.0.1' in df.attrs['backend']

    # each finished cell is an ordinary run record, marked with its cell id
    records = list_runs(runs, 'dask-sweep')
    assert sorted(records.run_id) == sorted(df.run_id[:2])
    assert records['pixel/logreg/test/auc'].between(0.5, 1).all()
    assert set(finished_cells('dask-sweep', runs)) == set(df.cell_id[:2])
    rec = RunRecord.load(runs/'dask-sweep'/df.run_id[0])
    assert rec.config['seed'] == 0 and rec.config['dataset'] == 'breastmnist'
    # the status table, and the failures' tracebacks, are on disk
    status = json.loads((runs/'dask-sweep'/'_sweep.json').read_text())
    assert status['counts'] == {'done': 2, 'failed': 2}
    assert all('Traceback' in c['traceback'] and 'load_npz' in c['traceback'] for c in status['cells'][2:])
    assert (runs/'dask-sweep'/'_sweep.csv').read_text().count('failed') == 2

    # resume: nothing that finished (or failed) runs again, no new record appears
    before = sorted(p.name for p in (runs/'dask-sweep').iterdir())
    again = run_sweep(spec, runs, scheduler=address, progress=False)
    assert not again.ran.any() and list(again.status) == list(df.status)
    assert list(again.run_id[:2]) == list(df.run_id[:2])
    assert sorted(p.name for p in (runs/'dask-sweep').iterdir()) == before

    # a wider grid with retry_failed: the new cells and the failed ones run, the finished ones do not
    wider = {**spec, 'grid': {'seed': [0, 1, 2]}}
    more = run_sweep(wider, runs, scheduler=address, progress=False, retry_failed=True)
    assert list(more.seed) == [0, 1, 2] * 2
    assert list(more.ran) == [False, False, True, True, True, True]
    assert list(more.status) == ['done'] * 3 + ['failed'] * 3
    assert list(more.run_id[:2]) == list(df.run_id[:2])
    assert len(list_runs(runs, 'dask-sweep')) == 3
    assert '6 cells, 3 done, 3 failed; 4 ran now (1 done, 3 failed), 2 kept' in format_summary(more)


def test_cells_give_the_same_numbers_on_every_backend(cluster, tmp_path):
    spec = {'name': 'same', 'base': CHEAP, 'grid': {'seed': [3]}}
    tables = [run_sweep(spec, tmp_path/'dask', scheduler=cluster.scheduler_address, progress=False),
              run_sweep(spec, tmp_path/'pool', workers=2, progress=False),
              run_sweep(spec, tmp_path/'here', workers=0, progress=False)]
    metrics = [RunRecord.load(t.attrs['root'] + f"/same/{t.run_id[0]}").metrics for t in tables]
    assert metrics[0] == metrics[1] == metrics[2]
    assert os.getpid() not in pids(tables[1]) and pids(tables[2]) == {os.getpid()}


def test_local_pool_runs_cells_in_parallel_processes(tmp_path):
    spec = {'name': 'pool', 'base': CHEAP, 'grid': {'seed': [0, 1]}}
    df = run_sweep(spec, tmp_path, workers=2, progress=False)
    assert list(df.status) == ['done', 'done'] and os.getpid() not in pids(df)
    assert df.attrs['backend'] == 'a local pool of 2 processes'
    assert not run_sweep(spec, tmp_path, workers=2, progress=False).ran.any()
    assert list(plan_sweep(spec, tmp_path).status) == ['done', 'done']


def crash(config, root):
    "A runner whose process dies (as an out-of-memory kill would)."
    os._exit(3)


def test_a_worker_that_dies_is_a_failed_cell(tmp_path):
    register_cell_runner('crash', crash)
    df = run_sweep([{'kind': 'crash'}], tmp_path, workers=1, progress=False, name='crashing')
    assert list(df.status) == ['failed'] and 'BrokenProcessPool' in df.error[0]


def cli(*args):
    return subprocess.run([sys.executable, '-m', 'latentlab.cli', *args], capture_output=True, text=True, timeout=600)


@pytest.mark.slow          # the cluster path of sweeps is also run by test_dask_sweep_records_a_failure_and_resumes
def test_cli_sweep_on_a_pool_then_on_the_cluster(cluster, tmp_path):
    assert cli('sweep', '--help').stdout.startswith('usage: latentlab sweep')
    sweep = tmp_path/'cli-sweep.yaml'
    sweep.write_text(f"base: {json.dumps(CHEAP)}\ncells:\n  - {{seed: 0}}\n  - {{dataset: {tmp_path}/missing.npz}}\n")
    runs = str(tmp_path/'runs')
    r = cli('sweep', str(sweep), '--runs-dir', runs, '--quiet')
    assert r.returncode == 1, r.stderr
    assert 'sweep cli-sweep: 2 cells, 1 done, 1 failed; 2 ran now' in r.stdout and 'a local pool of 1 processes' in r.stdout
    assert 'compute' in r.stdout and 'wall' in r.stdout
    dry = cli('sweep', str(sweep), '--runs-dir', runs, '--dry-run')
    assert dry.returncode == 0 and '0 ran now' in dry.stdout
    # the same file on the dask cluster: only the failed cell runs again, and now it works
    sweep.write_text(sweep.read_text().replace(f'{tmp_path}/missing.npz', 'breastmnist, seed: 1'))
    r = cli('sweep', str(sweep), '--runs-dir', runs, '--quiet', '--scheduler', cluster.scheduler_address)
    assert r.returncode == 0, r.stdout + r.stderr
    assert '2 cells, 2 done, 0 failed; 1 ran now (1 done, 0 failed), 1 kept' in r.stdout
    bad = cli('sweep', str(tmp_path/'nope.yaml'), '--runs-dir', runs)
    assert bad.returncode == 2 and 'not found' in bad.stderr


NAPPER = '''
import multiprocessing, os, sys, time
from pathlib import Path
from latentlab.cli import main
from latentlab.sweeps import register_cell_runner

def nap(config, root):
    "A cell that starts a child process of its own (as joblib does), notes both pids, then waits."
    child = multiprocessing.get_context('fork').Process(target=time.sleep, args=(600,))
    child.start()
    Path(root, f'pids-{os.getpid()}').write_text(f'{os.getpid()} {child.pid}')
    time.sleep(600)

if __name__ == '__main__':
    import signal
    signal.signal(signal.SIGINT, signal.default_int_handler)   # Ctrl-C as from a terminal, even if the test's parent ignores it
    register_cell_runner('nap', nap)
    sys.exit(main(['sweep', sys.argv[1], '--runs-dir', sys.argv[2], '--workers', '2', '--quiet']))
'''


def alive(pid):
    "Whether process `pid` runs (a zombie waiting for its parent to reap it does not)."
    try: return Path(f'/proc/{pid}/stat').read_text().rsplit(')', 1)[1].split()[0] != 'Z'
    except (FileNotFoundError, ProcessLookupError, IndexError): return False


@pytest.mark.parametrize('sig', [signal.SIGTERM, pytest.param(signal.SIGINT, marks=pytest.mark.slow)])   # one signal in CI
def test_a_stopped_sweep_stops_its_cells_and_leaves_them_pending(tmp_path, sig):
    "SIGTERM (kill, a batch scheduler) or Ctrl-C stops the running cells and their children; the status says pending."
    (tmp_path/'napper.py').write_text(NAPPER)
    (tmp_path/'naps.yaml').write_text('name: naps\ncells: [{kind: nap, seed: 0}, {kind: nap, seed: 1}, {kind: nap, seed: 2}]\n')
    runs = tmp_path/'runs'
    # Ctrl-C in a terminal signals the whole process group: give the sweep its own group and signal that
    proc = subprocess.Popen([sys.executable, str(tmp_path/'napper.py'), str(tmp_path/'naps.yaml'), str(runs)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.time() + 180
    while len(list(runs.glob('pids-*'))) < 2 and time.time() < deadline and proc.poll() is None: time.sleep(0.5)
    started = [int(p) for f in runs.glob('pids-*') for p in f.read_text().split()]
    assert len(started) == 4, (started, proc.poll())
    t = time.time()
    if sig == signal.SIGINT: os.killpg(proc.pid, sig)
    else: proc.send_signal(sig)
    out, err = proc.communicate(timeout=120)
    assert time.time() - t < 60 and proc.returncode == 130, (proc.returncode, out, err)
    assert 'interrupted; 3 cells pending. The same command resumes them.' in err
    assert 'sweep naps: 3 cells, 0 done, 0 failed, 3 pending; 0 ran now' in out
    deadline = time.time() + 30
    while any(alive(p) for p in started) and time.time() < deadline: time.sleep(0.5)
    assert not [p for p in started if alive(p)], 'a cell process or its child outlived the sweep'
    status = json.loads((runs/'naps'/'_sweep.json').read_text())
    assert status['counts'] == {'pending': 3}
    assert sorted(p.name for p in (runs/'naps').iterdir()) == ['_sweep.csv', '_sweep.json']     # no half-written record
