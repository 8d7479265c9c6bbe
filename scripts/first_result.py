#!/usr/bin/env python3
"""Seconds from starting `l2l eval --problem PROBLEM` until its first evaluation step is reported on stderr (the
first curve point a user sees: after the tuning of every rate that is not given). The process is then stopped.
Usage: scripts/first_result.py path/to/l2l PROBLEM [extra eval arguments]"""
import re
import subprocess
import sys
import time

l2l, problem, *extra = sys.argv[1:]
start = time.monotonic()
proc = subprocess.Popen([l2l, "eval", "--problem", problem, *extra], stdout=subprocess.DEVNULL,
                        stderr=subprocess.PIPE)
seen = b""
while True:
    chunk = proc.stderr.read1(4096)
    if not chunk:
        proc.wait()
        sys.exit("first_result.py: l2l ended (status %d) before reporting a step:\n%s"
                 % (proc.returncode, seen.decode(errors="replace")[-2000:]))
    seen += chunk
    if re.search(rb"step [1-9][0-9]*/[0-9]+", seen):
        print("%.2f" % (time.monotonic() - start))
        proc.terminate()
        proc.wait()
        break
