"""The docs site: pages with executed examples and figures, public methods documented, reports included, and every
link and embedded asset checked on the built site (tools/build_docs.py, nbconvert here; Quarto in the deploy workflow)."""
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT/'tools'))
import build_docs as B  # noqa: E402


@pytest.fixture(scope='module')
def site(tmp_path_factory):
    "A small site: the config notebook and the runs_analysis report (its demo study), rendered with nbconvert."
    tmp = tmp_path_factory.mktemp('site')
    r = subprocess.run([sys.executable, str(ROOT/'tools'/'build_docs.py'), '--engine', 'nbconvert', '--only', '00_config',
                        '--reports', 'runs_analysis', '--out', str(tmp/'_docs'), '--work', str(tmp/'_proc')],
                       capture_output=True, text=True, timeout=1200, cwd=ROOT)
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-4000:]
    assert '0 problems' in r.stdout
    return tmp/'_docs'


def test_pages_show_executed_examples_and_documented_methods(site):
    assert {'index.html', 'config.html', 'reports/runs_analysis.html'} <= {p.relative_to(site).as_posix() for p in site.rglob('*.html')}
    page = (site/'config.html').read_text()
    for name in ('Registry.register', 'Registry.names', 'Registry.info', 'seed_everything', 'atomic_path'):
        assert name in page, name
    assert 'Registry(shape: square, triangle)' in page or "['square', 'triangle']" in page   # an example's output
    assert 'from nbdev.showdoc import' not in page                                          # hidden cells hidden


def test_report_page_has_an_interactive_figure_that_works_offline(site):
    page = (site/'reports'/'runs_analysis.html').read_text()
    assert page.count('Plotly.newPlot') >= 1 and 'plotly.js v' in page and 'src="https://cdn.plot.ly' not in page
    assert 'n_per_class' in page and 'latent/logreg' in page                                # the runs table's summary


def test_check_site_finds_broken_links_and_assets(site, tmp_path):
    bad = tmp_path/'bad'
    shutil.copytree(site, bad)
    (bad/'broken.html').write_text('<html><body><a href="nosuch.html">x</a><a href="config.html#no-such-anchor">y</a>'
                                   '<a href="#here">z</a><img src="data:image/png;base64,@@@"></body></html>')
    problems = B.check_site(bad, {'config.html': ['Registry.register', 'Registry.no_such_method']})
    text = '\n'.join(problems)
    assert 'nosuch.html' in text and '#no-such-anchor' in text and 'no anchor #here' in text
    assert 'undecodable data: URI' in text and 'Registry.no_such_method is not documented' in text
    assert 'Registry.register' not in text
    assert B.check_site(site, {'config.html': ['Registry.register']}) == []


def test_page_names_and_anchor_ids_follow_nbdev_and_pandoc():
    assert B.page_name(Path('nbs/40_experiments.ipynb')) == 'experiments.html'
    assert B.pandoc_id('RunRecord.load') == 'runrecord.load' and B.pandoc_id('The runs table') == 'the-runs-table'
