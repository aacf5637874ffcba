"""The project itself: packaging from a clean clone, declared dependencies, notebooks and library in sync."""
import ast
import configparser
import shlex
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CFG = configparser.ConfigParser(delimiters=['=']); CFG.read(ROOT/'settings.ini')
SETTINGS = CFG['DEFAULT']


def _dist_names(key):
    import re
    return {re.split(r'[<>=!~ \[]', r, 1)[0].lower().replace('_', '-') for r in shlex.split(SETTINGS[key])}


def test_nbdev2_layout_and_pins():
    for p in ['nbs', 'latentlab', 'settings.ini', 'setup.py', '_quarto.yml', '.github/workflows', 'README.md',
              'Makefile', '.ci/run']:
        assert (ROOT/p).exists(), p
    dev = SETTINGS['dev_requirements']
    assert 'nbdev>=2.4,<3' in dev and 'execnb<0.2' in dev and 'fastcore<2' in dev and 'ghapi<2' in dev
    assert 'pkg_resources' not in (ROOT/'setup.py').read_text()
    assert 'make test' in (ROOT/'.ci/run').read_text()


def test_every_import_is_declared():
    "Each third-party module latentlab imports belongs to a distribution named in settings.ini."
    declared = _dist_names('requirements')
    mapping = metadata.packages_distributions()
    missing = set()
    for f in (ROOT/'latentlab').rglob('*.py'):
        for node in ast.walk(ast.parse(f.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                    [node.module] if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module else []
            for n in names:
                top = n.split('.')[0]
                if top in sys.stdlib_module_names or top in ('latentlab', '__future__'): continue
                dists = {d.lower().replace('_', '-') for d in mapping.get(top, [top])}
                if not dists & declared: missing.add((str(f.relative_to(ROOT)), top, tuple(sorted(dists))))
    assert not missing, f"imports not declared in settings.ini requirements: {sorted(missing)}"


def test_library_matches_notebooks(tmp_path):
    "nbdev_export of the notebooks reproduces latentlab/ exactly (no hand edits, nothing unexported)."
    for p in ('nbs', 'settings.ini'): (shutil.copytree if (ROOT/p).is_dir() else shutil.copy)(ROOT/p, tmp_path/p)
    (tmp_path/'latentlab').mkdir()
    r = subprocess.run([str(Path(sys.executable).parent/'nbdev_export')], cwd=tmp_path, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    ours = {str(p.relative_to(ROOT)): p.read_text() for p in (ROOT/'latentlab').rglob('*.py')}
    fresh = {str(p.relative_to(tmp_path)): p.read_text() for p in (tmp_path/'latentlab').rglob('*.py')}
    assert set(ours) == set(fresh)
    assert [n for n in ours if ours[n] != fresh[n]] == []


def test_notebooks_are_clean():
    import json
    for nb in sorted((ROOT/'nbs').rglob('*.ipynb')):
        if '.ipynb_checkpoints' in nb.parts: continue
        d = json.loads(nb.read_text())
        dirty = [i for i, c in enumerate(d['cells']) if c['cell_type'] == 'code' and (c.get('outputs') or c.get('execution_count'))]
        assert not dirty, f"{nb.name} has outputs in cells {dirty}: run nbdev_clean"


def test_readme_is_generated_from_index():
    text = (ROOT/'README.md').read_text()
    import json
    index = json.loads((ROOT/'nbs'/'index.ipynb').read_text())
    for cell in index['cells']:
        if cell['cell_type'] == 'markdown':
            assert ''.join(cell['source']).strip() in text
    assert 'make run' in text and 'make test' in text
    # nbdev makes the first cell the page's front matter and drops the rest of it: title and description only there
    first = ''.join(index['cells'][0]['source']).strip().split('\n\n')
    assert len(first) == 2 and first[0].startswith('# ') and first[1].startswith('> '), first


@pytest.mark.skipif(shutil.which('git') is None, reason='needs git')
def test_clean_clone_builds_and_installs(tmp_path):
    "What is committed builds a wheel that installs and runs the command (no files that only exist here)."
    if subprocess.run(['git', 'rev-parse', 'HEAD'], cwd=ROOT, capture_output=True).returncode != 0:
        pytest.skip('no commit yet')
    clone = tmp_path/'clone'
    subprocess.run(['git', 'clone', '-q', str(ROOT), str(clone)], check=True)
    r = subprocess.run([sys.executable, '-m', 'pip', 'wheel', '--no-deps', '--no-build-isolation', '-q', '-w',
                        str(tmp_path/'dist'), str(clone)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    wheel = next((tmp_path/'dist').glob('latentlab-*.whl'))
    r = subprocess.run([sys.executable, '-m', 'pip', 'install', '--no-deps', '-q', '--target', str(tmp_path/'site'),
                        str(wheel)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    probe = ("import latentlab, latentlab.cli as c; print(latentlab.__file__); c.main(['--help'])")
    r = subprocess.run([sys.executable, '-c', probe], capture_output=True, text=True,
                       env={'PYTHONPATH': str(tmp_path/'site'), 'PATH': '/usr/bin:/bin'}, cwd=tmp_path)
    assert str(tmp_path/'site') in r.stdout and 'usage: latentlab' in r.stdout, r.stderr
    entry = [l for l in (tmp_path/'site').glob('latentlab-*.dist-info/entry_points.txt')][0].read_text()
    assert 'latentlab = latentlab.cli:main' in entry
    dry = subprocess.run(['make', '-n', 'run'], cwd=clone, capture_output=True, text=True).stdout
    assert 'venv' in dry and "pip install --quiet -e '.[dev]'" in dry and 'latentlab run' in dry
    # the report templates ship inside the wheel, and the installed package runs reports from them
    import zipfile
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = sorted(p.name for p in (ROOT/'nbs'/'reports').glob('*.ipynb'))
    assert shipped and {f'latentlab/templates/{n}' for n in shipped} <= names
    assert 'latentlab/app/app.css' in names                    # the app's stylesheet is package data
    import os
    env = {**os.environ, 'PYTHONPATH': str(tmp_path/'site')}
    probe = ("import latentlab.reports as R; from latentlab.experiments import rerun\n"
             "print(R.template_dir()); assert all(R.report_parameters(n) for n in R.REPORTS)\n"
             "rec = R.execute_report('latent_space', {'sample_size': 40, 'projections': ['pca'], 'resolution': 32}, "
             "root='runs', progress=False)\n"
             "com = R.execute_report('companion', {'run': rec.run_id, 'runs_dir': 'runs'}, root='runs', progress=False)\n"
             "print(rec.config['template']); print(com.path/'report.html'); print(rec.run_id)\n"
             "new, cmp, ok = rerun(rec.run_id, 'runs', progress=False); assert ok, cmp")
    r = subprocess.run([sys.executable, '-c', probe], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=900)
    assert r.returncode == 0, r.stdout + r.stderr
    lines = r.stdout.split()
    assert lines[0] == str(tmp_path/'site'/'latentlab'/'templates') and lines[1].startswith(str(tmp_path/'site'))
    page = (tmp_path/lines[2]).read_text()
    assert lines[3] in page and 'How to cite' in page and 'Plotly.newPlot' in page   # companion of the record, its figures


def test_nbdev_clean_leaves_no_diff(tmp_path):
    "nbdev_clean on a copy of the notebooks changes nothing: what is committed is clean (run `make export` if not)."
    shutil.copytree(ROOT/'nbs', tmp_path/'nbs'); shutil.copy(ROOT/'settings.ini', tmp_path/'settings.ini')
    r = subprocess.run([str(Path(sys.executable).parent/'nbdev_clean')], cwd=tmp_path, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    changed = [str(p.relative_to(tmp_path)) for p in sorted((tmp_path/'nbs').rglob('*.ipynb'))
               if p.read_bytes() != (ROOT/p.relative_to(tmp_path)).read_bytes()]
    assert not changed, f"nbdev_clean changes {changed}: run `make export` and commit"


def test_duplicated_code_under_5_percent():
    "pylint's duplicate-code detector (symilar) on latentlab/: blocks of 6+ lines repeated, as a share of all lines."
    import re
    symilar = Path(sys.executable).parent/'symilar'
    if not symilar.exists(): pytest.skip('pylint (dev requirement) is not installed')
    files = [str(p) for p in sorted((ROOT/'latentlab').rglob('*.py')) if p.name != '_modidx.py']
    r = subprocess.run([str(symilar), '-d', '6', '-i', '--ignore-docstrings', '--ignore-imports', *files],
                       capture_output=True, text=True)
    m = re.search(r'TOTAL lines=(\d+) duplicates=(\d+) percent=([\d.]+)', r.stdout)
    assert m, r.stdout[-2000:] + r.stderr
    assert float(m.group(3)) < 5.0, f"{m.group(3)}% of latentlab's lines are duplicated:\n{r.stdout[:4000]}"
