#!/usr/bin/env bash
# The one test command: starts the integration environment (installing its Debian packages when
# missing; needs root for that), runs every test project of the solution, stops the environment, and
# ends with the line "N passed, N failed". Extra arguments go to `dotnet test` (e.g. --filter ...).
set -uo pipefail
root="$(cd "$(dirname "$0")" && pwd)"
cd "$root"
export SMTPDELIVER_ENV="${SMTPDELIVER_ENV:-/tmp/smtpdeliver-itest}"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

results="$root/artifacts/test-results"
rm -rf "$results"
mkdir -p "$results"

cleanup() { bash "$root/tests/integration-env/down.sh" >/dev/null 2>&1 || true; }
trap cleanup EXIT

if ! bash "$root/tests/integration-env/up.sh"; then
  echo "integration environment failed to start" >&2
  echo "0 passed, 1 failed"
  exit 1
fi

dotnet build SmtpDeliver.sln -c Debug -nologo -v quiet
build=$?
test_rc=0
if [ $build -eq 0 ]; then
  # Every test project of the solution, each with its own result file.
  for project in $(dotnet sln SmtpDeliver.sln list | grep -E '^tests/.*Tests\.csproj$'); do
    name=$(basename "$project" .csproj)
    dotnet test "$project" --no-build -nologo --logger "trx;LogFileName=$name.trx" --results-directory "$results" "$@" || test_rc=1
  done
fi

passed=0; failed=0; skipped=0
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -1)
  get() { echo "$counters" | grep -o " $1=\"[0-9]*\"" | grep -o '[0-9]*'; }
  passed=$((passed + $(get passed)))
  failed=$((failed + $(get failed) + $(get error) + $(get timeout) + $(get aborted)))
  skipped=$((skipped + $(get notExecuted)))
done
if [ $build -ne 0 ]; then
  echo "build failed" >&2
  failed=$((failed + 1))
fi
if [ $test_rc -ne 0 ] && [ $failed -eq 0 ]; then
  # dotnet test failed without a failed test: a crashed test host or an unreadable result.
  failed=1
fi
line="$passed passed, $failed failed"
[ $skipped -gt 0 ] && line="$line, $skipped skipped"
echo "$line"
[ $failed -eq 0 ] && [ $passed -gt 0 ]
