"""The notebook runner in conftest.py: cells that do not compile fail, errors fail, slow cells are reported as skips."""
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

import conftest as C

ROOT = Path(__file__).resolve().parents[1]


def _nb(path, cells):
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in cells]), path)
    return path


def test_a_cell_that_does_not_compile_fails(tmp_path):
    "A SyntaxError is IPython's error_before_exec: it must fail the notebook, not pass silently."
    p = _nb(tmp_path/'bad.ipynb', ['x = 1', 'def f(:\n    pass', 'y = 2'])
    with pytest.raises(C.NotebookCellError, match='cell 1 of bad.ipynb does not compile'): C.run_notebook(p)


def test_a_skipped_cell_must_compile_too(tmp_path):
    p = _nb(tmp_path/'slowbad.ipynb', ['x = 1', '#| slow\nfor i in range(3)\n    print(i)'])
    with pytest.raises(C.NotebookCellError, match='does not compile'): C.run_notebook(p)


def test_an_error_fails_and_magics_compile(tmp_path):
    p = _nb(tmp_path/'err.ipynb', ['%time x = 1', 'raise ValueError("boom")'])
    with pytest.raises(C.NotebookCellError, match='cell 1 of err.ipynb failed') as e: C.run_notebook(p)
    assert isinstance(e.value.__cause__, ValueError)
    p = _nb(tmp_path/'magic.ipynb', ['%%nosuchmagic\nx = 1'])
    with pytest.raises(C.NotebookCellError, match='failed'): C.run_notebook(p)


def test_cell_plan(tmp_path):
    cells = ['#| export\ndef f(): pass', 'f()', '#| slow\nheavy()', '#| eval: false\nnever()', 'import nbdev; nbdev.nbdev_export()']
    assert C.cell_plan(cells, True, False) == ['export', 'run', 'slow', 'never', 'never']
    assert C.cell_plan(cells, False, True) == ['run', 'run', 'run', 'never', 'never']
    p = _nb(tmp_path/'ok.ipynb', ['x = 41', '#| slow\nx = undefined_name', 'assert x == 41'])
    assert C.run_notebook(p) == ['run', 'slow', 'run']
    with pytest.raises(C.NotebookCellError, match='cell 1'): C.run_notebook(p, run_slow=True)


def test_slow_cells_are_reported_as_skipped_tests():
    nb = next(p for p in sorted((ROOT/'nbs').glob('*.ipynb'))
              if any('slow' in C.directives(s) for s in C.code_cells(p)))
    n = sum('slow' in C.directives(s) for s in C.code_cells(nb))
    r = subprocess.run([sys.executable, '-m', 'pytest', str(nb.relative_to(ROOT)), '-k', 'slow', '-rs', '-q',
                        '-p', 'no:cacheprovider', '--no-cov'], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    assert f'{n} skipped' in r.stdout and f'slow cell' in r.stdout and 'run with --run-slow' in r.stdout
    assert f'notebooks: {n} slow cells not run' in r.stdout
