#!/usr/bin/env bash
# Stops every component of the integration environment.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
export SMTPDELIVER_ENV="${SMTPDELIVER_ENV:-/tmp/smtpdeliver-itest}"
for down in "$here"/*/down.sh; do
  bash "$down" || true
done
