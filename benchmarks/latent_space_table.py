"""Headline numbers of latent_space run records: one row per record (dataset x autoencoder x resolution).

Usage: .venv/bin/python benchmarks/latent_space_table.py RUNS/latent_space
"""
import json
import sys
from pathlib import Path

import pandas as pd


def table(folder: Path) -> pd.DataFrame:
    rows = []
    for d in sorted(Path(folder).iterdir()):
        if not (d/'metrics.json').is_file(): continue
        m, t = json.loads((d/'metrics.json').read_text()), json.loads((d/'timings.json').read_text())
        rows.append({'run': d.name, 'dataset': m['dataset'], 'ae': m['autoencoder'], 'res': m['resolution'],
                     'n': m['n_images'], 'latent': 'x'.join(map(str, m['latent_shape'])), 'PSNR': m['psnr_mean'],
                     'SSIM': m['ssim_mean'], 'MS-SSIM': m['ms_ssim_mean'], 'probe AUC latent': m['latent_linear_probe_auc'],
                     'probe AUC pixels': m['pixel_linear_probe_auc'], 'kNN acc latent': m['latent_knn_loo_accuracy'],
                     'trust': m['trustworthiness'], 'contin': m['continuity'], 'kNN overlap': m['knn_overlap'],
                     'rho(lat,SSIM)': m['spearman_latent_ssim'], 'execute_s': t['execute_s'],
                     'codec_s': m['encode_decode_s']})
    return pd.DataFrame(rows)


if __name__ == '__main__':
    df = table(Path(sys.argv[1])).round(3)
    print(df.to_string(index=False))
