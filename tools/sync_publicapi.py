#!/usr/bin/env python3
# Syncs a project's PublicAPI.Unshipped.txt with the build: adds the symbols RS0016 reports as
# undeclared, removes those RS0017 reports as gone. Run from the repository root after changing the public
# API, then review the diff: it is the API change.
#   python3 tools/sync_publicapi.py                          # src/SmtpDeliver
#   python3 tools/sync_publicapi.py src/SmtpDeliver.Testing  # another project directory
import os, re, subprocess, sys
project = sys.argv[1].rstrip('/') if len(sys.argv) > 1 else 'src/SmtpDeliver'
out = subprocess.run(["dotnet", "build", project, "-nologo", "-v", "quiet"], capture_output=True, text=True).stdout
p = os.path.join(project, 'PublicAPI.Unshipped.txt')
# Only the diagnostics of this project (a dependency's build reports its own).
mine = '[' + os.path.abspath(os.path.join(project, os.path.basename(project) + '.csproj')) + ']'
out = '\n'.join(l for l in out.split('\n') if l.rstrip().endswith(mine))
add = sorted(set(re.findall(r"error RS0016: Symbol '(.*?)' is not part of the declared public API", out)))
rem = set(re.findall(r"error RS0017: Symbol '(.*?)' is part of the declared API, but is either not public or could not be found", out))
lines = open(p).read().split('\n')
head, body = lines[0], [l for l in lines[1:] if l.strip()]
body = [l for l in body if l not in rem] + add
open(p, 'w').write(head + '\n' + '\n'.join(sorted(set(body))) + '\n')
print(len(add), 'added', len(rem), 'removed')
