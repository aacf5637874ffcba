"""The `latentlab` command, run as a user would run it (a subprocess)."""
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from helpers import blob_images, write_folder

EXE = [sys.executable, '-m', 'latentlab.cli']


def cli(*args, env=None, check=True):
    r = subprocess.run([*EXE, *args], capture_output=True, text=True, env={**os.environ, **(env or {})}, timeout=600)
    if check and r.returncode != 0: raise AssertionError(f"exit {r.returncode}\n{r.stdout}\n{r.stderr}")
    return r


@pytest.mark.parametrize('sub', ['run', 'runs', 'rerun', 'config', 'report'])
def test_help_on_each_subcommand(sub):
    out = cli(sub, '--help').stdout
    assert out.startswith('usage: latentlab ' + sub)


def test_top_level_help_and_missing_command():
    assert 'run' in cli('--help').stdout and cli(check=False).returncode == 2


def test_run_on_an_image_folder_then_runs_and_rerun(tmp_path):
    folder = write_folder(tmp_path/'imgs', n_per_class=15, n_classes=2, size=32)
    runs = tmp_path/'runs'
    r = cli('run', '--quiet', '--runs-dir', str(runs), '--set', f'dataset={folder}', '--set', 'size=32',
            '--set', 'resolution=32', '--set', 'experiment=folder', '--set', 'classifiers=logreg')
    assert 'Test results' in r.stdout and 'Run record:' in r.stdout
    path = Path(r.stdout.strip().splitlines()[-1].split('Run record: ')[1])
    assert path.parent == runs/'folder'
    cfg = json.loads((path/'config.json').read_text())
    assert cfg['dataset'] == str(folder) and cfg['resolution'] == 32
    version = json.loads((path/'version.json').read_text())
    assert version['packages']['torch'] and 'git_commit' in version
    assert path.name in cli('runs', '--runs-dir', str(runs)).stdout
    rr = cli('rerun', path.name[:17], '--runs-dir', str(runs), '--quiet')
    assert 'metrics MATCH' in rr.stdout
    assert len(list((runs/'folder').iterdir())) == 2


def test_rerun_reports_a_difference(tmp_path):
    folder = write_folder(tmp_path/'imgs', n_per_class=15, n_classes=2, size=32)
    runs = tmp_path/'runs'
    cli('run', '--quiet', '--runs-dir', str(runs), '--set', f'dataset={folder}', '--set', 'features=pixel',
        '--set', 'classifiers=logreg')
    path = next((runs/'default').iterdir())
    m = json.loads((path/'metrics.json').read_text())
    m['pixel/logreg']['test']['acc'] += 0.5          # a tampered record no longer reproduces
    (path/'metrics.json').write_text(json.dumps(m))
    r = cli('rerun', path.name, '--runs-dir', str(runs), '--quiet', check=False)
    assert r.returncode == 1 and 'metrics DIFFER' in r.stdout


def test_errors_are_messages_not_tracebacks(tmp_path):
    r = cli('run', '--set', 'datset=x', check=False)
    assert r.returncode == 2 and 'unknown config keys' in r.stderr and 'Traceback' not in r.stderr
    r = cli('rerun', 'nosuchrun', '--runs-dir', str(tmp_path), check=False)
    assert r.returncode == 2 and 'no run record' in r.stderr
    r = cli('run', '--set', f'dataset={tmp_path/"missing.npz"}', '--runs-dir', str(tmp_path), check=False)
    assert r.returncode == 2 and 'does not exist' in r.stderr
    assert 'no run records yet' in cli('runs', '--runs-dir', str(tmp_path/'none')).stdout


def test_multiclass_npz_experiment(tmp_path):
    from latentlab.experiments import run_experiment
    imgs, y = blob_images(20, 3, size=32)
    np.savez(tmp_path/'three.npz', images=imgs, labels=y, classes=np.array(['a', 'b', 'c']))
    rec = run_experiment(dict(dataset=str(tmp_path/'three.npz'), autoencoder='taesd', resolution=32, classifiers=['logreg'], n_boot=100,
                              experiment='multi'), root=tmp_path/'runs', progress=False)
    t = rec.table()
    assert set(t.features) == {'latent', 'pixel'} and (t.auc > 0.9).all()   # blobs are easy; macro OvR AUC
    assert rec.meta['data']['test']['classes'] == {'a': 3, 'b': 3, 'c': 3}


def test_interrupted_run_leaves_no_record(tmp_path, monkeypatch):
    import latentlab.experiments as E
    folder = write_folder(tmp_path/'imgs', n_per_class=10, size=32)
    monkeypatch.setattr(E, 'code_version', lambda: (_ for _ in ()).throw(KeyboardInterrupt()))
    with pytest.raises(KeyboardInterrupt):
        E.run_experiment(dict(dataset=str(folder), features=['pixel'], classifiers=['logreg']),
                         root=tmp_path/'runs', progress=False)
    assert not list((tmp_path/'runs').rglob('*.json'))


def default_run(runs: Path) -> Path:
    "`latentlab run` with no options (the `make run` experiment) into `runs`; the record's folder."
    r = cli('run', '--quiet', '--runs-dir', str(runs))
    return Path(r.stdout.strip().splitlines()[-1].split('Run record: ')[1])


def test_default_experiment_end_to_end(tmp_path):
    """The `make run` experiment itself, in CI: `RunConfig`'s defaults (BreastMNIST 64px, TAEF2 128px, both classifiers
    on both feature sets, threshold on validation). About 40 s of CPU with the latents cached."""
    path = default_run(tmp_path)
    m = json.loads((path/'metrics.json').read_text())
    assert set(m) == {'latent/logreg', 'latent/svm-rbf', 'pixel/logreg', 'pixel/svm-rbf'}
    assert all(v['test']['auc'] > 0.7 for v in m.values())
    timings = json.loads((path/'timings.json').read_text())
    assert {'encode_s', 'total_s', 'fit pixel/svm-rbf s'} <= set(timings) and not [k for k in m if k.endswith('_s')]


@pytest.mark.slow
def test_default_experiment_reruns_to_the_same_metrics(tmp_path):
    "The default run re-run matches metric for metric (the CLI's re-run is in the fast suite on an image folder)."
    path = default_run(tmp_path)
    assert 'metrics MATCH' in cli('rerun', path.name, '--runs-dir', str(tmp_path), '--quiet').stdout


def test_report_list_and_render_errors(tmp_path):
    out = cli('report', 'list').stdout
    for name in ('latent_space', 'augmentation', 'benchmark', 'runs_analysis', 'companion'): assert name in out
    r = cli('report', 'render', 'nosuch', '--runs-dir', str(tmp_path), check=False)
    assert r.returncode == 2 and 'no run record' in r.stderr
    r = cli('report', 'render', check=False)
    assert r.returncode == 2 and 'needs the run id' in r.stderr
