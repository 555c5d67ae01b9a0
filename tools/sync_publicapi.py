#!/usr/bin/env python3
# Syncs src/SmtpDeliver/PublicAPI.Unshipped.txt with the build: adds the symbols RS0016 reports as
# undeclared, removes those RS0017 reports as gone. Run from the repository root after changing the public
# API, then review the diff: it is the API change.
import re, subprocess
out = subprocess.run(["dotnet", "build", "src/SmtpDeliver", "-nologo", "-v", "quiet"], capture_output=True, text=True).stdout
add = sorted(set(re.findall(r"error RS0016: Symbol '(.*?)' is not part of the declared public API", out)))
rem = set(re.findall(r"error RS0017: Symbol '(.*?)' is part of the declared API, but is either not public or could not be found", out))
p = 'src/SmtpDeliver/PublicAPI.Unshipped.txt'
lines = open(p).read().split('\n')
head, body = lines[0], [l for l in lines[1:] if l.strip()]
body = [l for l in body if l not in rem] + add
open(p, 'w').write(head + '\n' + '\n'.join(sorted(set(body))) + '\n')
print(len(add), 'added', len(rem), 'removed')
