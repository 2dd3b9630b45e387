# syntax=docker/dockerfile:1
# One image for all Cairn services; each Kubernetes Deployment picks its command.
#   docker build -t cairn:dev .
# Both stages must use the same base so the venv's interpreter symlinks stay valid.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS builder
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_NO_CACHE=1 \
    UV_PYTHON_DOWNLOADS=never \
    VIRTUAL_ENV=/opt/venv
RUN pip install "uv==0.13.9" \
 && uv venv --python /usr/local/bin/python3.11 /opt/venv
WORKDIR /app
# Third-party deps first, in their own layer, so source edits don't reinstall them.
COPY requirements.lock ./
RUN uv pip install --require-hashes -r requirements.lock
# The root pyproject.toml is needed: members declare `{ workspace = true }` sources,
# which uv only resolves when it can see the workspace root.
COPY pyproject.toml ./
COPY contracts ./contracts
COPY libs ./libs
COPY services ./services
COPY gateway ./gateway
# Editable on purpose: each service finds its Alembic scripts next to its source
# (bootstrap.MIGRATIONS = <service>/migrations), so the tree stays at /app and the
# runtime stage copies it. runtime and roster are dependencies of the services.
# Bytecode is compiled here because the root filesystem is read-only at run time.
RUN uv pip install --no-deps \
      -e ./contracts -e ./libs/messaging -e ./libs/telemetry -e ./libs/persistence \
      -e ./libs/service_auth -e ./libs/runtime -e ./libs/roster \
      -e ./services/profiles -e ./services/matching -e ./services/sessions \
      -e ./services/feedback -e ./gateway \
 && /opt/venv/bin/python -m compileall -q --invalidation-mode checked-hash /app

FROM ${PYTHON_IMAGE} AS runtime
# Fixed numeric ids so Kubernetes runAsNonRoot/runAsUser can verify them.
RUN groupadd --system --gid 10001 cairn \
 && useradd --system --uid 10001 --gid cairn --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin cairn
# Owned by root and not writable by the app user.
COPY --from=builder /opt/venv /opt/venv
COPY --from=builder /app /app
ENV PATH=/opt/venv/bin:$PATH \
    VIRTUAL_ENV=/opt/venv \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HOME=/tmp
WORKDIR /app
USER 10001:10001
EXPOSE 8080
# Default to the gateway; Kubernetes overrides `command` per service.
CMD ["uvicorn", "gateway.entrypoints.api:create_app", "--factory", "--host", "0.0.0.0", "--port", "8080"]
