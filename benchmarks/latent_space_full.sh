#!/usr/bin/env bash
# Full-size latent_space reports (issue 3): BreastMNIST (all 780 images, 64 px) and a seeded 800-image sample of
# PneumoniaMNIST (28 px), TAESD vs TAEF2, encoder resolutions 64 and 128; then a cached re-run of one of them.
# Sequential and CPU-only: about 50 minutes on a 2-core machine. Usage (from the repo root, after `make install`):
#   LATENTLAB_ASSETS=... LATENTLAB_RUNS=/some/runs bash benchmarks/latent_space_full.sh
#   .venv/bin/python benchmarks/latent_space_table.py $LATENTLAB_RUNS/latent_space
set -u
LL=${LL:-.venv/bin/latentlab}
run() { local t0=$(date +%s); $LL report latent_space --quiet "$@"; echo "rc=$? $(( $(date +%s) - t0 ))s $*"; }
for res in 64 128; do
  for ae in taesd taef2; do
    run --set dataset=breastmnist --set image_size=64 --set autoencoder=$ae --set resolution=$res --set sample_size=0
    run --set dataset=pneumoniamnist --set image_size=28 --set autoencoder=$ae --set resolution=$res --set sample_size=800
  done
done
run --set dataset=breastmnist --set image_size=64 --set autoencoder=taesd --set resolution=128 --set sample_size=0
