#!/usr/bin/env python3
"""Checks that every #include "..." in core/, ui/ and app/ points down the layers (README "Layout").

core/ layers, from the ground up: a file may include headers of its own layer and of the layers below it,
never above. core/ includes no Qt. ui/ sits on core/, app/ on both. Only app/ (app/mpi) includes MPI. Prints each upward include and exits 1
if there is one; run by ctest (check_layers)."""
import os
import re
import sys

CORE = ["base", "data", "nn", "problems", "optimizers", "eval", "meta", "io", "measure"]
UI = ["plots", "gl", "workers", "views"]
# Rank: core layers first, then ui layers (plots < gl and workers < views), then app.
RANK = {("core", name): i for i, name in enumerate(CORE)}
RANK.update({("ui", "plots"): 20, ("ui", "gl"): 21, ("ui", "workers"): 21, ("ui", "views"): 22})
SIBLINGS_APART = {(("ui", "gl"), ("ui", "workers")), (("ui", "workers"), ("ui", "gl"))}
INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')


def layer_of_header(include):
    head = include.split("/", 1)[0]
    for top, names in (("core", CORE), ("ui", UI)):
        if head in names:
            return (top, head)
    return None


def main(root):
    problems = []
    for top in ("core", "ui", "app"):
        for dirpath, _, files in os.walk(os.path.join(root, top)):
            for name in sorted(files):
                if not name.endswith((".h", ".cpp")):
                    continue
                path = os.path.join(dirpath, name)
                rel = os.path.relpath(path, root)
                parts = rel.split(os.sep)
                if top == "app":
                    own, rank = ("app", ""), 100
                else:
                    if len(parts) != 3:
                        problems.append(f"{rel}: outside a layer folder ({top}/<layer>/{name})")
                        continue
                    own = (top, parts[1])
                    if own not in RANK:
                        problems.append(f"{rel}: '{parts[1]}' is not a layer of {top}/ (scripts/check_layers.py)")
                        continue
                    rank = RANK[own]
                with open(path, encoding="utf-8") as f:
                    for number, line in enumerate(f, 1):
                        m = INCLUDE.match(line)
                        if not m:
                            continue
                        bracket, inc = m.groups()
                        if top == "core" and bracket == "<" and re.match(r"Q[A-Za-z]*($|/)", inc):
                            problems.append(f"{rel}:{number}: core/ includes Qt <{inc}>")
                        if top != "app" and bracket == "<" and re.match(r"mpi(\.h|\+\+|cxx|/)", inc):
                            problems.append(f"{rel}:{number}: {top}/ includes MPI <{inc}> (only app/mpi may)")
                        if bracket != '"':
                            continue
                        target = layer_of_header(inc)
                        if target is None:
                            if top != "app" and not inc.endswith(".moc"):
                                problems.append(f"{rel}:{number}: \"{inc}\" is not written with its layer folder")
                            continue
                        if (own, target) in SIBLINGS_APART or RANK[target] > rank:
                            problems.append(f"{rel}:{number}: {own[0]}/{own[1]} includes \"{inc}\" "
                                            f"from {target[0]}/{target[1]}, a layer above it")
    for p in problems:
        print(p)
    print(f"check_layers: {len(problems)} include(s) against the layers")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..")))
