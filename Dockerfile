# The latentlab app (issue 8): `latentlab serve` under gunicorn, with the assets, a runs folder and the app's data
# folder as volumes. Build and run with docker or podman:
#   podman build -t latentlab-app .
#   podman run -p 127.0.0.1:8050:8050 -v $LATENTLAB_ASSETS:/assets:ro -v ./runs:/runs -v appdata:/data latentlab-app
# or `podman compose up` / `docker compose up` (compose.yaml). tools/container_check.sh builds it from a base made
# with debootstrap (no registry needed) and checks that it serves /health and a page.
ARG BASE=docker.io/library/debian:bookworm-slim
FROM ${BASE}
# TORCH: what to install first: the CPU build of torch, pinned (PyPI's default build brings CUDA, about 5 GB more;
# the app needs no GPU and no torchvision); TORCH_INDEX: where the CPU builds are (empty: TORCH is a wheel file);
# PIP_ARGS: extra pip options, e.g. a local index (tools/container_check.sh uses the machine's mirror and CPU wheel)
ARG TORCH="torch==2.13.0"
ARG TORCH_INDEX="https://download.pytorch.org/whl/cpu"
ARG PIP_ARGS=""
ENV DEBIAN_FRONTEND=noninteractive PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
RUN apt-get update && apt-get install -y --no-install-recommends python3 python3-venv ca-certificates curl \
    && rm -rf /var/lib/apt/lists/*
RUN python3 -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
RUN pip install $PIP_ARGS ${TORCH_INDEX:+--extra-index-url $TORCH_INDEX} $TORCH
WORKDIR /opt/latentlab
COPY settings.ini setup.py pyproject.toml README.md ./
COPY latentlab/ latentlab/
COPY nbs/reports/ nbs/reports/
# the requirements from settings.ini less SKIP_REQS (torch came first, torchvision is not needed), then latentlab.
# NO_DEPS are installed without their own requirements: medmnist asks for torchvision, whose PyPI build pins the CUDA
# torch (about 5 GB more); latentlab reads MedMNIST's files itself and needs neither (the app runs no torchvision model).
ARG SKIP_REQS="torch torchvision"
ARG NO_DEPS="medmnist"
RUN python -c "import configparser, re; c = configparser.ConfigParser(); c.read('settings.ini'); \
skip = set('$SKIP_REQS'.split()) | set('$NO_DEPS'.split()); \
print('\n'.join(r for r in c['DEFAULT']['requirements'].split() if re.split('[<>=!~]', r)[0] not in skip))" > /tmp/requirements.txt \
    && pip install $PIP_ARGS -r /tmp/requirements.txt "setuptools>=64" wheel fire \
    && if [ -n "$NO_DEPS" ]; then pip install $PIP_ARGS --no-deps $NO_DEPS; fi
RUN pip install --no-deps --no-build-isolation -e . && python -c "import latentlab.app.server"
RUN useradd --create-home --uid 1000 latentlab && mkdir -p /data /runs /assets && chown latentlab /data /runs
USER latentlab
ENV LATENTLAB_ASSETS=/assets LATENTLAB_RUNS=/runs LATENTLAB_CACHE=/data/cache HF_HUB_OFFLINE=1
VOLUME ["/data", "/runs"]
EXPOSE 8050
HEALTHCHECK --interval=30s --timeout=10s --start-period=180s CMD curl -fs http://127.0.0.1:8050/health || exit 1
# inside the container it listens on all its interfaces; publish it on the host's 127.0.0.1 unless you mean otherwise
CMD ["latentlab", "serve", "--host", "0.0.0.0", "--port", "8050", "--data", "/data", "--runs-dir", "/runs", "--workers", "2"]
