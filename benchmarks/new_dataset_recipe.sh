#!/usr/bin/env bash
# "A new dataset in under an hour" (README), timed end to end: a folder of ~1,000 images exported from PneumoniaMNIST
# (28 px, one sub-folder per class), then every step of the recipe. Usage, from the repo root:
#   LATENTLAB_ASSETS=... bash benchmarks/new_dataset_recipe.sh [WORK_DIR]
set -eu
WORK=${1:-recipe-work}; PY=${PY:-.venv/bin/python}; LL="$PY -m latentlab.cli"
mkdir -p "$WORK"; WORK=$(cd "$WORK" && pwd)
export LATENTLAB_CACHE=${LATENTLAB_CACHE:-$WORK/cache} LATENTLAB_RUNS=$WORK/runs TQDM_DISABLE=1
step() { local name=$1; shift; local t0=$(date +%s%N); "$@"; local ms=$(( ($(date +%s%N) - t0) / 1000000 ))
         printf '%-62s %5d.%d s\n' "$name" $((ms / 1000)) $(((ms % 1000) / 100)) | tee -a "$WORK/timings.txt"; }
: > "$WORK/timings.txt"
echo "$(nproc) CPU cores, load average $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$WORK/timings.txt"
# 0. the user's folder: here exported from PneumoniaMNIST's training split (stratified, seeded)
step "0. export 1,000 PneumoniaMNIST images to a class folder" $PY - <<PYEOF
import numpy as np
from pathlib import Path
from PIL import Image
from latentlab.data import load_medmnist, subsample_indices
tr = load_medmnist('pneumoniamnist', 28)['train']
idx = subsample_indices(tr, fraction=1000 / len(tr), seed=0)
for i in idx:
    d = Path('$WORK/pneumonia')/tr.classes[tr.labels[i]]; d.mkdir(parents=True, exist_ok=True)
    Image.fromarray(tr.images[i]).save(d/f'{i:05d}.png')
print(len(idx), 'images', {c: int((tr.labels[idx] == k).sum()) for k, c in enumerate(tr.classes)})
PYEOF
DS=$WORK/pneumonia
step "1. check the folder (every unreadable file is reported)" $PY -c "from latentlab.data import load_image_folder; print(load_image_folder('$DS'))"
step "2. latentlab run: encode, fit, test (latents vs pixels)" $LL run --quiet --set dataset=$DS --set size=28 --set resolution=64 --set experiment=pneumonia-folder
for n in 10 50; do
  step "3. latentlab run --set n_per_class=$n (small-data regime)" $LL run --quiet --set dataset=$DS --set size=28 --set resolution=64 --set n_per_class=$n --set experiment=pneumonia-folder
done
step "4. latentlab report latent_space (all images, rendered HTML)" $LL report latent_space --quiet --set dataset=$DS --set image_size=28 --set resolution=64 --set sample_size=0
step "5. dashboards: import the folder + prepare the view (app job)" $PY - <<PYEOF
from latentlab.app.jobs import Jobs
from latentlab.app.settings import AppSettings
s = AppSettings('$WORK/appdata', runs_dir='$WORK/runs', import_roots=('$WORK',), job_mode='process')
j = Jobs(s)
st = j.wait(j.start('import', dict(folder='$DS', name='pneumonia', autoencoder='taesd', resolution=64)), timeout=3600)
print(st['result']['summary']['n_images'], 'images imported;', st['message'])
st = j.wait(j.start('train', dict(dataset='imported:pneumonia', autoencoder='taesd', resolution=64, classifier='logreg')), timeout=3600)
print('classify page: logreg', {k: round(v['auc'], 3) for k, v in st['result']['scores'].items()})
PYEOF
echo "then: $LL serve --data $WORK/appdata --runs-dir $WORK/runs   # every dashboard on the new dataset"
$LL runs | head -5
echo "load average at the end $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$WORK/timings.txt"
