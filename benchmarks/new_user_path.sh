#!/usr/bin/env bash
# Issue 25's new user, end to end, with the commands a user types: 50 labelled ultrasound images in class folders
# (BreastMNIST training images, 64 px), 400 unlabelled ones, 100 new ones (test images) to classify.
#   bash benchmarks/new_user_path.sh [WORKDIR]      (LATENTLAB_ASSETS pointing at the MedMNIST files)
# Prints every command and its output; docs/evidence/models/new_user.md is this script's output.
set -euo pipefail
W=${1:-/tmp/latentlab-new-user}
PY=${PY:-.venv/bin/python}; LL=${LL:-.venv/bin/latentlab}
rm -rf "$W"; mkdir -p "$W"
export LATENTLAB_RUNS="$W/runs"
$PY - "$W" <<'PYEOF'
import sys
from pathlib import Path
from PIL import Image
from latentlab.data import load_medmnist, subsample_indices
w = Path(sys.argv[1]); d = load_medmnist('breastmnist', size=64)
tr = d['train']; lab = subsample_indices(tr, 25, seed=0)
for i in lab:
    c = w/'labelled'/tr.classes[tr.labels[i]]; c.mkdir(parents=True, exist_ok=True)
    Image.fromarray(tr.images[i]).save(c/f'train{i}.png')
rest = [i for i in range(len(tr)) if i not in set(lab)][:400]
(w/'pool').mkdir()
for i in rest: Image.fromarray(tr.images[i]).save(w/'pool'/f'train{i}.png')
(w/'new').mkdir()
for i in range(100): Image.fromarray(d['test'].images[i]).save(w/'new'/f'test{i}.png')
print(f"{w}: labelled/ {len(lab)} images in {len(tr.classes)} class folders, pool/ {len(rest)}, new/ 100")
PYEOF
step() { echo; echo "\$ $*"; /usr/bin/time -f "[%e s wall, %M KB peak]" "$@"; }
step $LL run --dataset "$W/labelled" --quiet
RUN=$(ls "$W/runs/default" | tail -1)
step $LL export "$RUN" "$W/model"
echo; echo "\$ head -40 $W/model/README.md"; head -40 "$W/model/README.md"
step $LL predict "$W/model" "$W/new" --out "$W/predictions.csv" --quiet
echo; echo "\$ head -5 $W/predictions.csv"; head -5 "$W/predictions.csv"
echo; echo "where a cold predict's time goes (a new process):"
$PY - "$W" <<'PYEOF'
import sys, time
t0 = time.perf_counter()
from latentlab.models import load_model, predict_images
t1 = time.perf_counter()
m = load_model(sys.argv[1] + '/model')
t2 = time.perf_counter()
m.spec_ and m._rows(__import__('numpy').zeros((1, 64, 64), 'uint8'))          # the encoder loaded
t3 = time.perf_counter()
preds, _ = predict_images(m, [sys.argv[1] + '/new'], progress=False)
t4 = time.perf_counter()
print(f"  import latentlab.models {t1 - t0:.1f} s, load_model {t2 - t1:.1f} s, encoder load + first image "
      f"{t3 - t2:.1f} s, 100 images read, encoded and classified {t4 - t3:.1f} s ({100 / (t4 - t3):.1f} images/s)")
PYEOF
step $LL suggest "$W/labelled" "$W/pool" --k 10 --out "$W/next.csv" --quiet
