#!/usr/bin/env bash
# Load test of the app (issues 8 and 28): gunicorn with WORKERS workers on loopback, locust (a second process) with USERS
# users for DURATION against the pages of a prepared view. Usage, from the repo root:
#   LATENTLAB_ASSETS=... bash benchmarks/app_load.sh [DATA_DIR]
#   IMPORT_N=10000 LATENTLAB_ASSETS=... bash benchmarks/app_load.sh [DATA_DIR]    # while a 10,000-image import runs
# The view (BreastMNIST 28 px, all 780 images, TAESD at 64 px) is prepared first if DATA_DIR lacks it (minutes, once).
# With IMPORT_N, a folder of IMPORT_N PNGs (PneumoniaMNIST and BreastMNIST at 28 px, flipped copies to make up the
# number) is written into DATA_DIR/incoming once, and its import (a job process, as the app starts it) runs through the
# test; it is cancelled at the end, and where it had got to is printed.
set -eu
DATA=${1:-appdata-load}; WORKERS=${WORKERS:-4}; USERS=${USERS:-20}; DURATION=${DURATION:-30s}; PORT=${PORT:-8097}
IMPORT_N=${IMPORT_N:-0}
PY=${PY:-.venv/bin/python}
export LL_DATASET=${LL_DATASET:-medmnist:breastmnist:28} LL_AUTOENCODER=${LL_AUTOENCODER:-taesd} LL_RESOLUTION=${LL_RESOLUTION:-64}
$PY - <<PYEOF
from latentlab.app.settings import AppSettings
from latentlab.app.views import get_view, prepare_view
s = AppSettings('$DATA', job_mode='thread')
if not get_view(s, '$LL_DATASET', '$LL_AUTOENCODER', $LL_RESOLUTION).ready:
    print('preparing the view (once)...', flush=True)
    print(prepare_view(s, '$LL_DATASET', '$LL_AUTOENCODER', $LL_RESOLUTION)['seconds'], 's')
PYEOF
$PY -m latentlab.cli serve --workers "$WORKERS" --port "$PORT" --data "$DATA" > "$DATA/gunicorn.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null' EXIT
for i in $(seq 1 240); do
  n=$(grep -c "Booting worker" "$DATA/gunicorn.log" || true)
  if curl -sf "http://127.0.0.1:$PORT/health" > /dev/null && [ "$n" -ge "$WORKERS" ]; then break; fi; sleep 1
done
$PY - <<PYEOF   # wait until every worker has loaded the prepared view (they warm up when they start)
import json, time, urllib.request
pids, t0 = set(), time.time()
while len(pids) < $WORKERS and time.time() - t0 < 300:
    h = json.loads(urllib.request.urlopen('http://127.0.0.1:$PORT/health', timeout=60).read())
    if h['views_loaded']: pids.add(h['pid'])
print(f'{len(pids)} workers answered /health with the view loaded ({time.time() - t0:.0f} s)')
PYEOF
if [ "$IMPORT_N" -gt 0 ]; then
$PY - <<PYEOF   # the big import, as the app starts it: a job process at the jobs' lower priority
import json, time
import numpy as np
from pathlib import Path
from PIL import Image
from latentlab.app.jobs import Jobs
from latentlab.app.pages import view_job_key
from latentlab.app.settings import AppSettings
from latentlab.data import load_medmnist
s = AppSettings('$DATA', job_mode='process')
folder = s.data_dir/'incoming'/'load-$IMPORT_N'
if not (folder/'.complete').exists():
    imgs, labels = [], []
    for flag in ('pneumoniamnist', 'breastmnist'):
        for d in load_medmnist(flag, 28).values(): imgs.append(d.images); labels.append(d.labels)
    imgs, labels = np.concatenate(imgs), np.concatenate(labels)
    for i in range($IMPORT_N):
        (folder/f'class{labels[i % len(imgs)]}').mkdir(parents=True, exist_ok=True)
        img = imgs[i % len(imgs)] if i < len(imgs) else imgs[i % len(imgs)][:, ::-1]
        Image.fromarray(np.ascontiguousarray(img)).save(folder/f'class{labels[i % len(imgs)]}'/f'{i:05d}.png')
    (folder/'.complete').touch()
name = 'load-$IMPORT_N-' + time.strftime('%H%M%S')
jid = Jobs(s).start('import', dict(folder=str(folder), name=name, autoencoder='$LL_AUTOENCODER', resolution=$LL_RESOLUTION),
                    key=[f'import-{name}', view_job_key(f'imported:{name}', '$LL_AUTOENCODER', $LL_RESOLUTION)],
                    title=f'import of {name}')
Path('$DATA/import-job').write_text(jid)
time.sleep(5)
print(f"import of $IMPORT_N images started (job {jid}): {Jobs(s).status(jid)['message']}")
PYEOF
fi
echo "gunicorn: $WORKERS workers on 127.0.0.1:$PORT; $(nproc) CPU cores; load average $(cut -d' ' -f1-3 /proc/loadavg)"
$PY benchmarks/app_load.py --host "http://127.0.0.1:$PORT" --users "$USERS" --time "$DURATION" --csv "$DATA/load"
echo "load average after the test $(cut -d' ' -f1-3 /proc/loadavg)"
if [ "$IMPORT_N" -gt 0 ]; then
$PY - <<PYEOF   # where the import had got to while the pages were loaded; then cancel it (it keeps nothing)
from pathlib import Path
from latentlab.app.jobs import Jobs
from latentlab.app.settings import AppSettings
s = AppSettings('$DATA', job_mode='process')
jid = Path('$DATA/import-job').read_text()
st = Jobs(s).status(jid)
print(f"the import during the test: {st['state']}, {st['progress']:.0%}, {st['message']}")
if st['state'] in ('queued', 'running'):
    print('cancelled:', Jobs(s).wait(Jobs(s).cancel(jid)['id'], timeout=300)['state'])
PYEOF
fi
