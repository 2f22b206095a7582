#!/bin/sh
# Container entry point of the atelier-api image: never serve a well-known password.
# Inside a container the server must listen on 0.0.0.0 (for port publishing), and the server
# refuses that with the default credentials. When ATELIER_PASSWORD is not given, a random one
# is generated for this container's lifetime and printed once to the log (like a notebook
# token); pass -e ATELIER_PASSWORD=... (or a Kubernetes Secret) to choose it.
set -eu
if [ -z "${ATELIER_PASSWORD:-}" ]; then
  ATELIER_PASSWORD=$(tr -dc 'A-Za-z0-9' </dev/urandom | head -c 24)
  export ATELIER_PASSWORD
  echo "atelier-api: ATELIER_PASSWORD is not set; generated password for user" \
       "${ATELIER_USERNAME:-_SYSTEM}: $ATELIER_PASSWORD" >&2
fi
exec "$@"
