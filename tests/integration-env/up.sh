#!/usr/bin/env bash
# Starts every component of the integration environment (tests/integration-env/<component>/up.sh, in
# name order). Each installs its Debian packages when missing, starts its daemons on loopback and
# writes $SMTPDELIVER_ENV/<component>.env with the facts tests read. Idempotent: running it again
# restarts the components.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
export SMTPDELIVER_ENV="${SMTPDELIVER_ENV:-/tmp/smtpdeliver-itest}"
mkdir -p "$SMTPDELIVER_ENV"
# Postfix first: the DNS zone publishes TLSA records for its certificate.
for component in postfix dns $(ls "$here" | grep -vxE 'postfix|dns|.*\.sh'); do
  [ -f "$here/$component/up.sh" ] || continue
  echo "== integration-env: $component" >&2
  bash "$here/$component/up.sh"
done
