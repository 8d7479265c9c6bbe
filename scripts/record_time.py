#!/usr/bin/env python3
"""Records one section's run time in docs/results/reproduce-times.json (RESULTS' run-time statement is generated
from it): record_time.py FILE SECTION SECONDS START_DATE LOAD_AT_START TOOL CORES. Used by scripts/reproduce.sh
for every section it makes and by scripts/bench.sh for the bench section (bench.json is written by both)."""
import json
import os
import sys

path, section, seconds, date, load, tool, cores = sys.argv[1:]
try:
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
except FileNotFoundError:
    doc = {"format": "l2l-reproduce-times", "version": 1, "sections": {}}
doc["sections"].pop("transfer", None)  # before per-family times: its sum would count twice
doc["sections"][section] = {"seconds": int(seconds), "date": date, "load_average_start": load, "tool": tool,
                            "cores": int(cores)}
with open(path + ".tmp", "w", encoding="utf-8") as f:
    f.write(json.dumps(doc, indent=2, sort_keys=True) + "\n")
os.replace(path + ".tmp", path)
