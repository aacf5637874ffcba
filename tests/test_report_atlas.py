"""The latent atlas report runs its small sweeps, describes each feature space, reads the records into the atlas table,
the paired comparisons (latents against ImageNet features, fine-tuning, fusion, joined spaces, distillation) and the
targets; without records it says what is missing."""
import json
from pathlib import Path

import pandas as pd
import pytest

from latentlab.classifiers import CLASSIFIERS, register_classifier
from latentlab.config import assets_dir
from latentlab.nets import PretrainedNet
from latentlab.reports import execute_report, report_parameters, template_dir
from latentlab.sweeps import run_sweep

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = template_dir()/'latent_atlas.ipynb'
TINY_FT = 'tiny-lite0-ft'


@pytest.fixture
def tiny_finetuned():
    "A fine-tuned EfficientNet-Lite0 small enough for a test (one epoch at 32 px), registered while the test runs."
    register_classifier(TINY_FT, lambda random_state=0, shape=None: PretrainedNet(
        shape=shape, resolution=32, max_epochs=1, batch_size=16, random_state=random_state),
        features=('pixel',), shaped=True, uses_val=True, description='test only')
    yield TINY_FT
    CLASSIFIERS._entries.pop(TINY_FT, None); CLASSIFIERS._info.pop(TINY_FT, None)


def outputs(rec, name: str) -> pd.DataFrame:
    return pd.read_csv(rec.path/'outputs'/f'{name}.csv')


@pytest.mark.slow
def test_latent_atlas_report_fast(tmp_path, tiny_finetuned):
    params = report_parameters(TEMPLATE)
    assert {'sweeps', 'specs', 'run_missing', 'runs_root', 'extra_experiments', 'extra_autoencoders', 'finetuned',
            'compare_sizes', 'targets'} <= set(params)
    cells = tmp_path/'cells'
    rec = execute_report(TEMPLATE, {'runs_root': str(cells)}, root=tmp_path, progress=False)
    for name, n in [('atlas-fast', 8), ('atlas-fast-full', 2)]:
        assert (cells/name/'_sweep.csv').read_text().count('done') == n
    m = json.loads((rec.path/'metrics.json').read_text())
    spaces = ['pixels-28', 'taesd-64', 'efficientnet-lite0-64']
    curves = {f'breastmnist.{s}.n{n}.auc_mean' for s in spaces for n in ('10', '25', 'full')}
    assert curves <= set(m) and all(0.3 < m[k] <= 1 for k in curves), sorted(m)
    assert m['breastmnist.taesd-64.psnr'] > 25 and m['breastmnist.taesd-64.ssim'] > 0.8      # TAESD decodes
    assert not any(k.endswith('.psnr') for k in m if 'taesd' not in k)                    # pixels, ImageNet: no decoder
    assert all(0.4 < m[f'breastmnist.{s}.probe_auc'] <= 1 for s in spaces)
    assert 'breastmnist.latent_vs_imagenet.n25.gain' in m
    atlas = outputs(rec, 'atlas')
    assert list(atlas['feature space']) == spaces and {'AUC 10', 'AUC 25', 'AUC full'} <= set(atlas.columns)
    assert atlas.set_index('feature space').loc['taesd-64', 'shape'] == '4 x 8 x 8'
    speed = json.loads((rec.path/'timings.json').read_text())
    assert all(speed[f'report/breastmnist.{s}.encode_images_per_s'] > 0 for s in spaces[1:])
    combos = outputs(rec, 'combinations')
    assert set(combos.kind) == {'fusion', 'joined'} and len(combos) == 8 and combos['gain over better part'].notna().all()
    targets = outputs(rec, 'targets')
    assert len(targets) == 3 and targets.status.iloc[1] == 'not measured'                 # no PneumoniaMNIST records
    assert set(targets.status.iloc[[0, 2]]) <= {'met', 'not met'}                           # BreastMNIST full and 25
    html = (rec.path/'report.html').read_text(encoding='utf-8')
    for text in ('Key findings', 'MedMNIST v2', 'Does a diffusion latent space beat ImageNet features',
                 'no fine-tuned records', 'measured on this machine'):
        assert text in html, text
    # fine-tuned and distilled records (the tiny network stands in for efficientnet-lite0-ft: a distillation cell scores
    # its teacher too), and a latent space given as a folder of tiny-autoencoder weights
    ft = {'name': 'atlas-fast-ft', 'grid': {'seed': [0, 1]},
          'base': {'dataset': 'breastmnist', 'size': 28, 'autoencoder': 'taesd', 'resolution': 64, 'keep_models': False,
                   'n_boot': 200, 'n_per_class': 10},
          'cells': [{'features': ['latent', 'pixel'], 'classifiers': ['logreg'], 'distill': TINY_FT, 'distill_pool': True}]}
    assert (run_sweep(ft, root=cells, workers=0, progress=False).status == 'done').all()
    folder = str(assets_dir()/'models'/'taesd3')
    both = execute_report(TEMPLATE, {'runs_root': str(cells), 'run_missing': False, 'extra_experiments': ['atlas-fast-ft'],
                                     'finetuned': [TINY_FT], 'extra_autoencoders': [folder]}, root=tmp_path, progress=False)
    m2 = json.loads((both.path/'metrics.json').read_text())
    assert {k: m2[k] for k in curves} == {k: m[k] for k in curves}        # models in two records count once
    assert m2['breastmnist.taesd3-64.psnr'] > 25 and 'breastmnist.taesd3-64.n25.auc_mean' not in m2
    finetune = outputs(both, 'finetune')
    assert list(finetune.n_per_class.astype(str)) == ['10'] and finetune['gain over latent'].str.contains(r'\(2 seeds\)').all()
    combos = outputs(both, 'combinations')
    distilled = combos[combos.kind == 'distilled']
    assert len(distilled) == 1 and distilled.pipeline.str.contains(f'logreg-kd\\({TINY_FT}\\+pool\\)').all()
    assert distilled['gain over plain logreg'].notna().all() and distilled['gain over teacher'].notna().all()
    html = (both.path/'report.html').read_text(encoding='utf-8')
    assert f'{TINY_FT} (fine-tuned on pixels-28)' in html and 'no records yet (benchmarks/sweeps/atlas_finetune.yaml)' not in html


def test_latent_atlas_report_without_records(tmp_path):
    "The real sweep files with no records yet: nothing runs, every section says what is missing."
    sweeps = [str(ROOT/'benchmarks'/'sweeps'/f) for f in ('atlas_finetune.yaml', 'atlas_combine.yaml')]
    rec = execute_report(TEMPLATE, {'sweeps': sweeps, 'run_missing': False, 'runs_root': str(tmp_path/'empty')},
                         root=tmp_path, progress=False)
    html = (rec.path/'report.html').read_text(encoding='utf-8')
    assert 'sweep atlas-finetune: 21 pending' in html and 'sweep atlas-combine: 27 pending' in html
    assert 'no fine-tuned records' in html and 'no joined, fused or distilled records' in html
    assert (outputs(rec, 'targets').status == 'not measured').all()
