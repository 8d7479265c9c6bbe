#!/usr/bin/env python3
"""How long a user waits for `l2l eval --problem PROBLEM [args]`: seconds until the evaluation itself begins (its
"evaluating ..." line on stderr, after every rate that is not given is tuned or found; the studio draws its first
curve points from then on) and seconds until the whole process ends. Prints "FIRST TOTAL".
Usage: scripts/first_result.py path/to/l2l PROBLEM [extra eval arguments]"""
import subprocess
import sys
import time

l2l, problem, *extra = sys.argv[1:]
start = time.monotonic()
proc = subprocess.Popen([l2l, "eval", "--problem", problem, *extra], stdout=subprocess.DEVNULL,
                        stderr=subprocess.PIPE)
seen, first = b"", None
while True:
    chunk = proc.stderr.read1(4096)
    if not chunk:
        break
    seen += chunk
    if first is None and b"evaluating " in seen:
        first = time.monotonic() - start
proc.wait()
total = time.monotonic() - start
if proc.returncode != 0 or first is None:
    sys.exit("first_result.py: l2l eval failed (status %d):\n%s" % (proc.returncode, seen.decode(errors="replace")[-2000:]))
print("%.2f %.2f" % (first, total))
