#!/usr/bin/env bash
# Runs every fuzz target (or those named) under AFL++ for a bounded time each and fails on any crash.
#   fuzz/run.sh [--seconds N] [target...]
# Needs: apt-get install afl++ ; dotnet tool install --global SharpFuzz.CommandLine --version 2.3.0
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
seconds=60
if [ "${1:-}" = "--seconds" ]; then seconds=$2; shift 2; fi
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(reply ecode ehlo limits tlsa tlsrpt-record scram data mta-sts-policy mta-sts-record tlsrpt-report gather)
export PATH="$PATH:$HOME/.dotnet/tools"
command -v afl-fuzz >/dev/null || { echo "afl-fuzz missing: apt-get install afl++" >&2; exit 2; }
command -v sharpfuzz >/dev/null || { echo "sharpfuzz missing: dotnet tool install --global SharpFuzz.CommandLine --version 2.3.0" >&2; exit 2; }

out="$here/out"
rm -rf "$out"
dotnet publish "$here/SmtpDeliver.Fuzz/SmtpDeliver.Fuzz.csproj" -c Release -o "$out/bin" -nologo -v quiet
sharpfuzz "$out/bin/SmtpDeliver.dll" >/dev/null

export AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1 AFL_SKIP_BIN_CHECK=1
failed=0
for t in "${targets[@]}"; do
  corpus="$here/corpus/$t"
  findings="$out/findings/$t"
  mkdir -p "$findings"
  echo "== $t: ${seconds}s" >&2
  afl-fuzz -V "$seconds" -i "$corpus" -o "$findings" -t 10000 -m none -- dotnet "$out/bin/SmtpDeliver.Fuzz.dll" "$t" >"$findings/afl.log" 2>&1 || true
  crashes=$(find "$findings" -path '*/crashes/id*' | wc -l)
  execs=$(grep -h execs_done "$findings"/default/fuzzer_stats 2>/dev/null | awk '{print $3}' || echo 0)
  echo "   $t: $execs executions, $crashes crashes" >&2
  [ "$crashes" -gt 0 ] && failed=1
done
exit $failed
