"""Ingestion that forgives one bad file, as a new user meets it: through `latentlab run` on a messy folder."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import write_folder

EXE = [sys.executable, '-m', 'latentlab.cli']


def messy_folder(root):
    "Blob images in two classes, plus a truncated PNG, a text file dressed as a PNG, a stray .txt and an empty class."
    root = write_folder(root, n_per_class=15, n_classes=2, size=32)
    good = (root/'class0'/'000.png').read_bytes()
    (root/'class0'/'truncated.png').write_bytes(good[:len(good) // 2])
    (root/'class1'/'fake.png').write_text('this is not a PNG')
    (root/'class1'/'notes.txt').write_text('scanner settings')
    (root/'empty').mkdir()
    return root


def run_cli(*args):
    return subprocess.run([*EXE, *args], capture_output=True, text=True, env=dict(os.environ), timeout=600)


def test_cli_run_skips_bad_files_reports_them_all_and_records_them(tmp_path):
    folder = messy_folder(tmp_path/'imgs')
    r = run_cli('run', '--quiet', '--runs-dir', str(tmp_path/'runs'), '--set', f'dataset={folder}',
                '--set', 'features=pixel', '--set', 'classifiers=logreg', '--set', 'n_boot=50')
    assert r.returncode == 0, r.stderr
    for name in ('truncated.png', 'fake.png', 'notes.txt', 'empty'):    # every problem named at once, with its reason
        assert name in r.stderr
    assert 'skipped 3 of' in r.stderr and 'class0 16 -> 15' in r.stderr and 'class1 16 -> 15' in r.stderr
    meta = json.loads(next((tmp_path/'runs'/'default').glob('*/meta.json')).read_text())
    assert sorted(Path(p['path']).name for p in meta['skipped_files']) == ['empty', 'fake.png', 'notes.txt', 'truncated.png']
    assert meta['data']['train']['classes'].keys() == {'class0', 'class1'}


def test_cli_run_refuses_with_on_error_raise_and_lists_every_file(tmp_path):
    folder = messy_folder(tmp_path/'imgs')
    r = run_cli('run', '--quiet', '--runs-dir', str(tmp_path/'runs'), '--set', f'dataset={folder}',
                '--set', 'on_error=raise', '--set', 'features=pixel', '--set', 'classifiers=logreg')
    assert r.returncode == 2 and '4 file(s)' in r.stderr
    assert all(n in r.stderr for n in ('truncated.png', 'fake.png', 'notes.txt', 'empty'))
    assert not (tmp_path/'runs'/'default').exists()          # no record for a refused run
