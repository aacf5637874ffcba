"""The active-learning report runs end to end in fast mode, and the suggest path works from a folder of image files."""
import json

import numpy as np
import pandas as pd
from PIL import Image

from latentlab.active import read_unlabelled, save_contact_sheet, suggest_images, write_suggestions
from latentlab.data import load_medmnist, subsample
from latentlab.reports import execute_report, report_parameters, template_dir

TEMPLATE = template_dir()/'active_learning.ipynb'


def test_active_learning_report_fast(tmp_path):
    params = report_parameters(TEMPLATE)
    assert {'datasets', 'autoencoder', 'resolution', 'strategies', 'classifiers', 'seeds', 'budget', 'gain_sizes',
            'results_dir', 'fast'} <= set(params)
    assert params['autoencoder'] is None and params['resolution'] is None     # RunConfig's defaults
    rec = execute_report(TEMPLATE, {'fast': True, 'datasets': [['breastmnist', 28]], 'autoencoder': 'taesd',
                                    'resolution': 64, 'n_suggest': 6}, root=tmp_path, progress=False)
    assert {'report.html', 'report.ipynb', 'metrics.json', 'results.csv'} <= {p.name for p in rec.path.iterdir()}
    m = json.loads((rec.path/'metrics.json').read_text())
    for s in ('random', 'margin', 'kmeans', 'coreset', 'typiclust', 'probcover'):
        for n in (10, 20):
            assert 0.3 < m[f'breastmnist.logreg.{s}.n{n}.auc_mean'] <= 1, (s, n)
            if s != 'random':
                k = f'breastmnist.logreg.{s}.n{n}'
                assert m[f'{k}.gain_low'] <= m[f'{k}.gain'] <= m[f'{k}.gain_high'], k
    assert {'breastmnist.logreg.n10.chosen_beats_random', 'breastmnist.logreg.n20.chosen_beats_random'} <= set(m)
    assert not [k for k in m if k.endswith(('_s', 'seconds'))]
    results = pd.read_csv(rec.path/'results.csv')
    assert set(results.columns) >= {'dataset', 'strategy', 'classifier', 'seed', 'n_labelled', 'metric', 'value'}
    assert sorted(results.seed.unique()) == [0, 1] and sorted(results.n_labelled.unique()) == [4, 10, 20]
    html = (rec.path/'report.html').read_text(encoding='utf-8')
    assert 'Key findings' in html and 'Target at 20 labels' in html
    assert f"{m['breastmnist.logreg.random.n20.auc_mean']:.3f}" in html      # prose built from the numbers
    assert len(pd.read_csv(rec.path/'outputs'/'suggestions.csv')) == 6
    # a report over saved results (as benchmarks/active_learning.py writes them) reads them instead of simulating
    saved = tmp_path/'saved'; saved.mkdir()
    results.to_csv(saved/'breastmnist_28.csv', index=False)
    again = execute_report(TEMPLATE, {'fast': True, 'datasets': [['breastmnist', 28]], 'autoencoder': 'taesd',
                                      'resolution': 64, 'n_suggest': 6, 'results_dir': str(saved)},
                           root=tmp_path, progress=False, render=False)
    assert json.loads((again.path/'metrics.json').read_text()) == m
    assert 'read from' in (again.path/'report.ipynb').read_text()

def test_suggest_from_a_folder(tmp_path):
    "What `latentlab suggest` does: labelled images, a folder of unlabelled files, a CSV and a contact sheet."
    train = load_medmnist('breastmnist', size=28)['train']
    labelled = subsample(train, n_per_class=5, seed=0)
    folder = tmp_path/'unlabelled'; folder.mkdir()
    for i in range(40): Image.fromarray(train.images[100 + i]).save(folder/f'img_{i:02d}.png')
    images, paths = read_unlabelled(folder)
    table = suggest_images(labelled, images, ids=paths, k=5, strategy='probcover', autoencoder='taesd', resolution=64,
                           progress=False)
    assert table['rank'].tolist() == [1, 2, 3, 4, 5] and table.id.is_unique and set(table.id) <= set(paths)
    assert (table.score.iloc[:-1].to_numpy() >= table.score.iloc[1:].to_numpy()).all()   # covering gains shrink
    csv = write_suggestions(table, tmp_path/'next.csv')
    png = save_contact_sheet(images[table.row.to_numpy()], tmp_path/'next.png', [f"#{r}" for r in table['rank']])
    assert pd.read_csv(csv).id.tolist() == table.id.tolist() and Image.open(png).size[0] > 5 * 28
    again = suggest_images(labelled, images, ids=paths, k=5, strategy='probcover', autoencoder='taesd', resolution=64,
                           progress=False)
    pd.testing.assert_frame_equal(again, table)                                          # deterministic
    assert not np.array_equal(suggest_images(labelled, images, k=5, strategy='random', autoencoder='taesd',
                                             resolution=64, progress=False, random_state=1).row,
                              suggest_images(labelled, images, k=5, strategy='random', autoencoder='taesd',
                                             resolution=64, progress=False, random_state=2).row)
