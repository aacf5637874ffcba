"""The benchmark report runs its small sweep, resumes it, and reads the records into curves, gains and the published table."""
import json
import shutil

import pandas as pd
import pytest

from latentlab.reports import execute_report, report_parameters


@pytest.fixture(scope='module')
def first(tmp_path_factory):
    "The report's first execution (its small sweep run into a fresh folder): `(record, cells folder, runs root)`."
    tmp_path = tmp_path_factory.mktemp('benchmark')
    cells = tmp_path/'cells'
    return execute_report('benchmark', {'runs_root': str(cells)}, root=tmp_path, progress=False), cells, tmp_path


def test_benchmark_report_fast(first):
    params = report_parameters('benchmark')
    assert {'sweep', 'spec', 'run_missing', 'workers', 'scheduler', 'gain_size'} <= set(params)
    rec, cells, tmp_path = first
    assert {'report.html', 'report.ipynb', 'metrics.json', 'results.csv'} <= {p.name for p in rec.path.iterdir()}
    status = (cells/'benchmark-fast'/'_sweep.csv').read_text()
    assert status.count('done') == 16, status
    m = json.loads((rec.path/'metrics.json').read_text())
    curves = [k for k in m if k.endswith('.auc_mean')]
    assert len(curves) == 8 and all(0.3 < m[k] <= 1 for k in curves), curves     # 2 spaces x 2 classifiers x 2 sizes
    assert any(k.endswith('.smote.gain') for k in m)
    assert any(k.startswith('breastmnist.pixels-28.') and k.endswith('.smote (decoded).gain') for k in m)   # decoded for pixels
    ood = {k: v for k, v in m.items() if k.startswith('ood.')}
    assert len(ood) == 10 and m['ood.breastmnist.taesd-64.mahalanobis.pneumoniamnist (test)'] > 0.9, ood
    html = (rec.path/'report.html').read_text(encoding='utf-8')
    assert 'Key findings' in html and 'ResNet-18' in html and 'MedMNIST v2' in html
    assert 'decoded synthetic images (smote) added to the pixel models' in html


@pytest.mark.slow
def test_benchmark_report_resumes_and_counts_each_model_once(first):
    "Executed again it runs nothing and reads the same records; copies of records count once; other sizes apart."
    rec, cells, tmp_path = first
    m = json.loads((rec.path/'metrics.json').read_text())
    # a second run finds every cell done and reads the same records
    again = execute_report('benchmark', {'runs_root': str(cells)}, root=tmp_path, progress=False)
    m2 = json.loads((again.path/'metrics.json').read_text())
    assert {k: v for k, v in m2.items() if k.endswith('auc_mean')} == {k: v for k, v in m.items() if k.endswith('auc_mean')}
    assert len(list((cells/'benchmark-fast').glob('*/metrics.json'))) == 16
    # the same models in a second experiment's records are counted once: same curves, same seed counts
    shutil.copytree(cells/'benchmark-fast', cells/'copy')
    both = execute_report('benchmark', {'runs_root': str(cells), 'run_missing': False, 'extra_experiments': ['copy']},
                          root=tmp_path, progress=False)
    m3 = json.loads((both.path/'metrics.json').read_text())
    assert {k: v for k, v in m3.items() if k.endswith('auc_mean')} == {k: v for k, v in m.items() if k.endswith('auc_mean')}
    seeds = pd.read_csv(both.path/'outputs'/'learning_curves.csv').seeds
    assert len(seeds) == 8 and (seeds == 2).all(), seeds
    assert '32 models scored in two records counted once' in (both.path/'report.html').read_text(encoding='utf-8')
    # the same latents' names from a second source size (as if encoded from 64 px images): two models, two curves
    shutil.copytree(cells/'benchmark-fast', cells/'from64')
    for config in (cells/'from64').glob('*/config.json'):
        config.write_text(json.dumps({**json.loads(config.read_text()), 'size': 64}))
    two = execute_report('benchmark', {'runs_root': str(cells), 'run_missing': False, 'extra_experiments': ['from64']},
                         root=tmp_path, progress=False)
    m4 = json.loads((two.path/'metrics.json').read_text())
    latent = sorted({k.split('.')[1] for k in m4 if k.endswith('.auc_mean') and 'pixels' not in k})
    assert latent == ['taesd-64@28px', 'taesd-64@64px'], latent
    assert {k.replace('@28px', ''): v for k, v in m4.items() if k.endswith('auc_mean') and '@28px' in k} == \
        {k: v for k, v in m.items() if k.endswith('auc_mean') and 'taesd-64' in k}
