#!/usr/bin/env bash
# Build the app's container image and check that it serves /health and a page (issue 8). For machines with podman
# but no registry: the base image is made with debootstrap and `podman import`ed under the Dockerfile's base name.
#   apt-get install -y podman runc debootstrap
#   LATENTLAB_ASSETS=/path/to/assets bash tools/container_check.sh
# Where the machine keeps a PyPI mirror on disk (/opt/pypi, /opt/wheels), the build reads it through read-only volumes.
set -euo pipefail
IMAGE=${IMAGE:-localhost/latentlab-app}; BASE=docker.io/library/debian:bookworm-slim; PORT=${PORT:-8093}
ASSETS=${LATENTLAB_ASSETS:?set LATENTLAB_ASSETS to the assets folder}
WORK=${WORK:-/tmp/latentlab-container}; mkdir -p "$WORK/runs"
PODMAN=(podman --runtime runc)
LIMITS=(--ulimit nofile=20000:20000 --ulimit nproc=32768:32768)
t() { date +%s; }
T0=$(t)
if ! podman image exists "$BASE"; then
  echo "== base image: debootstrap --variant=minbase bookworm, then podman import as $BASE"
  rm -rf "$WORK/rootfs"
  debootstrap --variant=minbase bookworm "$WORK/rootfs" http://deb.debian.org/debian > "$WORK/debootstrap.log" 2>&1 \
    || { tail -20 "$WORK/debootstrap.log"; exit 1; }
  tar -C "$WORK/rootfs" -c . | podman import --change 'CMD ["/bin/bash"]' - "$BASE"
  rm -rf "$WORK/rootfs"
fi
T1=$(t); echo "base ready in $((T1 - T0)) s"
BUILD_ARGS=(); VOLS=(); PIPARGS=""
if [ -f /etc/ssl/certs/ca-certificates.crt ]; then   # this machine's CA bundle (a TLS proxy's CA may be in it) for pip
  VOLS+=(-v /etc/ssl/certs/ca-certificates.crt:/etc/host-ca.crt:ro); PIPARGS="--cert /etc/host-ca.crt"
fi
for d in /opt/pypi /opt/pypi-more; do [ -d $d/simple ] && PIPARGS="$PIPARGS --extra-index-url file://$d/simple" && VOLS+=(-v $d:$d:ro); done
if ls /opt/wheels/torch-*+cpu-*.whl > /dev/null 2>&1; then   # a CPU torch wheel on disk: use it, and skip torchvision
  VOLS+=(-v /opt/wheels:/opt/wheels:ro)
  BUILD_ARGS+=(--build-arg "TORCH=$(ls /opt/wheels/torch-*+cpu-*.whl | tail -1)" --build-arg "TORCH_INDEX=")
fi
BUILD_ARGS+=(--build-arg "PIP_ARGS=$PIPARGS")
echo "== podman build -t $IMAGE ."
"${PODMAN[@]}" build --network host --pull=never "${LIMITS[@]}" "${VOLS[@]}" "${BUILD_ARGS[@]}" -t "$IMAGE" . 2>&1 | tail -25
T2=$(t); echo "image built in $((T2 - T1)) s: $(podman image inspect "$IMAGE" --format '{{.Size}}' | awk '{printf "%.2f GB", $1/1e9}')"
echo "== podman run (host network, port $PORT)"
podman rm -f latentlab-check > /dev/null 2>&1 || true
"${PODMAN[@]}" run -d --name latentlab-check --network host "${LIMITS[@]}" -v "$ASSETS":/assets:ro -v "$WORK/runs":/runs:Z \
  -v latentlab-check-data:/data "$IMAGE" latentlab serve --host 127.0.0.1 --port "$PORT" --data /data --runs-dir /runs --workers 2
trap 'podman logs latentlab-check 2>&1 | tail -5; podman rm -f latentlab-check > /dev/null 2>&1' EXIT
for i in $(seq 1 300); do curl -sf "http://127.0.0.1:$PORT/health" > "$WORK/health.json" && break; sleep 1; done
T3=$(t); echo "serving after $((T3 - T2)) s"
echo "GET /health:"; python3 -m json.tool "$WORK/health.json"
curl -sf "http://127.0.0.1:$PORT/explorer" | grep -o '<title>[^<]*</title>'
echo "container check passed: built and served /health and /explorer (total $((T3 - T0)) s)"
