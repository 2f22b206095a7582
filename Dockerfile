# atelier-api: the ephemeral Atelier sandbox image.
#   docker build -t atelier-api .                       (or --build-arg BASE=python:3.11-slim)
#   docker run --rm -p 127.0.0.1:52773:52773 -v "$PWD:/workspace" \
#       -e ATELIER_PASSWORD=change-me atelier-api
# Configuration is the ATELIER_* environment (see the README table). Without ATELIER_PASSWORD
# the entry point generates one and prints it to the log. deploy/README.md has the details.
ARG BASE=python:3.12-slim
# EXTRAS: optional dependencies to add, e.g. the launcher's image of
# deploy/kubernetes/launcher: podman build --build-arg EXTRAS=launcher,kubernetes \
#     -t atelier-api-launcher:0.1.0 .
ARG EXTRAS=""

# ---- builder: build the wheel, install it and its dependencies into a venv ----------------
FROM ${BASE} AS builder
ARG EXTRAS
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PIP_ROOT_USER_ACTION=ignore
WORKDIR /src
COPY . /src
RUN set -e; \
    python -m venv /opt/atelier; \
    python -m pip wheel --quiet --no-deps --wheel-dir /wheels /src; \
    wheel=$(ls /wheels/*.whl); \
    /opt/atelier/bin/pip install --quiet "$wheel${EXTRAS:+[$EXTRAS]}"; \
    /opt/atelier/bin/pip uninstall --quiet --yes pip setuptools wheel; \
    cd / && /opt/atelier/bin/python -c "import atelier_api, compiler_stub, gunicorn"; \
    install -m 0755 /src/deploy/container/entrypoint.sh /opt/atelier/bin/atelier-entrypoint

# ---- final: the base image, git, the venv and an unprivileged user; no compiler, no pip --
FROM ${BASE}
# git: the git-URL workspaces (ATELIER_NAMESPACES=USER=git+URL) clone with it; WITH_GIT=0 leaves
# it out for a smaller image that serves mounted folders only. safe.directory: mounted checkouts
# and local repositories belong to another uid than the server's.
ARG WITH_GIT=1
RUN if [ "$WITH_GIT" = 1 ]; then \
      apt-get update -qq \
      && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends git \
         >/dev/null \
      && rm -rf /var/lib/apt/lists/* /var/cache/apt/* /var/log/apt /var/log/dpkg.log \
         /usr/share/doc/git* /usr/share/man/* /usr/share/locale/*/LC_MESSAGES/git.mo \
      && git config --system --add safe.directory '*'; \
    fi \
 && groupadd --gid 10001 atelier \
 && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin atelier \
 && mkdir -p /workspace /var/lib/atelier \
 && chown 10001:0 /workspace /var/lib/atelier && chmod 0775 /workspace /var/lib/atelier
COPY --from=builder /opt/atelier /opt/atelier
ENV PATH=/opt/atelier/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    ATELIER_HOST=0.0.0.0 \
    ATELIER_PORT=52773 \
    ATELIER_NAMESPACES=USER=/workspace \
    ATELIER_STATE_DIR=/tmp/atelier-state
WORKDIR /workspace
VOLUME ["/workspace"]
USER 10001:10001
EXPOSE 52773
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('ATELIER_PORT', '52773'), timeout=2)"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["atelier-entrypoint"]
CMD ["atelier-api", "serve"]
