"""pytest set-up for latentlab.

* Test environment: no hub access (HF_HUB_OFFLINE), a test cache folder, runs in a temporary folder.
* Notebooks in nbs/ are collected as tests. Each runs in-process in an execnb shell whose namespace is
  first filled from the *exported* module (`#| default_exp`), and whose `#| export` cells are skipped:
  the examples then exercise latentlab/ itself, so coverage of the package is real (running nbdev_test
  under coverage measures the notebook's own copies of the functions instead).
* Every cell must compile (a SyntaxError is IPython's `error_before_exec`, which a check of execution errors
  alone lets pass) and run without an error.
* Cells marked `#| slow` run only with `--run-slow`; without it each one is reported as a skipped test
  (`nbs/NAME.ipynb::slow-cell-N`) and counted in the summary, so that nothing vanishes silently.
  `#| eval: false` cells never run.
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
_WORKER = os.environ.get('PYTEST_XDIST_WORKER')     # pytest -n N: each worker its own runs folder, not the controller's
if _WORKER or 'LATENTLAB_RUNS' not in os.environ:
    os.environ['LATENTLAB_RUNS'] = tempfile.mkdtemp(prefix=f"latentlab-runs-{_WORKER or 'main'}-")
os.environ.setdefault('TQDM_DISABLE', '1')

_DIRECTIVE = re.compile(r'^\s*#\|\s*(.+?)\s*$')
_SKIPPED_SLOW = []      # (notebook, cell index) of the slow cells this session did not run


def pytest_addoption(parser):
    parser.addoption('--run-slow', action='store_true', default=False, help='also run slow tests and #| slow cells')


def pytest_configure(config):
    config.addinivalue_line('markers', 'slow: heavier tests, run with --run-slow')


def pytest_collection_modifyitems(config, items):
    if config.getoption('--run-slow'): return
    skip = pytest.mark.skip(reason='slow: run with --run-slow')
    for item in items:
        if 'slow' in item.keywords: item.add_marker(skip)


def pytest_terminal_summary(terminalreporter):
    if _SKIPPED_SLOW:
        per_nb = {}
        for name, _ in _SKIPPED_SLOW: per_nb[name] = per_nb.get(name, 0) + 1
        terminalreporter.write_line(f"notebooks: {len(_SKIPPED_SLOW)} slow cells not run (--run-slow runs them): "
                                    + ', '.join(f'{k} {v}' for k, v in sorted(per_nb.items())))


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


def code_cells(path) -> list:
    "The sources of the code cells of notebook `path`."
    nb = json.loads(Path(path).read_text())
    return [''.join(c['source']) for c in nb['cells'] if c['cell_type'] == 'code']


def cell_plan(cells: list, exported_module: bool, run_slow: bool) -> list:
    "For each code cell: 'run', 'export' (defined by the module instead), 'never' (eval: false, nbdev_export) or 'slow'."
    plan = []
    for src in cells:
        d = directives(src)
        if exported_module and ({'export', 'exports', 'exporti'} & set(d)): plan.append('export')
        elif 'nbdev_export' in src or d.get('eval') == 'false': plan.append('never')
        elif 'slow' in d and not run_slow: plan.append('slow')
        else: plan.append('run')
    return plan


def check_compiles(shell, src: str):
    "Raise the SyntaxError of cell `src` after IPython's input transformations (magics), if it has one."
    code = shell.transform_cell(src)
    compile(code, '<cell>', 'exec')


class NotebookCellError(Exception):
    pass


def run_notebook(path, run_slow: bool = False) -> list:
    "Run the code cells of notebook `path` as the tests do; raise `NotebookCellError` on the first failing cell; return the plan."
    from execnb.shell import CaptureShell
    path = Path(path)
    cells = code_cells(path)
    module = None
    for src in cells:
        d = directives(src)
        if 'default_exp' in d: module = importlib.import_module(f"latentlab.{d['default_exp']}")
    plan = cell_plan(cells, module is not None, run_slow)
    shell = CaptureShell()
    if module is not None:
        shell.user_ns.update({k: v for k, v in vars(module).items() if not k.startswith('__')})
    cwd = os.getcwd()
    os.chdir(path.parent)
    try:
        for i, (src, what) in enumerate(zip(cells, plan)):
            try: check_compiles(shell, src)      # every cell, skipped ones too: a slow cell must compile as well
            except SyntaxError as e:
                raise NotebookCellError(f"cell {i} of {path.name} does not compile:\n{src}\n") from e
            if what != 'run': continue
            outputs = shell.run(src)
            errors = [o for o in outputs or [] if o.get('output_type') == 'error']
            if shell.exc is not None:
                raise NotebookCellError(f"cell {i} of {path.name} failed:\n{src}\n") from shell.exc
            if errors:
                raise NotebookCellError(f"cell {i} of {path.name} failed ({errors[0].get('ename')}: "
                                        f"{errors[0].get('evalue')}):\n{src}\n")
    finally:
        os.chdir(cwd)
    return plan


def pytest_collect_file(parent, file_path):
    if (file_path.suffix == '.ipynb' and file_path.parent == ROOT/'nbs'
            and not file_path.name.startswith(('_', '.'))):
        return NotebookFile.from_parent(parent, path=file_path)


class NotebookFile(pytest.File):
    def collect(self):
        yield NotebookItem.from_parent(self, name=self.path.stem)
        if self.config.getoption('--run-slow'): return
        for i, src in enumerate(code_cells(self.path)):
            if 'slow' in directives(src):
                yield SlowCellItem.from_parent(self, name=f'slow-cell-{i}', index=i, source=src)


class SlowCellItem(pytest.Item):
    "A `#| slow` cell that this session does not run: reported as a skipped test."
    def __init__(self, *, index, source, **kw):
        super().__init__(**kw)
        self.index, self.source = index, source

    def runtest(self):
        _SKIPPED_SLOW.append((self.path.name, self.index))
        first = next((l for l in self.source.splitlines() if l.strip() and not l.lstrip().startswith('#|')), '')
        pytest.skip(f"slow cell {self.index} of {self.path.name} ({first.strip()[:60]}): run with --run-slow")

    def reportinfo(self):
        return self.path, 0, f"slow cell {self.index} of {self.path.name}"


class NotebookItem(pytest.Item):
    def runtest(self):
        run_notebook(self.path, self.config.getoption('--run-slow'))

    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, NotebookCellError):
            cause = excinfo.value.__cause__
            if cause is None: return str(excinfo.value)
            import traceback
            tb = ''.join(traceback.format_exception(type(cause), cause, cause.__traceback__))
            return f"{excinfo.value}\n{tb}"
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.path, 0, f"notebook {self.path.name}"
