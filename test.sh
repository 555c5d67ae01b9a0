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

# Packaging: pack the library, the test doubles (SmtpDeliver.Testing), the Redis companion (SmtpDeliver.Redis) and the tool from the build above into artifacts/packages, install the
# tool from there (and only from there) into a temporary tool path, and run it as a user would.
# Three results: pack, `smtpdeliver --help`, `smtpdeliver demo` (docs/packaging.md).
pkg_passed=0; pkg_failed=0
pkg_result() { if [ "$1" -eq 0 ]; then pkg_passed=$((pkg_passed + 1)); else pkg_failed=$((pkg_failed + 1)); echo "packaging: $2 failed" >&2; fi; }
if [ $build -eq 0 ]; then
  packages="$root/artifacts/packages"
  mkdir -p "$packages"
  rm -f "$packages"/SmtpDeliver.*nupkg
  tooldir=$(mktemp -d)
  dotnet pack SmtpDeliver.sln -c Debug --no-build -nologo -v quiet -o "$packages" >"$tooldir/pack.log" 2>&1
  pack_rc=$?
  cli_pkg=$(ls "$packages"/SmtpDeliver.Cli.*.nupkg 2>/dev/null | grep -v '\.snupkg$' | head -1)
  lib_pkg=$(ls "$packages"/SmtpDeliver.[0-9]*.nupkg 2>/dev/null | head -1)
  testing_pkg=$(ls "$packages"/SmtpDeliver.Testing.[0-9]*.nupkg 2>/dev/null | head -1)
  if [ $pack_rc -ne 0 ] || [ -z "$cli_pkg" ] || [ -z "$lib_pkg" ] || [ -z "$testing_pkg" ] || ! ls "$packages"/SmtpDeliver.Redis.[0-9]*.nupkg >/dev/null 2>&1 || ! ls "$packages"/SmtpDeliver.[0-9]*.snupkg >/dev/null 2>&1; then
    cat "$tooldir/pack.log" >&2
    pack_rc=1
  fi
  pkg_result $pack_rc "dotnet pack"
  help_rc=1; demo_rc=1
  if [ $pack_rc -eq 0 ]; then
    version=$(basename "$cli_pkg" .nupkg); version=${version#SmtpDeliver.Cli.}
    # Only the local folder as a source: nothing is fetched, and no published package of the same id
    # and version can stand in for the one just built.
    printf '<configuration><packageSources><clear /><add key="local" value="%s" /></packageSources></configuration>\n' "$packages" >"$tooldir/nuget.config"
    if dotnet tool install --tool-path "$tooldir/bin" --configfile "$tooldir/nuget.config" SmtpDeliver.Cli --version "$version" >"$tooldir/install.log" 2>&1; then
      "$tooldir/bin/smtpdeliver" --help >"$tooldir/help.txt" 2>&1 && grep -q '^  smtpdeliver \[command\]' "$tooldir/help.txt"
      help_rc=$?
      [ $help_rc -eq 0 ] || cat "$tooldir/help.txt" >&2
      "$tooldir/bin/smtpdeliver" demo >"$tooldir/demo.txt" 2>&1
      demo_rc=$?
      [ $demo_rc -eq 0 ] || tail -20 "$tooldir/demo.txt" >&2
    else
      cat "$tooldir/install.log" >&2
    fi
  fi
  pkg_result $help_rc "installed smtpdeliver --help"
  pkg_result $demo_rc "installed smtpdeliver demo"
  rm -rf "$tooldir"
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
passed=$((passed + pkg_passed)); failed=$((failed + pkg_failed))
line="$passed passed, $failed failed"
[ $skipped -gt 0 ] && line="$line, $skipped skipped"
echo "$line"
[ $failed -eq 0 ] && [ $passed -gt 0 ]
