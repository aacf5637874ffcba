#!/usr/bin/env bash
# Load test of the app (issue 8): gunicorn with WORKERS workers on loopback, locust (a second process) with USERS users
# for DURATION against the explorer and the playground of a prepared view. Usage, from the repo root:
#   LATENTLAB_ASSETS=... bash benchmarks/app_load.sh [DATA_DIR]
# The view (BreastMNIST 28 px, all 780 images, TAESD at 64 px) is prepared first if DATA_DIR lacks it (minutes, once).
set -eu
DATA=${1:-appdata-load}; WORKERS=${WORKERS:-4}; USERS=${USERS:-20}; DURATION=${DURATION:-30s}; PORT=${PORT:-8097}
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
echo "gunicorn: $WORKERS workers on 127.0.0.1:$PORT; $(nproc) CPU cores; load average $(cut -d' ' -f1-3 /proc/loadavg)"
$PY benchmarks/app_load.py --host "http://127.0.0.1:$PORT" --users "$USERS" --time "$DURATION" --csv "$DATA/load"
