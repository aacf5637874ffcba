"""pytest set-up for latentlab.

* Test environment: no hub access (HF_HUB_OFFLINE), a test cache folder, runs in a temporary folder.
* Notebooks in nbs/ are collected as tests. Each runs in-process in an execnb shell whose namespace is
  first filled from the *exported* module (`#| default_exp`), and whose `#| export` cells are skipped:
  the examples then exercise latentlab/ itself, so coverage of the package is real (running nbdev_test
  under coverage measures the notebook's own copies of the functions instead).
* Cells marked `#| slow` run only with `--run-slow`; `#| eval: false` cells never run.
"""
import importlib
import json
import os
import re
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent
os.environ.setdefault('HF_HUB_OFFLINE', '1')
os.environ.setdefault('LATENTLAB_CACHE', str(ROOT/'.cache'/'test'))
os.environ.setdefault('LATENTLAB_RUNS', tempfile.mkdtemp(prefix='latentlab-runs-'))
os.environ.setdefault('TQDM_DISABLE', '1')

_DIRECTIVE = re.compile(r'^\s*#\|\s*(.+?)\s*$')


def pytest_addoption(parser):
    parser.addoption('--run-slow', action='store_true', default=False, help='also run slow tests and #| slow cells')


def pytest_configure(config):
    config.addinivalue_line('markers', 'slow: heavier tests, run with --run-slow')


def pytest_collection_modifyitems(config, items):
    if config.getoption('--run-slow'): return
    skip = pytest.mark.skip(reason='slow: run with --run-slow')
    for item in items:
        if 'slow' in item.keywords: item.add_marker(skip)


def directives(source: str) -> dict:
    "The `#| name [value]` directives at the top of a cell, as a dict."
    out = {}
    for line in source.splitlines():
        m = _DIRECTIVE.match(line)
        if not m:
            if line.strip(): break
            continue
        name, _, value = m.group(1).partition(' ')
        out[name.rstrip(':')] = value.strip()
    return out


def pytest_collect_file(parent, file_path):
    if (file_path.suffix == '.ipynb' and file_path.parent == ROOT/'nbs'
            and not file_path.name.startswith(('_', '.'))):
        return NotebookFile.from_parent(parent, path=file_path)


class NotebookFile(pytest.File):
    def collect(self):
        yield NotebookItem.from_parent(self, name=self.path.stem)


class NotebookCellError(Exception):
    pass


class NotebookItem(pytest.Item):
    def runtest(self):
        from execnb.shell import CaptureShell
        nb = json.loads(self.path.read_text())
        cells = [''.join(c['source']) for c in nb['cells'] if c['cell_type'] == 'code']
        module = None
        for src in cells:
            d = directives(src)
            if 'default_exp' in d: module = importlib.import_module(f"latentlab.{d['default_exp']}")
        run_slow = self.config.getoption('--run-slow')
        shell = CaptureShell()
        if module is not None:
            shell.user_ns.update({k: v for k, v in vars(module).items() if not k.startswith('__')})
        cwd = os.getcwd()
        os.chdir(self.path.parent)
        try:
            for i, src in enumerate(cells):
                d = directives(src)
                if module is not None and ({'export', 'exports', 'exporti'} & set(d)): continue
                if 'nbdev_export' in src or d.get('eval') == 'false': continue
                if 'slow' in d and not run_slow: continue
                shell.run(src)
                if shell.exc is not None:
                    raise NotebookCellError(f"cell {i} of {self.path.name} failed:\n{src}\n") from shell.exc
        finally:
            os.chdir(cwd)

    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, NotebookCellError):
            cause = excinfo.value.__cause__
            import traceback
            tb = ''.join(traceback.format_exception(type(cause), cause, cause.__traceback__))
            return f"{excinfo.value}\n{tb}"
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.path, 0, f"notebook {self.path.name}"
