"""The latent_space report template runs end to end with its fast defaults and leaves a complete run record."""
import json

import pytest

from latentlab.reports import execute_report, report_parameters


def test_latent_space_report_fast(tmp_path):
    params = report_parameters('latent_space')
    assert {'dataset', 'autoencoder', 'resolution', 'sample_size', 'seed'} <= set(params)
    rec = execute_report('latent_space', {'sample_size': 100, 'seed': 1}, root=tmp_path, progress=False)
    files = {p.name for p in rec.path.iterdir()}
    assert {'report.html', 'report.ipynb', 'metrics.json', 'results.csv', 'config.json'} <= files
    m = json.loads((rec.path/'metrics.json').read_text())
    for k in ('psnr_mean', 'ssim_mean', 'latent_linear_probe_auc', 'pixel_linear_probe_auc', 'trustworthiness',
              'continuity', 'knn_overlap', 'spearman_latent_ssim', 'frechet_between_classes'):
        assert isinstance(m[k], float), k
    assert 15 < m['psnr_mean'] < 45 and 0 <= m['trustworthiness'] <= 1 and 0 <= m['latent_linear_probe_auc'] <= 1
    assert m['n_images'] < 110 and {'summary.csv', 'channel_stats.csv'} <= {p.name for p in (rec.path/'outputs').iterdir()}
    html = (rec.path/'report.html').read_text(encoding='utf-8')
    assert 'Key findings' in html and f"{m['psnr_mean']:.1f} dB" in html            # prose built from the numbers
    assert "gd.on('plotly_hover'" in html and 'plotly_selected' in html               # hover / selection thumbnails
    assert html.count('data:image/jpeg;base64,') >= 2 * m['n_images']                # original + reconstruction each
    assert 'window.Plotly' in html and 'src="https://cdn.plot.ly' not in html      # plotly.js inline: works offline
    assert {'report/encode_decode_s', 'report/report_s', 'execute_s'} <= set(rec.timings)
    assert not [k for k in m if k.endswith('_s')]                                 # timings live in timings.json only
    assert {'metric_distributions.plotly.json', 'channel_stats.plotly.json'} <= {p.name for p in (rec.path/'outputs').iterdir()}


@pytest.mark.slow
def test_latent_space_report_reruns_with_the_same_numbers(tmp_path):
    "The issue's complaint: `latentlab rerun` of a report record (cli process, no reports import) brings every number back."
    import subprocess, sys
    rec = execute_report('latent_space', {'sample_size': 60, 'projections': ['pca']}, root=tmp_path, progress=False)
    r = subprocess.run([sys.executable, '-m', 'latentlab.cli', 'rerun', rec.run_id, '--runs-dir', str(tmp_path), '--quiet'],
                       capture_output=True, text=True, timeout=900)
    assert r.returncode == 0 and 'metrics MATCH' in r.stdout, r.stdout + r.stderr
    assert 'psnr_mean' in r.stdout and ' same' in r.stdout                         # metric by metric
    r = subprocess.run([sys.executable, '-m', 'latentlab.cli', 'rerun', rec.run_id, '--runs-dir', str(tmp_path), '--quiet',
                        '--set', 'seed=1'], capture_output=True, text=True, timeout=900)
    assert r.returncode == 0 and 'Derived record' in r.stdout and 'seed 0 -> 1' in r.stdout, r.stdout + r.stderr
