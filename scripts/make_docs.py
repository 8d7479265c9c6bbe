#!/usr/bin/env python3
"""Writes every number of docs/RESULTS.md and of README.md's Results section from the result files.

Usage: python3 scripts/make_docs.py [--check] [--allow-missing[=SECTION,...]] [--list] [--show NAME]

Generated regions are delimited in the documents by marker comments:

    <!-- generated:NAME -->            (block: markers on their own lines, content between them)
    ...
    <!-- /generated:NAME -->

or inline, inside a sentence: `text <!-- generated:NAME -->...<!-- /generated:NAME --> text` (an inline
start marker must not begin a line: Markdown would then read the whole line as raw HTML). Only the text
between the markers is rewritten; everything else is left byte for byte. Every region of the documents
must have a generator here and every generator must have exactly one region (a typo fails).

Inputs are the files that scripts/reproduce.sh writes into docs/results/ (eval JSON from `l2l eval --json`,
bench.json, reproduce-times.json) and the provenance of the optimizer files the evaluations use. A
missing input file fails with its name and the reproduce.sh section that makes it; a missing field fails
with the file and the field. `--allow-missing` (all sections) or `--allow-missing=bench,2d` instead writes
the placeholder line "(not yet generated: run scripts/reproduce.sh SECTION)" into regions whose input
files do not exist yet. Claims the prose makes about the data (e.g. "the LSTM has the lowest mean at step
100") are asserted here: if the data contradicts one, the script fails and names the claim, so that the
prose outside the markers is rewritten by a person rather than left false. Nothing is written unless
every region was generated. Output depends only on the input files (no clock, no locale, sorted keys):
the same inputs give byte-identical documents, and a second run changes nothing.

`--check` writes nothing and exits 1 if a document is not up to date. `--list` prints the regions and
their inputs; `--show NAME` prints one region's text. The pseudo-section `times` stands for
docs/results/reproduce-times.json, which every reproduce.sh section updates (unless --no-times).

Number formatting lives in one place (the "Formatting" section below): tables use the CLI's own format
(C printf %.4g, learning rates %.3g, t %.3g, p %.2g, exactly what `l2l eval --markdown` writes); prose
uses 3 significant digits with trailing zeros kept (0.300), p-values 2 significant digits (0.040, 0.11)
or, below 0.001, one digit in exponent form (4e-05).

Input formats read here
-----------------------
Eval JSON (`l2l eval --json`, app/CliCommon.cpp evalJson): problem, steps, runs, seed, tuning{min_rate,
max_rate, per_decade, runs, seed}, test_steps (with --test-every), optimizers[]: name, spec, learning_rate,
tuned, loss_mean[steps+1], final_loss_mean/std/median, diverged_runs, test_loss_mean, test_accuracy_mean,
test_loss_curve (at test_steps), paired_vs_best{best, pairs, best_wins_fraction, t, p} (absent for the
best), paired_with[{with, pairs, wins_fraction, t, p}] (every other optimizer; files written before 2026-12-02
have none). Per-run final losses are not stored, so a file without paired_with has a paired statistic only
between its best optimizer and each other one; prose that needs another pair says so (see `pair_text`).

Optimizer files (resources/optimizers/*.json, docs/results/<optimizer>.json): provenance{command, epochs,
best_epoch, validation_loss}.

docs/results/bench.json (`l2l bench`; the writer is not in the CLI yet: these are the field names this
script expects, all required unless marked optional):
    {
      "format": "l2l-bench", "version": 1,
      "date": "2026-11-29T14:00:00Z",              # UTC, when the bench ran
      "tool": "l2l 0.1.0",                         # `l2l --version`
      "hardware_threads": 2,
      "threads": 2,                                # --threads
      "repeats": 15,                               # --repeats
      "peak_gflops_per_core": 78.4,                # measured by an FMA loop, or --peak-gflops
      "peak_measured": true,                       # optional: false when given by --peak-gflops
      "peak_gflops_threads_together": 150.0,       # optional: --threads threads' FMA loops at once (else threads x peak)
      "load_average_before": "0.95 0.80 0.70",     # first three fields of /proc/loadavg
      "load_average_after": "1.10 0.85 0.72",
      "peak_memory_mib": 372.0,                    # VmHWM of the bench process
      "group_peak_memory_mib": {"mlp": 60.0, ...}, # VmHWM of each group (mlp, lstm, art, convnet), reset before it
      "group_start_memory_mib": {"mlp": 9.0, ...}, # VmRSS when the group started
      "lines": [                                   # one per BenchLine, in the order bench prints them
        {"name": "mlp value+gradient (mnist:...)", # BenchLine::name
         "seconds": 0.000195,                      # BenchLine::median, seconds per unit
         "unit": "step",                           # "step", "episode" or "parameter"
         "flops": 8.2e6,                           # per unit, 0 when not counted
         "threads": 1,                             # threads the measurement used
         "note": "15910 parameters, batch 128, 1 thread"}
      ]
    }

docs/results/reproduce-times.json (written by scripts/reproduce.sh after each section):
    {"format": "l2l-reproduce-times", "version": 1,
     "sections": {"quadratic": {"seconds": 41, "date": "2026-11-29T14:00:00Z", "load_average_start": "0.94 0.32 0.11",
                                "tool": "l2l 0.1.0", "cores": 2}, ...}}
"""

import argparse
import json
import math
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOCS = ["docs/RESULTS.md", "README.md"]
RES = "docs/results/"

# Which reproduce.sh section writes each input file (None: a file kept in the repository, not re-made).
SECTION_OF = {
    RES + "quadratic.json": "quadratic",
    RES + "2d-quadratic2d.json": "2d",
    RES + "2d-ill-conditioned.json": "2d",
    RES + "2d-saddle.json": "2d",
    RES + "2d-himmelblau.json": "2d",
    RES + "2d-rosenbrock.json": "2d",
    RES + "mnist-100.json": "mnist",
    RES + "mnist-200.json": "mnist",
    RES + "mnist-unseen-100.json": "mnist-unseen",
    RES + "mnist-unseen-200.json": "mnist-unseen",
    RES + "mnist-40-units.json": "generalisation",
    RES + "mnist-2-layers.json": "generalisation",
    RES + "mnist-relu.json": "generalisation",
    RES + "fashion-mnist.json": "fashion-mnist",
    RES + "art-64.json": "art",
    RES + "art-128.json": "art",
    RES + "convnet.json": "convnet",
    RES + "convnet-5.json": "convnet",
    RES + "convnet-2.json": "convnet",
    RES + "bench.json": "bench",
    RES + "reproduce-times.json": "times",  # every section adds its time (unless --no-times)
    "resources/optimizers/quadratic.json": None,
    "resources/optimizers/mnist.json": None,
    "resources/optimizers/2d.json": None,
    "resources/optimizers/neural-art.json": None,
    "resources/optimizers/convnet.json": None,
    RES + "mnist-first-order.json": None,
    RES + "mnist-second-order.json": None,
    RES + "mnist-previous.json": None,
    RES + "mnist-previous-2.json": None,
    RES + "mnist-second-order-cosine.json": None,
    RES + "convnet-shared.json": None,
    RES + "convnet-sub.json": None,
    RES + "convnet-previous.json": None,
    RES + "neural-art-fine-tune.json": None,
    RES + "neural-art-rnnprop.json": None,
    RES + "neural-art-imitation.json": None,
    RES + "quadratic-paper.json": None,
    RES + "2d-previous.json": None,
    RES + "transfer-quadratic.json": "transfer",
    RES + "transfer-2d.json": "transfer",
    RES + "transfer-mnist.json": "transfer",
    RES + "transfer-neural-art.json": "transfer",
    RES + "transfer-convnet.json": "transfer",
    # the conv net's full rate search, whose best baselines transfer-convnet.json re-ran (l2l transfer --baselines-from)
    RES + "transfer-convnet-search.json": None,
    # the unseen-runs test on seed 4242, before it moved to a fresh seed
    RES + "mnist-unseen-4242-100.json": None,
    RES + "mnist-unseen-4242-200.json": None,
    RES + "mpi-scaling.json": None,  # scripts/mpi_scaling.py (needs a quiet machine; not part of reproduce.sh)
}

# Targets from the issue (requirements, not measurements): bench line name prefix, threads -> seconds.
BENCH_TARGETS = [
    ("mlp value+gradient", 1, 0.6e-3, "< 0.6 ms"),
    ("lstm evaluation step", 2, 3e-3, "≤ 3 ms"),
    ("meta-training episode on mnist", 2, 1.0, "≤ 1.0 s"),
    ("meta-training episode on quadratic", 2, 3e-3, "≤ 3 ms"),
    ("neural-art value+gradient (128x128", 1, 7.3e-3, "≤ 7.3 ms"),
]

BASELINES = ["sgd", "nag", "rmsprop", "adam"]
HUMAN = {"sgd": "SGD", "nag": "NAG", "rmsprop": "RMSprop", "adam": "Adam"}


class Failure(Exception):
    """A generator cannot produce true text: missing field, contradicted claim, bad marker."""


# ----------------------------------------------------------------------------------------------------
# Formatting: every number in the documents goes through one of these.

def _finite(v):
    return v is not None and isinstance(v, (int, float)) and math.isfinite(v)


def best_key(o):
    """The best optimizer is the one that diverged in the fewest runs, then of lowest mean final loss (a mean is
    over the runs that finished: one that diverged in 20 of 50 was named the best by its 30 survivors); as l2l's
    bestByFinalMean (core/eval/Summary.cpp)."""
    return (o.diverged, o.final)


def tab(v, digits=4):
    """Table cell, as the CLI writes it (std::ostream precision = printf %g): 0.8819, 5.8e-13, '-' for NaN."""
    return "%.*g" % (digits, v) if _finite(v) else "-"


def tab_median(v):
    """A median's cell, as the CLI writes it: 'diverged' once half the runs diverged (+inf), else tab."""
    return "diverged" if v == math.inf else tab(v)


def num(v, digits=3):
    """A number in prose: `digits` significant digits, trailing zeros kept (0.300, 1.15, 210)."""
    if not _finite(v):
        raise Failure("a number in prose is missing or not finite (%r)" % (v,))
    if v == 0:
        return "0"
    if 1e-3 <= abs(v) < 10 ** digits:
        s = "%#.*g" % (digits, v)
        return s[:-1] if s.endswith(".") else s
    mant, exp = ("%.*e" % (digits - 1, v)).split("e")
    return "%se%d" % (mant, int(exp))


def loss(v):
    return num(v, 3)


def loss4(v):
    return num(v, 4)


def pval(p):
    """p-value in prose: 0.040, 0.11, 0.0014; below 0.001 one digit: 4e-05."""
    if not _finite(p):
        raise Failure("a p-value is missing")
    if p >= 1e-3:
        s = "%#.2g" % p
        return s[:-1] if s.endswith(".") else s
    return "%.0e" % p


def tstat(t):
    if not _finite(t):
        raise Failure("a t statistic is missing")
    return ("%.2g" % t).replace("-", "−")


def pct(fraction, digits=3):
    """An accuracy (fraction in [0, 1]) as a percentage in prose: 90.9 %."""
    return num(100 * fraction, digits) + " %"


def rel_pct(a, b):
    """How much a is above b, in per cent of b, 2 significant digits: 0.2, 11, 0.25."""
    return "%.2g" % (100 * (a - b) / b)


def lr_cell(v):
    return "%.3g" % v


def minutes(seconds):
    """A duration in prose, rounded so that run-to-run noise rarely changes the text."""
    m = seconds / 60.0
    if m < 1:
        return "under 1 min"
    if m < 10:
        return "about %d min" % int(round(m))
    if m < 90:
        return "about %d min" % (5 * int(round(m / 5)))
    return "about %s h" % ("%.1f" % (m / 60)).rstrip("0").rstrip(".")


def ranges(values, seq=None):
    """[1,2,3,5,7,8] -> '1–3, 5, 7–8'; with seq, runs are consecutive in seq (e.g. test steps 10, 20, ...)."""
    seq = seq if seq is not None else list(range(min(values), max(values) + 1)) if values else []
    pos = {v: i for i, v in enumerate(seq)}
    out, start, prev = [], None, None
    for v in sorted(values, key=lambda x: pos[x]):
        if start is not None and pos[v] == pos[prev] + 1:
            prev = v
            continue
        if start is not None:
            out.append(str(start) if start == prev else "%d–%d" % (start, prev))
        start = prev = v
    if start is not None:
        out.append(str(start) if start == prev else "%d–%d" % (start, prev))
    return ", ".join(out)


def join_and(items):
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


# ----------------------------------------------------------------------------------------------------
# Inputs

class Inputs:
    """Loads the files a region declared; reading an undeclared file is a bug in this script."""

    def __init__(self, region, declared):
        self.region, self.declared = region, set(declared)
        self.cache = {}

    def json(self, path):
        if path not in self.declared:
            raise Failure("internal: region '%s' reads %s without declaring it" % (self.region, path))
        if path not in self.cache:
            full = os.path.join(ROOT, path)
            try:
                with open(full, encoding="utf-8") as f:
                    self.cache[path] = json.load(f)
            except json.JSONDecodeError as e:
                raise Failure("%s: not valid JSON (%s)" % (path, e))
        return self.cache[path]

    def eval(self, path):
        ev = EvalFile(path, self.json(path))
        want = EXPECTED_PROBLEM.get(path)
        if want is not None and ev.problem != want:
            raise Failure("%s: made for problem '%s', expected '%s' (see scripts/reproduce.sh)" % (path, ev.problem, want))
        return ev

    def provenance(self, path):
        doc = self.json(path)
        return Fields(path, field(path, doc, "provenance"), "provenance")


def field(path, obj, key, where=""):
    if not isinstance(obj, dict) or key not in obj:
        raise Failure("%s: missing field '%s%s'" % (path, where + "." if where else "", key))
    return obj[key]


class Fields:
    def __init__(self, path, obj, where):
        self.path, self.obj, self.where = path, obj, where

    def __getitem__(self, key):
        return field(self.path, self.obj, key, self.where)

    def get(self, key, default=None):
        return self.obj.get(key, default)


class Opt:
    def __init__(self, path, index, o):
        f = Fields(path, o, "optimizers[%d]" % index)
        self.spec = f["spec"]
        self.name = f["name"]
        self.display = "lstm:" + os.path.basename(self.spec[5:]) if self.spec.startswith("lstm:") else self.name
        self.learned = self.spec.startswith("lstm")
        self.lr = f["learning_rate"]
        self.tuned = f["tuned"]
        self.final = f["final_loss_mean"]
        self.std = f["final_loss_std"]
        # The median counts a diverged run as the worst: +inf (null in the file) once half the runs diverged, which
        # the file says with median_diverged_from_step (EvalResultJson.h).
        self.median = f["final_loss_median"]
        if self.median is None and o.get("median_diverged_from_step") is not None:
            self.median = math.inf
        self.diverged = f["diverged_runs"]
        self.curve = f["loss_mean"]
        self.paired = o.get("paired_vs_best")
        self.paired_with = {p["with"]: p for p in o.get("paired_with", [])}
        self.test_loss = o.get("test_loss_mean")
        self.test_acc = o.get("test_accuracy_mean")
        self.test_curve = o.get("test_loss_curve")
        self.fields = f

    def at(self, step):
        v = self.curve[step] if step < len(self.curve) else None
        if not _finite(v):
            raise Failure("%s: %s has no mean loss at step %d" % (self.fields.path, self.display, step))
        return v


class EvalFile:
    def __init__(self, path, doc):
        self.path, self.doc = path, doc
        f = Fields(path, doc, "")
        self.steps, self.runs, self.seed = f["steps"], f["runs"], f["seed"]
        self.problem = f["problem"]
        self.tuning = Fields(path, f["tuning"], "tuning")
        self.test_steps = doc.get("test_steps")
        self.has_test = any("test_loss_mean" in o for o in f["optimizers"])
        self.opts = [Opt(path, i, o) for i, o in enumerate(f["optimizers"])]
        if doc.get("cancelled"):
            raise Failure("%s: the evaluation was interrupted (cancelled: true); re-run its section" % path)
        names = [o.display for o in self.opts]
        if len(set(names)) != len(names):
            raise Failure("%s: two optimizers share a display name (%s)" % (path, ", ".join(names)))
        unpaired = [o for o in self.opts if o.paired is None]
        if len(self.opts) > 1 and len(unpaired) != 1:
            raise Failure("%s: expected exactly one optimizer without paired_vs_best (the best), found %d"
                          % (path, len(unpaired)))
        self.best = unpaired[0] if len(self.opts) > 1 else self.opts[0]
        for o in self.opts:
            if o.paired is not None and field(path, o.paired, "best", o.display + ".paired_vs_best") != self.best.display:
                raise Failure("%s: %s is paired with '%s' but the best is %s"
                              % (path, o.display, o.paired["best"], self.best.display))
        finite = [o for o in self.opts if _finite(o.final)]
        if finite and min(finite, key=best_key) is not self.best:
            raise Failure("%s: the best (fewest diverged runs, then mean final loss) is not the unpaired optimizer"
                          % path)

    def opt(self, display):
        for o in self.opts:
            if o.display == display:
                return o
        raise Failure("%s: no optimizer '%s' (it has %s)" % (self.path, display, ", ".join(o.display for o in self.opts)))

    def baselines(self):
        return [o for o in self.opts if o.display in BASELINES]

    def best_baseline(self):
        b = [o for o in self.baselines() if _finite(o.final)]
        if not b:
            raise Failure("%s: no baseline finished" % self.path)
        return min(b, key=best_key)

    def pair(self, a, b):
        """Paired statistic between display names a and b if one of them is the file's best, else None.
        Returns dict(winner, loser, wins, pairs, t, p, t_raw): winner = the one with the lower mean."""
        A, B = self.opt(a), self.opt(b)
        stored = A.paired_with.get(b) if A.paired_with else None
        if stored is not None: # files since 2026-12-02 pair every two optimizers
            winner, loser = (a, b) if A.final < B.final else (b, a)
            frac = stored["wins_fraction"] if winner == a else 1 - stored["wins_fraction"]
            pairs = stored["pairs"]
            return dict(winner=winner, loser=loser, wins=int(math.floor(frac * pairs + 0.5)), pairs=pairs,
                        t=stored["t"] if winner == a else -stored["t"], p=stored["p"])
        if A is self.best:
            best, other = A, B
        elif B is self.best:
            best, other = B, A
        else:
            return None
        p = Fields(self.path, other.paired, other.display + ".paired_vs_best")
        pairs = p["pairs"]
        wins = int(math.floor(p["best_wins_fraction"] * pairs + 0.5))
        return dict(winner=best.display, loser=other.display, wins=wins, pairs=pairs, t=p["t"], p=p["p"])

    def leaders(self, opts=None):
        """Per step 1..steps: the optimizer with the lowest mean loss (step 0 is the same for all)."""
        opts = opts or self.opts
        out = []
        for s in range(1, self.steps + 1):
            c = [o for o in opts if s < len(o.curve) and _finite(o.curve[s])]
            out.append(min(c, key=lambda o: o.curve[s]).display if c else None)
        return out

    def test_leaders(self):
        """(test step, display of the lowest test loss) for every test step after 0."""
        if not self.test_steps:
            raise Failure("%s: missing field 'test_steps' (run with --test-every)" % self.path)
        out = []
        for i, s in enumerate(self.test_steps):
            if s == 0:
                continue
            c = [o for o in self.opts if o.test_curve and _finite(o.test_curve[i])]
            if not c:
                raise Failure("%s: no test_loss_curve at test step %d" % (self.path, s))
            out.append((s, min(c, key=lambda o: o.test_curve[i]).display))
        return out


def claim(ok, text):
    if not ok:
        raise Failure("the data contradicts the claim: " + text)


# ----------------------------------------------------------------------------------------------------
# Shared pieces of text

def eval_table(ev):
    """The results table exactly as `l2l eval --markdown` writes it, plus a note when a tuned rate is at
    the grid's edge."""
    T = ev.steps
    best = ev.best
    head = "| optimizer | learning rate | mean loss at step %d | std | median | diverged runs |" % T
    if ev.has_test:
        head += " test loss | test accuracy |"
    head += " paired with %s: best lower in | t | p |" % best.display
    rows = [head, "|---|---|---|---|---|---|" + ("---|---|" if ev.has_test else "") + "---|---|---|"]
    lo, hi = ev.tuning["min_rate"], ev.tuning["max_rate"]
    for o in ev.opts:
        b = "**" if o is best else ""
        if o.learned:
            rate = "learned"
        else:
            rate = lr_cell(o.lr)
            if o.tuned:
                edge = (", the grid's top" if math.isclose(o.lr, hi, rel_tol=1e-9)
                        else ", the grid's bottom" if math.isclose(o.lr, lo, rel_tol=1e-9) else "")
                rate += " (tuned%s)" % edge
        row = "| %s%s%s | %s | %s%s%s | %s | %s | %d/%d |" % (b, o.display, b, rate, b, tab(o.final), b, tab(o.std),
                                                          tab_median(o.median), o.diverged, ev.runs)
        if ev.has_test:
            acc = tab(100 * o.test_acc, 4) + "%" if _finite(o.test_acc) else "-"
            row += " %s | %s |" % (tab(o.test_loss), acc)
        if o is best:
            row += " - | - | - |"
        else:
            p = Fields(ev.path, o.paired, o.display + ".paired_vs_best")
            wins = int(math.floor(p["best_wins_fraction"] * p["pairs"] + 0.5))
            row += " %d/%d | %s | %s |" % (wins, p["pairs"], tab(p["t"], 3), tab(p["p"], 2))
        rows.append(row)
    return "\n".join(rows)


def pair_text(ev, a, b, names):
    """'the LSTM lower in 14/20 paired runs, t = −2.2, p = 0.040', or a statement that no paired statistic
    between a and b is stored (the file pairs every optimizer with its best only)."""
    pr = ev.pair(a, b)
    if pr is None:
        return "no paired statistic between them is stored: the file pairs each optimizer with its best, %s" % (
            h(ev.best.display, names))
    return "%s lower in %d/%d paired runs, t = %s, p = %s" % (h(pr["winner"], names), pr["wins"], pr["pairs"],
                                                             tstat(pr["t"]), pval(pr["p"]))


def short_pair(ev, a, b, names):
    """'NAG lower in 12/20, p = 0.32' or '' when not stored."""
    pr = ev.pair(a, b)
    if pr is None:
        return ""
    return "%s lower in %d/%d, p = %s" % (h(pr["winner"], names), pr["wins"], pr["pairs"], pval(pr["p"]))


def significance(pr):
    return "significant at 5 %" if pr is not None and pr["p"] < 0.05 else "not significant at 5 %"


def h(display, names=None):
    names = names or {}
    return names.get(display, HUMAN.get(display, "`%s`" % display))


def cap(text):
    return text[:1].upper() + text[1:]


def provenance_epochs(pv):
    return "%d of %d" % (pv["best_epoch"], pv["epochs"])


# ----------------------------------------------------------------------------------------------------
# Regions. Each: name -> (declared input files, function(Inputs) -> text, inline?).

REGIONS = {}


def region(name, inputs, inline=False):
    def deco(fn):
        if name in REGIONS:
            raise SystemExit("internal: region %s defined twice" % name)
        REGIONS[name] = (list(inputs), fn, inline)
        return fn
    return deco


Q = RES + "quadratic.json"
M100, M200 = RES + "mnist-100.json", RES + "mnist-200.json"
U100, U200 = RES + "mnist-unseen-100.json", RES + "mnist-unseen-200.json"
G40, G2L, GRELU = RES + "mnist-40-units.json", RES + "mnist-2-layers.json", RES + "mnist-relu.json"
FASH = RES + "fashion-mnist.json"
A64, A128 = RES + "art-64.json", RES + "art-128.json"
C10, C5, C2 = RES + "convnet.json", RES + "convnet-5.json", RES + "convnet-2.json"
BENCH, TIMES = RES + "bench.json", RES + "reproduce-times.json"
F2D = [("quadratic2d:start_noise=1", RES + "2d-quadratic2d.json"), ("ill-conditioned", RES + "2d-ill-conditioned.json"),
       ("saddle", RES + "2d-saddle.json"), ("himmelblau", RES + "2d-himmelblau.json"),
       ("rosenbrock", RES + "2d-rosenbrock.json")]
OPT_FILES = ["resources/optimizers/quadratic.json", "resources/optimizers/mnist.json", RES + "mnist-previous.json",
             RES + "mnist-previous-2.json",
             RES + "mnist-second-order-cosine.json",
             RES + "mnist-first-order.json", RES + "mnist-second-order.json", "resources/optimizers/2d.json",
             "resources/optimizers/neural-art.json"]
CONV_FILES = ["resources/optimizers/convnet.json", RES + "convnet-previous.json", RES + "convnet-shared.json",
              RES + "convnet-sub.json"]

# The --problem each eval file must have been made with (scripts/reproduce.sh), so that no file is mislabelled.
EXPECTED_PROBLEM = dict([(Q, "quadratic"), (M100, "mnist"), (M200, "mnist"), (U100, "mnist"), (U200, "mnist"),
                         (G40, "mnist:hidden=40"), (G2L, "mnist:hidden=20-20"), (GRELU, "mnist:activation=relu"),
                         (FASH, "fashion-mnist"), (A64, "neural-art:size=64,style=scream,content=test"),
                         (A128, "neural-art:size=128,style=hubble,content=test"), (C10, "convnet"),
                         (C5, "convnet:classes=0-4"), (C2, "convnet:classes=0+1")] + [(p, spec) for spec, p in F2D])

BUNDLED_MNIST = "lstm:mnist.json"
FIRST_ORDER = "lstm:mnist-first-order.json"
SECOND_ORDER = "lstm:mnist-second-order.json"
PREVIOUS_MNIST = "lstm:mnist-previous.json"
PREVIOUS2_MNIST = "lstm:mnist-previous-2.json"
MNIST_NAMES = {BUNDLED_MNIST: "the LSTM", FIRST_ORDER: "the first-order LSTM", SECOND_ORDER: "the second-order file",
               PREVIOUS_MNIST: "the previous bundled file", PREVIOUS2_MNIST: "the one before it"}


# --- run time and protocol ---------------------------------------------------------------------------

# The transfer section records a time per family (scripts/reproduce.sh: a run of some families keeps the others').
SECTION_ORDER = ["bench", "quadratic", "2d", "mnist", "mnist-unseen", "generalisation", "fashion-mnist", "art",
                 "convnet", "transfer-quadratic", "transfer-2d", "transfer-mnist", "transfer-neural-art",
                 "transfer-convnet"]


@region("runtime", [TIMES], inline=True)
def _runtime(inp):
    doc = inp.json(TIMES)
    secs = field(TIMES, doc, "sections")
    if not secs:
        raise Failure("%s: no sections recorded" % TIMES)
    known = [s for s in SECTION_ORDER if s in secs] + sorted(s for s in secs if s not in SECTION_ORDER)
    parts, total = [], 0
    for s in known:
        rec = Fields(TIMES, secs[s], "sections." + s)
        total += rec["seconds"]
        parts.append("%s: %s" % (s, minutes(rec["seconds"])))
    tools = sorted({Fields(TIMES, secs[s], "sections." + s)["tool"] for s in known})
    cores = sorted({Fields(TIMES, secs[s], "sections." + s)["cores"] for s in known})
    missing = [s for s in SECTION_ORDER if s not in secs]
    text = ("%s for the sections made by this build, on %s cores with a fresh tuning cache (so no rate cached by an "
            "earlier run, but the rates shipped in `resources/tuned-rates.json` were used where they apply, without "
            "a search: these are not the times of searching every rate) (%s; built as `%s`%s; the date, the "
            "load average at the start and the seconds of each section are in `docs/results/reproduce-times.json`)"
            % (minutes(total), "/".join(str(c) for c in cores), "; ".join(parts), "`, `".join(tools),
               "; no time recorded for " + ", ".join(missing) + " (their files come from earlier runs, or from a run stopped and resumed)"
               if missing else ""))
    return text


@region("tuning-protocol", [Q], inline=True)
def _tuning(inp):
    t = inp.eval(Q).tuning
    return ("a log grid (%s … %s, %d per decade) for the best mean final loss over %d instances drawn with the "
            "tuning seed %d" % (tab(t["min_rate"]), tab(t["max_rate"]), t["per_decade"], t["runs"], t["seed"]))


# A fine-tune's --init named the file bundled then, which has since been replaced: (path as recorded, its name now).
INIT_NOW = [("/work/main/resources/optimizers/mnist.json", "docs/results/mnist-previous.json"),
            ("/work/main/resources/optimizers/convnet.json", "docs/results/convnet-previous.json")]


def readable_command(cmd):
    """The recorded command as it can be run from the project root today: --init names the file it fine-tuned by its
    name now (the recorded path is the bundled file of the time, since replaced), said in a note."""
    note = ""
    for recorded, now in INIT_NOW:
        if "--init " + recorded in cmd:
            cmd = cmd.replace("--init " + recorded, "--init " + now)
            note = " (recorded as `--init %s`, the file bundled then)" % recorded
    return cmd, note


@region("optimizer-files", OPT_FILES)
def _optimizer_files(inp):
    rows = ["| file | command (from the file's provenance) | kept epoch | validation loss there |", "|---|---|---|---|"]
    for path in OPT_FILES:
        pv = inp.provenance(path)
        cmd, note = readable_command(pv["command"])
        rows.append("| `%s` | `%s`%s | %s | %s |" % (path, cmd.replace("|", "\\|"), note, provenance_epochs(pv),
                                                     tab(pv["validation_loss"])))
    return "\n".join(rows)


# --- 2-d functions -----------------------------------------------------------------------------------

@region("2d-table", [p for _, p in F2D])
def _2d_table(inp):
    cols = BASELINES + ["lstm:2d.json"]
    rows = ["| problem | runs × steps | " + " | ".join(h(c) if c in HUMAN else "LSTM (`2d.json`)" for c in cols) + " |",
            "|---|---|" + "---|" * len(cols)]
    for spec, path in F2D:
        ev = inp.eval(path)
        cells = []
        for c in cols:
            o = ev.opt(c)
            if o.diverged == ev.runs:
                cells.append("diverged in every run")
                continue
            cell = tab(o.final)
            if o is ev.best:
                cell = "**%s**" % cell
            if o.diverged:
                cell += " (%d/%d diverged)" % (o.diverged, ev.runs)
            cells.append(cell)
        rows.append("| `%s` | %d × %d | %s |" % (spec, ev.runs, ev.steps, " | ".join(cells)))
    return "\n".join(rows)


@region("2d-summary", [p for _, p in F2D])
def _2d_summary(inp):
    evs = {spec: inp.eval(path) for spec, path in F2D}
    own = evs["quadratic2d:start_noise=1"]
    lstm = own.opt("lstm:2d.json")
    ranked = sorted([o for o in own.opts if _finite(o.final)], key=lambda o: o.final)
    rank = ranked.index(lstm) + 1 if lstm in ranked else None
    diverging = [o for o in own.opts if o.diverged]
    div = (", ".join("%s in %d/%d runs" % (h(o.display, {"lstm:2d.json": "the LSTM"}), o.diverged, own.runs)
                     for o in diverging) if diverging else "none")
    ordinal = {1: "lowest", 2: "second-lowest", 3: "third-lowest"}.get(rank, "%d-th lowest" % rank if rank else "no")
    if own.best is lstm and rank and rank > 1:
        # The best by the rule (fewest diverged runs first): the means below the LSTM's are over fewer runs.
        lower = ", ".join("%s's %s over its %d finished runs" % (h(o.display), tab(o.final), own.runs - o.diverged)
                          for o in ranked[:rank - 1])
        s1 = ("On its own class (random 2-d quadratics with spread starts) the LSTM is the best of the five by the mean: "
              "the lowest mean final loss of those that finished every run (%s); only means over fewer runs are lower "
              "(%s); diverged: %s." % (tab(lstm.final), lower, div))
    else:
        s1 = ("On its own class (random 2-d quadratics with spread starts) the LSTM has the %s mean final loss of the "
              "five (%s; best %s, %s); diverged: %s." % (ordinal, tab(lstm.final),
                                                          h(own.best.display, {"lstm:2d.json": "the LSTM"}),
                                                          tab(own.best.final), div))
    # The mean is not the typical run: say where the median and the paired runs disagree with it.
    # A median counts a diverged run as the worst (+inf once half the runs diverged), so every optimizer has one.
    by_median = sorted([o for o in own.opts if o.median is not None and not math.isnan(o.median)],
                       key=lambda o: o.median)
    if lstm in by_median and by_median[0] is not lstm:
        from_top = len(by_median) - by_median.index(lstm)
        place = "highest" if from_top == 1 else {2: "second-highest", 3: "third-highest"}.get(from_top, "%d-th" % from_top)
        gone = [o for o in by_median if o.median == math.inf]
        s1 += (" Its median final loss, %s, is the %s of the five (%s%s)" % (
            tab(lstm.median), place,
            ", ".join("%s %s" % (h(o.display), tab_median(o.median)) for o in by_median if o is not lstm),
            "; a median counts a diverged run as the worst, and %s diverged in %s of %d runs" % (
                join_and(h(o.display) for o in gone), join_and(str(o.diverged) for o in gone), own.runs)
            if gone else ""))
        if own.best is lstm:
            runs = []
            for o in sorted((o for o in own.opts if o is not lstm), key=lambda o: -o.median):
                p = Fields(own.path, o.paired, o.display + ".paired_vs_best") # the LSTM is the best: its pairs
                runs.append("than %s in %d/%d" % (h(o.display), int(math.floor(p["best_wins_fraction"] * p["pairs"] + 0.5)),
                                                  p["pairs"]))
            s1 += ("; run by run it ended lower " + ", ".join(runs) + " of the runs where both finished: a few "
                   "runs in which the others stall far from the minimum make their means, and a fast typical run "
                   "of theirs is not seen in them.")
        else:
            s1 += "."
    places = []
    for key, title in (("rosenbrock", "Rosenbrock"), ("ill-conditioned", "the ill-conditioned quadratic"),
                       ("himmelblau", "Himmelblau"), ("saddle", "the saddle")):
        ev = evs[key]
        lo = ev.opt("lstm:2d.json")
        fin = sorted([o for o in ev.opts if _finite(o.final)], key=lambda o: o.final)
        place = {1: "lowest", len(fin): "highest"}.get(fin.index(lo) + 1, "%s-lowest" % {2: "second", 3: "third",
                                                                  4: "fourth"}.get(fin.index(lo) + 1, "?")) \
            if lo in fin else "no finite"
        other = fin[1] if fin and fin[0] is lo and len(fin) > 1 else (fin[0] if fin else None)
        places.append("on %s it has the %s final loss of the five, %s (%s: %s, %s)" % (
            title, place, tab(lo.final), "next" if fin and fin[0] is lo else "best",
            h(other.display) if other else "none", tab(other.final) if other else "-"))
    s2 = "From the fixed starts of the Trajectories view, " + "; ".join(places) + "."
    fixed = [evs[k] for k in ("ill-conditioned", "saddle", "himmelblau", "rosenbrock")]
    maxstd = max(o.std for e in fixed for o in e.opts if _finite(o.std))
    s3 = ("The fixed-start functions are deterministic: the largest std over runs among them is %s, so every run is "
          "the same." % tab(maxstd)) if maxstd == 0 else (
          "The fixed-start functions have a std over runs of up to %s." % tab(maxstd))
    return " ".join([s1, s2, s3])


# --- quadratics ----------------------------------------------------------------------------------------

@region("quadratic-table", [Q])
def _q_table(inp):
    return eval_table(inp.eval(Q))


LSTM_Q = "lstm:quadratic.json"


def quadratic_checks(ev):
    lstm = ev.opt(LSTM_Q)
    claim(ev.best is lstm, "the LSTM has the lowest mean final loss on the quadratics (%s)" % ev.path)
    return lstm


@region("quadratic-summary", [Q])
def _q_summary(inp):
    ev = inp.eval(Q)
    lstm = quadratic_checks(ev)
    second = min(ev.baselines(), key=lambda o: o.final)
    med_best = min(ev.opts, key=lambda o: o.median)
    base_pairs = [ev.pair(LSTM_Q, o.display) for o in ev.baselines()]
    majority = all(p["wins"] * 2 > p["pairs"] for p in base_pairs)
    maxp = max(p["p"] for p in base_pairs)
    heavy = all(o.std > o.final for o in ev.opts)
    parts = ["The LSTM has the lowest mean (%s vs %s's %s)" % (loss(lstm.final), h(second.display), loss(second.final))]
    if med_best is lstm:
        second_med = min((o for o in ev.opts if o is not lstm), key=lambda o: o.median)
        parts.append(" and median (%s vs %s)" % (num(lstm.median, 2), num(second_med.median, 2)))
    else:
        parts.append("; the lowest median is %s's (%s vs the LSTM's %s)" % (h(med_best.display), num(med_best.median, 2),
                                                                           num(lstm.median, 2)))
    if majority:
        parts.append(", and is lower than every baseline in a majority of the paired runs (p ≤ %s against each)."
                     % pval(maxp))
    else:
        parts.append("; paired with each baseline it is lower in " + ", ".join(
            "%d/%d (%s)" % (p["wins"], p["pairs"], h(p["loser"])) for p in base_pairs) + " runs.")
    if heavy:
        parts.append(" Every optimizer's std exceeds its mean: a few ill-conditioned functions dominate the means, "
                     "hence the medians.")
    div = [o for o in ev.opts if o.diverged]
    if div:
        parts.append(" Diverged: " + ", ".join("tuned %s on %d of the %d evaluation functions" % (h(o.display), o.diverged,
                                                                                                ev.runs) for o in div)
                     + " (its rate was tuned on %d other functions, which is the paper's protocol)." % ev.tuning["runs"])
    return "".join(parts)


@region("readme-quadratic", [Q], inline=True)
def _readme_q(inp):
    ev = inp.eval(Q)
    lstm = quadratic_checks(ev)
    names = {LSTM_Q: "LSTM"}
    order = sorted(ev.opts, key=lambda o: o.final)
    means = ", ".join("%s %s" % (h(o.display, names), loss(o.final)) for o in order)
    div = [o for o in ev.opts if o.diverged]
    dtext = (" (%s)" % "; ".join("%s: %d of %d runs diverged" % (h(o.display, names), o.diverged, ev.runs) for o in div)
             if div else "")
    second = min(ev.baselines(), key=lambda o: o.final)
    pr = ev.pair(LSTM_Q, second.display)
    return ("%d functions, %d steps: mean final loss %s%s; the LSTM is lower than %s in %d/%d paired runs (t = %s, "
            "p = %s)" % (ev.runs, ev.steps, means, dtext, h(second.display), pr["wins"], pr["pairs"], tstat(pr["t"]),
                         pval(pr["p"])))


# --- MNIST -------------------------------------------------------------------------------------------

@region("mnist-100-table", [M100])
def _m100(inp):
    return eval_table(inp.eval(M100))


@region("mnist-200-table", [M200])
def _m200(inp):
    return eval_table(inp.eval(M200))


def mnist_headline(e100, e200):
    for ev in (e100, e200):
        claim(ev.best.display == BUNDLED_MNIST,
              "the bundled MNIST LSTM has the lowest mean final loss at step %d (%s)" % (ev.steps, ev.path))


def plateau_text(ev, names):
    """Mean loss at step 10 and the first step each optimizer's mean loss is below 2 (ln 10 ≈ 2.30 at the start)."""
    order = [BUNDLED_MNIST] + [o.display for o in ev.baselines()]
    at10 = ", ".join("%s %s" % (h(d, names), loss(ev.opt(d).at(10))) for d in order)
    first = []
    for d in order:
        o = ev.opt(d)
        s = next((i for i, v in enumerate(o.curve) if _finite(v) and v < 2.0), None)
        first.append("%s %s" % (h(d, names), s if s is not None else "never"))
    return "mean loss at step 10: %s; first step with a mean loss below 2: %s" % (at10, ", ".join(first))


@region("mnist-summary", [M100, M200])
def _m_summary(inp):
    e100, e200 = inp.eval(M100), inp.eval(M200)
    mnist_headline(e100, e200)
    names = dict(MNIST_NAMES)
    nb = e100.best_baseline()
    nb2 = e200.best_baseline()
    l1, l2 = e100.opt(BUNDLED_MNIST), e200.opt(BUNDLED_MNIST)
    p1, p2 = e100.pair(BUNDLED_MNIST, nb.display), e200.pair(BUNDLED_MNIST, nb2.display)
    s = ("What happens: every optimizer starts on the ln 10 ≈ 2.30 plateau; %s. " % plateau_text(e100, names))
    s += ("**At step 100 the bundled LSTM has the lowest mean final loss, %s vs tuned %s's %s (LSTM lower in %d/%d "
          "paired runs, t = %s, p = %s), and, run on for 200 steps, %s vs %s's %s (lower in %d/%d, p = %s)**; test loss "
          "%s vs %s and %s vs %s, test accuracy %s vs %s and %s vs %s. The difference is %s at step 100 and %s at "
          "step 200 over these %d runs."
          % (loss(l1.final), h(nb.display), loss(nb.final), p1["wins"], p1["pairs"], tstat(p1["t"]), pval(p1["p"]),
             loss(l2.final), h(nb2.display), loss(nb2.final), p2["wins"], p2["pairs"], pval(p2["p"]),
             loss(l1.test_loss), loss(nb.test_loss), loss(l2.test_loss), loss(nb2.test_loss),
             pct(l1.test_acc), pct(nb.test_acc), pct(l2.test_acc), pct(nb2.test_acc),
             significance(p1), significance(p2), e100.runs))
    return s


@region("readme-mnist", [M100, M200], inline=True)
def _readme_mnist(inp):
    e100, e200 = inp.eval(M100), inp.eval(M200)
    mnist_headline(e100, e200)
    names = {BUNDLED_MNIST: "LSTM"}
    shown = [o for o in sorted(e100.opts, key=lambda o: o.final) if o.display in BASELINES + [BUNDLED_MNIST]]
    nb, nb2 = e100.best_baseline(), e200.best_baseline()
    p1, p2 = e100.pair(BUNDLED_MNIST, nb.display), e200.pair(BUNDLED_MNIST, nb2.display)
    return ("mean final loss at step %d %s (LSTM lower than %s in %d/%d paired runs, p = %s); the same optimizer run "
            "for %d steps: LSTM %s, %s %s (%d/%d, p = %s). Mean loss at step 10: LSTM %s, %s %s (the plateau is "
            "ln 10 ≈ 2.30)"
            % (e100.steps, ", ".join("%s %s" % (h(o.display, names), loss(o.final)) for o in shown), h(nb.display),
               p1["wins"], p1["pairs"], pval(p1["p"]), e200.steps, loss(e200.opt(BUNDLED_MNIST).final), h(nb2.display),
               loss(nb2.final), p2["wins"], p2["pairs"], pval(p2["p"]), loss(e100.opt(BUNDLED_MNIST).at(10)),
               h(nb.display), loss(nb.at(10))))


@region("readme-mnist-first-order", [M100, M200, RES + "mnist-first-order.json"], inline=True)
def _readme_mnist_first_order(inp):
    e100, e200 = inp.eval(M100), inp.eval(M200)
    pv = inp.provenance(RES + "mnist-first-order.json")
    fo100, fo200 = e100.opt(FIRST_ORDER), e200.opt(FIRST_ORDER)
    nb, nb2 = e100.best_baseline(), e200.best_baseline()
    return ("%s at step %d and %s at step %d (best tuned baseline %s: %s and %s), trained for %s epochs and kept at "
            "epoch %s" % (loss(fo100.final), e100.steps, loss(fo200.final), e200.steps, h(nb.display), loss(nb.final),
                          loss(nb2.final), pv["epochs"], pv["best_epoch"]))


@region("mnist-unseen-100-table", [U100])
def _u100(inp):
    return eval_table(inp.eval(U100))


@region("mnist-unseen-200-table", [U200])
def _u200(inp):
    return eval_table(inp.eval(U200))


def versus(ev, a, b, names):
    """'0.285 vs NAG 0.316 (the LSTM lower in 37/50, p = 0.00056)': a's and b's mean final loss and their pair."""
    x, y = ev.opt(a), ev.opt(b)
    pt = short_pair(ev, a, b, names)
    return "%s vs %s %s%s" % (loss(x.final), h(b, names), loss(y.final), " (%s)" % pt if pt else
                                 " (no paired statistic stored: the best there is %s)" % h(ev.best.display, names))


def unseen_verdict(evs):
    """Whether the bundled optimizer is below tuned NAG and Adam at every horizon with p < 0.05, paired."""
    for ev in evs:
        lstm = ev.opt(BUNDLED_MNIST)
        for b in ("nag", "adam"):
            pr = ev.pair(BUNDLED_MNIST, b)
            if pr is None or pr["winner"] != BUNDLED_MNIST or not pr["p"] < 0.05 or not lstm.final < ev.opt(b).final:
                return False
    return True


@region("mnist-unseen-summary", [U100, U200, "resources/optimizers/mnist.json"])
def _u_summary(inp):
    u100, u200 = inp.eval(U100), inp.eval(U200)
    claim(u100.seed == u200.seed and u100.runs == u200.runs, "both horizons use the same runs (%s)" % U100)
    names = dict(MNIST_NAMES)
    pv = inp.provenance("resources/optimizers/mnist.json")
    claim(pv.get("selection") is not None, "the bundled MNIST optimizer records how it was selected")
    ok = unseen_verdict((u100, u200))
    return ("On %d runs of seed %d, which no optimizer was trained or selected on, the bundled optimizer (kept epoch %s; "
            "chosen on selection seed %d) ends at %s and %s at step %d, and at %s and %s at step %d; the previous "
            "bundled file at %s and %s, the one before it at %s and %s. **The test of issue 19 (below tuned NAG and "
            "Adam at %d and %d steps, p < 0.05 paired) is %s on these runs.**"
            % (u100.runs, u100.seed, provenance_epochs(pv), pv["selection"]["seed"],
               versus(u100, BUNDLED_MNIST, "nag", names), versus(u100, BUNDLED_MNIST, "adam", names), u100.steps,
               versus(u200, BUNDLED_MNIST, "nag", names), versus(u200, BUNDLED_MNIST, "adam", names), u200.steps,
               loss(u100.opt(PREVIOUS_MNIST).final), loss(u200.opt(PREVIOUS_MNIST).final),
               loss(u100.opt(PREVIOUS2_MNIST).final), loss(u200.opt(PREVIOUS2_MNIST).final), u100.steps, u200.steps,
               "met" if ok else "not met"))


def horizons_vs_baselines(evs, names):
    """'step 100: <vs NAG>, <vs Adam>; step 200: ...' for the bundled MNIST optimizer on each evaluation."""
    return "; ".join("step %d: %s, %s" % (u.steps, versus(u, BUNDLED_MNIST, "nag", names),
                                           versus(u, BUNDLED_MNIST, "adam", names)) for u in evs)


U4242 = (RES + "mnist-unseen-4242-100.json", RES + "mnist-unseen-4242-200.json")


@region("mnist-unseen-4242", list(U4242) + [U100], inline=True)
def _u_4242(inp):
    o100, o200 = (inp.eval(p) for p in U4242)
    claim(o100.seed != inp.eval(U100).seed, "the earlier unseen runs are another seed (%s)" % U4242[0])
    return "on %d runs of seed %d the same files gave %s (test %s)" % (
        o100.runs, o100.seed, horizons_vs_baselines((o100, o200), dict(MNIST_NAMES)),
        "met" if unseen_verdict((o100, o200)) else "not met")


@region("mnist-unseen-vs-report", [U100, U200, M100, M200], inline=True)
def _u_vs_report(inp):
    u100, u200, m100, m200 = inp.eval(U100), inp.eval(U200), inp.eval(M100), inp.eval(M200)
    claim(u100.seed == u200.seed and u100.seed not in (m100.seed, m200.seed),
          "the unseen runs use a seed the report does not (%s, %s)" % (U100, M100))
    return "on %d runs of seed %d (never used to train or select) the same comparison gives %s" % (
        u100.runs, u100.seed, horizons_vs_baselines((u100, u200), dict(MNIST_NAMES)))


@region("readme-mnist-unseen", [U100, U200], inline=True)
def _readme_unseen(inp):
    u100, u200 = inp.eval(U100), inp.eval(U200)
    return "%s; below tuned NAG and Adam at both horizons with p < 0.05: %s" % (
        horizons_vs_baselines((u100, u200), {BUNDLED_MNIST: "the LSTM"}),
        "yes" if unseen_verdict((u100, u200)) else "no")


def selection_table(inp, path):
    sel = inp.provenance(path)["selection"]
    rows = ["| candidate | mean final loss at step %d on the %d selection runs (seed %d) |" % (sel["steps"], sel["runs"],
                                                                                               sel["seed"]),
            "|---|---|"]
    for c in sel["candidates"]:
        mark = "**" if c["score"] == sel["score"] else ""
        rows.append("| %s%s%s | %s%s%s |" % (mark, c["file"], mark, mark, tab(c["score"], 4), mark))
    return "\n".join(rows)


@region("mnist-selection-record", ["resources/optimizers/mnist.json"])
def _selection_record(inp):
    return selection_table(inp, "resources/optimizers/mnist.json")


@region("art-selection-record", ["resources/optimizers/neural-art.json"])
def _art_selection_record(inp):
    return selection_table(inp, "resources/optimizers/neural-art.json")


@region("convnet-selection-record", ["resources/optimizers/convnet.json"])
def _convnet_selection_record(inp):
    return selection_table(inp, "resources/optimizers/convnet.json")


@region("mnist-second-order-summary", [M100, M200, RES + "mnist-second-order.json"])
def _so_summary(inp):
    e100, e200 = inp.eval(M100), inp.eval(M200)
    pv = inp.provenance(RES + "mnist-second-order.json")
    names = dict(MNIST_NAMES, **{BUNDLED_MNIST: "the bundled optimizer"})
    parts = []
    for ev in (e100, e200):
        so, nag = ev.opt(SECOND_ORDER), ev.opt("nag")
        parts.append("%s vs NAG %s at step %d (test accuracy %s vs %s)" % (loss(so.final), loss(nag.final), ev.steps,
                                                                           pct(so.test_acc), pct(nag.test_acc)))
    return ("Kept epoch %s, validation loss %s. On the reported runs: %s. Mean loss at step 10: %s, NAG %s. Paired "
            "with the best of the file at step 100: %s."
            % (provenance_epochs(pv), tab(pv["validation_loss"]), " and ".join(parts), loss(e100.opt(SECOND_ORDER).at(10)),
               loss(e100.opt("nag").at(10)), pair_text(e100, SECOND_ORDER, e100.best.display, names)))


@region("mnist-open-question", [M100, M200, "resources/optimizers/mnist.json"], inline=True)
def _m_open(inp):
    e100, e200 = inp.eval(M100), inp.eval(M200)
    mnist_headline(e100, e200)
    pv = inp.provenance("resources/optimizers/mnist.json")
    p1 = e100.pair(BUNDLED_MNIST, e100.best_baseline().display)
    p2 = e200.pair(BUNDLED_MNIST, e200.best_baseline().display)
    bases = []
    for ev in (e100, e200):
        if h(ev.best_baseline().display) not in bases:
            bases.append(h(ev.best_baseline().display))
    sig = lambda pr: "significant at 5 %" if pr["p"] < 0.05 else "not significant at 5 %"
    return ("has a lower mean than the best tuned baseline (%s) at %d and %d steps on the reported runs (lower in "
            "%d/%d and %d/%d paired runs, p = %s, %s, and p = %s, %s); it was meta-trained for %d epochs and the kept "
            "one is epoch %d" % (
                " / ".join(bases), e100.steps, e200.steps, p1["wins"], p1["pairs"], p2["wins"], p2["pairs"],
                pval(p1["p"]), sig(p1), pval(p2["p"]), sig(p2), pv["epochs"], pv["best_epoch"]))


# --- generalisation ----------------------------------------------------------------------------------

@region("mnist-40-units-table", [G40])
def _g40(inp):
    return eval_table(inp.eval(G40))


@region("mnist-2-layers-table", [G2L])
def _g2l(inp):
    return eval_table(inp.eval(G2L))


@region("mnist-relu-table", [GRELU])
def _grelu(inp):
    return eval_table(inp.eval(GRELU))


def standing(ev, display, names):
    """Where `display` stands on one variant: '**the lowest mean** (0.251 vs Adam 0.300, the LSTM lower in 18/20,
    p = 5.8e-05)', '**level with Adam** (...)' (a better baseline, not significant at 5 %) or '**behind Adam**'."""
    me, bb = ev.opt(display), ev.best_baseline()
    pt = short_pair(ev, display, bb.display, names)
    pt = ", " + pt if pt else ""
    if me.final <= bb.final:
        head = "**the lowest mean of the tuned baselines and it**" if ev.best.display != display else "**the lowest mean**"
    else:
        pr = ev.pair(display, bb.display)
        head = "**behind %s**" % h(bb.display) if pr is not None and pr["p"] < 0.05 else "**level with %s**" % h(bb.display)
    return "%s (%s vs %s %s%s)" % (head, loss(me.final), h(bb.display), loss(bb.final), pt)


def generalisation_checks(g40, g2l, grelu):
    for ev in (g40, g2l, grelu):
        claim(ev.opt(BUNDLED_MNIST) is not None and ev.best_baseline() is not None,
              "the bundled MNIST LSTM and the baselines are in %s" % ev.path)


@region("generalisation-summary", [G40, G2L, GRELU])
def _g_summary(inp):
    g40, g2l, grelu = inp.eval(G40), inp.eval(G2L), inp.eval(GRELU)
    generalisation_checks(g40, g2l, grelu)
    names = dict(MNIST_NAMES)
    l2 = g2l.opt(BUNDLED_MNIST)
    return ("The bundled optimizer (RNNprop, trained on randomly rescaled 784-20-10 nets) on 40 hidden units: %s; on "
            "2 hidden layers: %s, test accuracy %s (ln 10 ≈ 2.30 is the starting plateau; the paper reports this "
            "variant as working); on ReLU units, the paper's failure case: %s. The first-order file of the last row "
            "(p = 10, bundled before) ends at %s, %s and %s."
            % (standing(g40, BUNDLED_MNIST, names), standing(g2l, BUNDLED_MNIST, names), pct(l2.test_acc, 2),
               standing(grelu, BUNDLED_MNIST, names), loss(g40.opt(FIRST_ORDER).final),
               loss(g2l.opt(FIRST_ORDER).final), loss(grelu.opt(FIRST_ORDER).final)))


@region("readme-generalisation", [G40, G2L, GRELU], inline=True)
def _readme_g(inp):
    g40, g2l, grelu = inp.eval(G40), inp.eval(G2L), inp.eval(GRELU)
    generalisation_checks(g40, g2l, grelu)
    names = {BUNDLED_MNIST: "the LSTM"}
    return ("On 40 hidden units it has %s; on 2 hidden layers %s; on ReLU units (the paper's failure case) %s"
            % (standing(g40, BUNDLED_MNIST, names), standing(g2l, BUNDLED_MNIST, names),
               standing(grelu, BUNDLED_MNIST, names)))


@region("fashion-mnist-table", [FASH])
def _fash_table(inp):
    return eval_table(inp.eval(FASH))


@region("fashion-mnist-summary", [FASH])
def _fash(inp):
    ev = inp.eval(FASH)
    names = {BUNDLED_MNIST: "the bundled one", FIRST_ORDER: "the first-order one"}
    b = ev.best
    if b.display in BASELINES:
        lead = "The MNIST-trained optimizers do not beat tuned %s on Fashion-MNIST (%s)" % (h(b.display), loss(b.final))
    else:
        bb = ev.best_baseline()
        pt = short_pair(ev, b.display, bb.display, names)
        lead = "On Fashion-MNIST %s has the lowest mean (%s; best baseline %s %s%s)" % (
            h(b.display, names), loss(b.final), h(bb.display), loss(bb.final), "; " + pt if pt else "")
    rest = []
    for d in (BUNDLED_MNIST, FIRST_ORDER):
        if ev.opt(d) is b:
            continue
        pt = short_pair(ev, d, b.display, names)
        rest.append("%s ends at %s%s" % (h(d, names), loss(ev.opt(d).final), " (%s)" % pt if pt else ""))
    return lead + ": " + ", ".join(rest) + "."


# --- neural art --------------------------------------------------------------------------------------

ART_LSTM = "lstm:neural-art.json"


@region("art-training", ["resources/optimizers/neural-art.json"], inline=True)
def _art_training(inp):
    pv = inp.provenance("resources/optimizers/neural-art.json")
    return ("%d epochs in all; the best validation, %s mean loss over %d steps on held-out training-class instances, "
            "was at epoch %d" % (pv["epochs"], loss(pv["validation_loss"]), pv["horizon"], pv["best_epoch"]))


@region("art-64-table", [A64])
def _a64(inp):
    return eval_table(inp.eval(A64))


@region("art-128-table", [A128])
def _a128(inp):
    return eval_table(inp.eval(A128))


def art_steps(ev):
    out, s = [], 8
    while s < ev.steps:
        out.append(s)
        s *= 2
    return out + [ev.steps]


def run_mean(o, T):
    vals = o.curve[1:T + 1]
    if len(vals) != T or not all(_finite(v) for v in vals):
        raise Failure("%s: loss_mean of %s is incomplete" % (o.fields.path, o.display))
    return sum(vals) / T


@region("art-steps-table", [A64, A128])
def _art_steps(inp):
    e64, e128 = inp.eval(A64), inp.eval(A128)
    steps = art_steps(e64)
    if art_steps(e128) != steps:
        raise Failure("%s and %s have different step counts" % (A64, A128))
    rows = ["| | optimizer | " + " | ".join("step %d" % s for s in steps) + " | mean over steps 1–%d |" % steps[-1],
            "|---|---|" + "---|" * (len(steps) + 1)]
    for label, ev in (("64×64, training style", e64), ("128×128, new style", e128)):
        cols = [[o.at(s) for o in ev.opts] for s in steps] + [[run_mean(o, ev.steps) for o in ev.opts]]
        lows = [min(c) for c in cols]
        for i, o in enumerate(ev.opts):
            cells = []
            for c, lo in zip(cols, lows):
                cells.append("**%s**" % tab(c[i]) if c[i] == lo else tab(c[i]))
            rows.append("| %s | %s | %s |" % (label if i == 0 else "", o.display, " | ".join(cells)))
    return "\n".join(rows)


def art_checks(e64, e128):
    for ev in (e64, e128):
        claim(ev.best.display != ART_LSTM,
              "the neural-art LSTM does not have the lowest mean at the last step (%s)" % ev.path)


@region("art-summary", [A64, A128], inline=True)
def _art_summary(inp):
    e64, e128 = inp.eval(A64), inp.eval(A128)
    art_checks(e64, e128)
    names = {ART_LSTM: "the LSTM"}
    steps = art_steps(e64)[:-1]

    def lowest_at(ev):
        return [s for s in steps if min(ev.opts, key=lambda o: o.at(s)).display == ART_LSTM]

    l64, l128 = lowest_at(e64), lowest_at(e128)
    claim(l64 and l128, "the neural-art LSTM has the lowest mean at some intermediate step at both sizes (fast early)")
    lstm64 = e64.opt(ART_LSTM)
    best64 = e64.best
    mid = 32 if 32 in steps else steps[len(steps) // 2]
    within = rel_pct(lstm64.at(mid), lstm64.final)
    best_above = rel_pct(best64.at(mid), best64.final)
    shown = "every intermediate step shown (%s)" % join_and(str(s) for s in steps) if l64 == steps else \
        "steps %s (of %s)" % (join_and(str(s) for s in l64) or "none", join_and(str(s) for s in steps))
    out = ["At 64×64 on held-out content the LSTM has the lowest mean loss of all five optimizers at %s: by step %d it "
           "is within %s %% of its final loss, while %s is still %s %% above its own."
           % (shown, mid, within, h(best64.display), best_above)]
    div = sum(o.diverged for o in e128.opts if o.display == ART_LSTM)
    out.append(" Transferred to a style it never saw, at four times the pixels, it has %s and is the lowest at steps %s."
               % ("no divergence (no tuning)" if div == 0 else "%d diverged runs" % div, join_and(str(s) for s in l128)
                  or "none"))
    parts = []
    for ev, size in ((e64, "64×64"), (e128, "128×128")):
        b, l = ev.best, ev.opt(ART_LSTM)
        pr = ev.pair(ART_LSTM, b.display)
        parts.append("tuned %s ends %s %% lower at %s (%s vs %s, lower in %d/%d paired runs)" % (
            h(b.display), rel_pct(l.final, b.final), size, loss4(b.final), loss4(l.final), pr["wins"],
            pr["pairs"]))
    out.append(" But it does **not** beat the best tuned baseline at the last step in either setting: %s." % "; ".join(parts))
    spread = rel_pct(max(o.final for o in e64.opts), min(o.final for o in e64.opts))
    out.append(" All five end within %s %% of each other at 64×64." % spread)
    # Nor is it ahead over the whole run (the mean over every step, what a meta-loss summed over the run measures):
    # every step, not only those in the table, and where it is not the lowest.
    where = []
    for ev, size in ((e64, "64×64"), (e128, "128×128")):
        low = [s for s in range(1, ev.steps + 1) if min(ev.opts, key=lambda o: o.at(s)).display == ART_LSTM]
        where.append("%s of %d at %s" % (ranges(low) if low else "none", ev.steps, size))
    out.append(" Counting every step, not only those in the table, it has the lowest mean loss only at steps %s."
               % " and ".join(where))
    whole = []
    for ev, size in ((e64, "64×64"), (e128, "128×128")):
        mean_over = {o.display: sum(o.at(x) for x in range(1, ev.steps + 1)) / ev.steps for o in ev.opts}
        low = min(mean_over, key=mean_over.get)
        if low != ART_LSTM:
            whole.append("%s's at %s (%s vs %s)" % (h(low), size, loss4(mean_over[low]), loss4(mean_over[ART_LSTM])))
    if whole:
        out.append(" Nor is its mean loss over all %d steps the lowest: %s %s lower." % (
            e64.steps, join_and(whole), "is" if len(whole) == 1 else "are"))
    return "".join(out)


@region("readme-art", [A64, A128], inline=True)
def _readme_art(inp):
    e64, e128 = inp.eval(A64), inp.eval(A128)
    art_checks(e64, e128)
    steps = art_steps(e64)[:-1]
    both = [s for s in steps if all(min(ev.opts, key=lambda o: o.at(s)).display == ART_LSTM for ev in (e64, e128))]
    bests = sorted({ev.best.display for ev in (e64, e128)})
    r = [rel_pct(ev.opt(ART_LSTM).final, ev.best.final) for ev in (e64, e128)]
    return ("%d runs of %d steps: the LSTM trained at 64×64 on The Scream has the lowest mean loss of the five optimizers "
            "at steps %s, at 64×64 and on a new style (Hubble) at 128×128, but tuned %s ends %s %% and %s %% lower at "
            "step %d (%s vs %s; %s vs %s)"
            % (e64.runs, e64.steps, join_and(str(s) for s in both) or "(none)", " / ".join(h(b) for b in bests), r[0],
               r[1], e64.steps, loss4(e64.best.final), loss4(e64.opt(ART_LSTM).final), loss4(e128.best.final),
               loss4(e128.opt(ART_LSTM).final)))


# --- conv net ----------------------------------------------------------------------------------------

CONV_LSTM, CONV_SHARED, CONV_SUB = "lstm:convnet.json", "lstm:convnet-shared.json", "lstm:convnet-sub.json"
CONV_NAMES = {CONV_LSTM: "the two LSTMs", CONV_SHARED: "the shared LSTM", CONV_SUB: "LSTM-sub"}
SUB_NAMES = {CONV_LSTM: "the LSTM trained on all ten classes", CONV_SUB: "LSTM-sub"}


@region("convnet-training-table", CONV_FILES)
def _conv_training(inp):
    meta = {"resources/optimizers/convnet.json": ("`resources/optimizers/convnet.json` (bundled: `lstm` on any convnet)",
                                                  "two: conv kernels / the rest (the official code's split)"),
            RES + "convnet-previous.json": ("`docs/results/convnet-previous.json` (bundled before it)", "two"),
            RES + "convnet-shared.json": ("`docs/results/convnet-shared.json`", "one, shared"),
            RES + "convnet-sub.json": ("`docs/results/convnet-sub.json` (\"LSTM-sub\")", "two")}
    rows = ["| file | LSTMs | trained on | epochs | BPTT window, meta-loss | best validation loss | at epoch |",
            "|---|---|---|---|---|---|---|"]
    for path in CONV_FILES:
        pv = inp.provenance(path)
        problem = pv["problem"]
        trained = "classes %s only" % problem.split("classes=")[1] if "classes=" in problem else "all classes"
        if "--init" in pv["command"]:
            trained += ", from the previous file's weights"
        window = "%d of %d steps, %s" % (pv["unroll"], pv["horizon"],
                                         "sum of log losses" if pv.get("meta_loss") == "log" else "sum of losses")
        which = "at the last step" if pv.get("validate_on_final_loss") else "mean over the %d steps" % pv["horizon"]
        rows.append("| %s | %s | %s | %d | %s | %s (%s) | %d |" % (
            meta[path][0], meta[path][1], trained, pv["epochs"], window, tab(pv["validation_loss"], 3), which,
            pv["best_epoch"]))
    return "\n".join(rows)


@region("convnet-table", [C10])
def _c10(inp):
    return eval_table(inp.eval(C10))


@region("convnet-5-table", [C5])
def _c5(inp):
    return eval_table(inp.eval(C5))


@region("convnet-2-table", [C2])
def _c2(inp):
    return eval_table(inp.eval(C2))


def lead_text(ev, display):
    """'at 75 of the 100 steps (every step from 1 to 59)' for the optimizer's share of lowest mean loss."""
    leaders = ev.leaders()
    steps = [i + 1 for i, d in enumerate(leaders) if d == display]
    if not steps:
        return "at none of the %d steps" % ev.steps
    streak = 0
    while streak < len(leaders) and leaders[streak] == display:
        streak += 1
    detail = (" (every step from 1 to %d)" % streak) if streak >= 2 else ""
    return "at %d of the %d steps%s" % (len(steps), ev.steps, detail)


def test_lead_text(ev, names):
    """'the two LSTMs at steps 10–70, NAG at 80–100'."""
    tl = ev.test_leaders()
    seq = [s for s, _ in tl]
    out, order = {}, []
    for s, d in tl:
        if d not in out:
            order.append(d)
            out[d] = []
        out[d].append(s)
    return ", ".join("%s at step%s %s" % (h(d, names), "s" if len(out[d]) > 1 else "", ranges(out[d], seq)) for d in order)


def test_final(o):
    if not o.test_curve or not _finite(o.test_curve[-1]):
        raise Failure("%s: %s has no test loss at the last test step" % (o.fields.path, o.display))
    return o.test_curve[-1]


def convnet_checks(c10, c5, c2):
    claim(c10.opt(CONV_LSTM).final < c10.opt(CONV_SHARED).final,
          "two LSTMs end lower than one shared LSTM on the conv net (%s)" % c10.path)
    for ev in (c5, c2):
        # Level: no significant paired difference where the file stores that pair; otherwise (the file pairs
        # each optimizer with its best only) LSTM-sub's mean final loss is not above the other's by over 10 %.
        pr = ev.pair(CONV_SUB, CONV_LSTM)
        sub, lstm = ev.opt(CONV_SUB).final, ev.opt(CONV_LSTM).final
        claim((pr["p"] >= 0.05 or pr["winner"] == CONV_SUB) if pr is not None else sub <= 1.1 * lstm,
              "LSTM-sub is level with (or better than) the LSTM trained on all classes (%s)" % ev.path)


@region("convnet-summary", [C10, C5, C2])
def _c10_summary(inp):
    c10, c5, c2 = inp.eval(C10), inp.eval(C5), inp.eval(C2)
    convnet_checks(c10, c5, c2)
    names = dict(CONV_NAMES)
    sh, ad, two, bb = c10.opt(CONV_SHARED), c10.opt("adam"), c10.opt(CONV_LSTM), c10.best_baseline()
    pr = c10.pair(CONV_LSTM, bb.display)
    ahead = two.final < bb.final
    pair = "%s: %s" % (pair_text(c10, CONV_LSTM, bb.display, names), significance(pr))
    if ahead:
        end = ("They also **end lowest** at step %d: %s vs tuned %s's %s on the training minibatches (%s)"
               % (c10.steps, loss(two.final), h(bb.display), loss(bb.final), pair))
    else:
        end = ("But **tuned %s catches up and ends lower** at step %d: %s vs %s on the training minibatches (%s)"
               % (h(bb.display), c10.steps, loss(bb.final), loss(two.final), pair))
    first, second = (two, bb) if ahead else (bb, two)  # the one that ends lower first
    return ("As in the paper, **one shared LSTM is not enough** for the conv net: it ends at %s (Adam %s; test accuracy "
            "%s vs Adam's %s). **Two LSTMs**, one per parameter group, end lower (%s) and have the lowest mean training "
            "loss of all six %s; lowest test loss: %s. %s, test loss %s vs %s, test accuracy %s vs %s."
            % (loss(sh.final), loss(ad.final), pct(sh.test_acc), pct(ad.test_acc), loss(two.final),
               lead_text(c10, CONV_LSTM), test_lead_text(c10, names), end, loss(test_final(first)),
               loss(test_final(second)), pct(first.test_acc), pct(second.test_acc)))


@region("convnet-5-summary", [C10, C5, C2])
def _c5_summary(inp):
    c10, c5, c2 = inp.eval(C10), inp.eval(C5), inp.eval(C2)
    convnet_checks(c10, c5, c2)
    names = dict(SUB_NAMES)
    b = c5.best
    ranked = sorted([o for o in c5.opts if _finite(o.final)], key=lambda o: o.final)
    leaders = c5.leaders()
    counts = {}
    for d in leaders:
        counts[d] = counts.get(d, 0) + 1
    lead = ", ".join("%s at %d" % (h(d, names), n) for d, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
    sub, lstm = c5.opt(CONV_SUB), c5.opt(CONV_LSTM)
    pr = c5.pair(CONV_SUB, CONV_LSTM)
    caveats = ["%s at 5 %%" % ("not significant" if pr is None or not pr["p"] < 0.05 else "significant")]
    if test_final(sub) > test_final(lstm):
        caveats.append("its test loss is higher")
    if b not in (sub, lstm):
        caveats.append("neither is ahead of tuned %s" % h(b.display, names))
    template = ("On 5 classes the lowest mean final training loss: %s, %s, ahead of %s. Lowest mean training loss per "
                "step: %s of the %d steps. Lowest test loss: %s (test loss at step %d: %s). **LSTM-sub, which never saw "
                "these classes, ends no worse than the LSTM trained on all of them in training loss** (mean final "
                "training loss %s vs %s; test loss %s vs %s; %s; " + "; ".join(caveats).replace("%", "%%") +
                "), in line with the paper's observation that the optimizer learned on some labels transfers to others.")
    return (template
            % (h(b.display, names), loss(b.final),
               ", ".join("%s (%s)" % (h(o.display, names), loss(o.final)) for o in ranked[1:3]), lead, c5.steps,
               test_lead_text(c5, names), c5.steps,
               ", ".join("%s %s" % (h(o.display, names), loss(test_final(o))) for o in
                         sorted([c5.opt("nag"), lstm], key=lambda o: test_final(o))),
               loss(sub.final), loss(lstm.final), loss(test_final(sub)), loss(test_final(lstm)),
               pair_text(c5, CONV_SUB, CONV_LSTM, names)))


@region("convnet-2-summary", [C10, C5, C2])
def _c2_summary(inp):
    c10, c5, c2 = inp.eval(C10), inp.eval(C5), inp.eval(C2)
    convnet_checks(c10, c5, c2)
    names = dict(SUB_NAMES)
    accs = [o.test_acc for o in c2.opts]
    ratios = [o.std / o.final for o in c2.opts]
    b = c2.best
    bb = c2.best_baseline()
    med = min(c2.opts, key=lambda o: o.median)
    s = ("Two classes of Fashion-MNIST are easy (every optimizer ends at %s–%s test accuracy) and the minibatch losses "
         "are noisy (std / mean from %s to %s). %s has the lowest mean final training loss (%s vs tuned %s %s; %s)"
         % (num(100 * min(accs)), pct(max(accs)), num(min(ratios), 2), num(max(ratios), 2), cap(h(b.display, names))
            if b.display not in BASELINES else "Tuned " + h(b.display), loss(b.final), h(bb.display), loss(bb.final),
            short_pair(c2, b.display, bb.display, names) if b is not bb else "it is the best"))
    if med is not b:
        s += (" and %s the lowest median (%s; std %s, mean %s)" % (h(med.display, names), loss(med.median), loss(med.std),
                                                                   loss(med.final)))
    s += ". On the test split: %s (test loss at step %d: %s)." % (
        test_lead_text(c2, names), c2.steps,
        ", ".join("%s %s" % (h(o.display, names), loss(test_final(o))) for o in sorted(
            {min(c2.opts, key=test_final), c2.opt(CONV_LSTM), c2.opt(CONV_SUB)}, key=test_final)))
    # The lowest training loss is not the lowest test loss: say where the learned ones rank on the test split.
    by_test = sorted([o for o in c2.opts if _finite(test_final(o))], key=test_final)
    learned = [o for o in by_test if o.learned]
    if learned and all(by_test.index(o) >= len(by_test) - len(learned) for o in learned):
        s += " The lowest training loss is not the lowest test loss here: %s %s the highest test loss%s of the %d." % (
            join_and(h(o.display, names) for o in learned), "have" if len(learned) > 1 else "has",
            "es" if len(learned) > 1 else "", len(by_test))
    return s


@region("convnet-conclusion", [C10, C5, C2, "resources/optimizers/convnet.json"])
def _conv_conclusion(inp):
    c10, c5, c2 = inp.eval(C10), inp.eval(C5), inp.eval(C2)
    convnet_checks(c10, c5, c2)
    pv = inp.provenance("resources/optimizers/convnet.json")
    names = dict(CONV_NAMES)
    rows = []
    for ev, label in ((c10, "10 classes"), (c5, "5 classes"), (c2, "2 classes")):
        lstm_best = min([ev.opt(CONV_LSTM), ev.opt(CONV_SUB)] if ev is not c10 else [ev.opt(CONV_LSTM)],
                        key=lambda o: o.final)
        bb = ev.best_baseline()
        pr = ev.pair(lstm_best.display, bb.display)
        p = pval(pr["p"]) if pr else "not stored"
        ahead = lstm_best.final < bb.final
        if ahead:
            train = "%s ahead of tuned %s (%s vs %s, p = %s)" % (h(lstm_best.display, names), h(bb.display),
                                                               loss(lstm_best.final), loss(bb.final), p)
        else:
            train = "tuned %s ahead of %s (%s vs %s, p = %s)" % (h(bb.display), h(lstm_best.display, names),
                                                               loss(bb.final), loss(lstm_best.final), p)
        test = "lower test loss: %s (%s vs %s)" % (
            h(lstm_best.display, names) if test_final(lstm_best) < test_final(bb) else "tuned " + h(bb.display),
            loss(min(test_final(lstm_best), test_final(bb))), loss(max(test_final(lstm_best), test_final(bb))))
        significant = pr is not None and pr["p"] < 0.05
        rows.append(("%s: %s, %s" % (label, train, test), ahead, significant))
    detail = "; ".join(text for text, _, _ in rows)
    sig_any = [r for r in rows if r[2]]
    sig_wins = [r for r in rows if r[1] and r[2]]
    if len(sig_wins) == 3:
        return ("At the last step the best LSTM ends below the best tuned baseline in all three settings with "
                "p < 0.05: %s." % detail)
    # "of them": the settings the LSTM ends below the baseline with p < 0.05 (a significant lead of the baseline is
    # not one of them).
    return ("At the last step (%d epochs of fine-tuning in the bundled file; the official code's default is 10,000), "
            "the best LSTM ends below the best tuned baseline in %d of the 3 settings, %d of them with p < 0.05: %s. "
            "%s" % (pv["epochs"], len([r for r in rows if r[1]]), len(sig_wins), detail,
                    "No difference at the last step is significant at 5 % on 10 runs: the paper's claim that the "
                    "learned optimizer stays ahead to the end is not reproduced here, nor contradicted." if not sig_any
                    else "Not every setting shows a significant lead: the claim holds only in part here."))


@region("readme-convnet", [C10, C5, C2], inline=True)
def _readme_conv(inp):
    c10, c5, c2 = inp.eval(C10), inp.eval(C5), inp.eval(C2)
    convnet_checks(c10, c5, c2)
    names = dict(CONV_NAMES)
    b = c10.best_baseline()
    two, sh, ad = c10.opt(CONV_LSTM), c10.opt(CONV_SHARED), c10.opt("adam")
    pr = c10.pair(CONV_LSTM, b.display)
    tl = c10.test_leaders()
    two_test = [s for s, d in tl if d == CONV_LSTM]
    end = ("and end below tuned %s (%s vs %s, p = %s)" % (h(b.display), loss(two.final), loss(b.final), pval(pr["p"]))
           if two.final < b.final else
           "but tuned %s ends lower (%s vs %s, p = %s)" % (h(b.display), loss(b.final), loss(two.final), pval(pr["p"])))
    return ("%d runs of %d steps: two LSTMs (one for the convolution kernels, one for the rest; bundled `convnet.json`) "
            "have the lowest mean training loss %s and the lowest test loss at steps %s, %s; one shared LSTM ends at %s "
            "(Adam %s), as the paper found. On a 5-class subset, LSTM-sub, "
            "trained only on the other five classes, ends no worse than the LSTM trained on all ten in training loss (%s vs %s; %s)%s"
            % (c10.runs, c10.steps, lead_text(c10, CONV_LSTM), ranges(two_test, [s for s, _ in tl]) or "none",
               end, loss(sh.final), loss(ad.final),
               loss(c5.opt(CONV_SUB).final), loss(c5.opt(CONV_LSTM).final),
               pair_text(c5, CONV_SUB, CONV_LSTM, SUB_NAMES),
               "" if c5.best.learned else ", but tuned %s ends lowest there (%s)" % (h(c5.best.display), loss(c5.best.final))))


# --- transfer ----------------------------------------------------------------------------------------

TRANSFER = {"quadratic": RES + "transfer-quadratic.json", "2d": RES + "transfer-2d.json",
            "mnist": RES + "transfer-mnist.json", "neural-art": RES + "transfer-neural-art.json",
            "convnet": RES + "transfer-convnet.json"}


class TransferFile:
    def __init__(self, path, doc):
        f = Fields(path, doc, "")
        if f["format"] != "l2l-transfer":
            raise Failure("%s: not an l2l transfer file" % path)
        self.path = path
        # A stopped run (l2l transfer writes its file after every variant) is shown for what it is: the variants it
        # finished, with the count it was asked for and the ones it lacks, from the file's own "planned"/"pending".
        self.partial = bool(doc.get("cancelled"))
        if self.partial:
            if "planned" not in doc or "pending" not in doc:
                raise Failure("%s: the transfer run was interrupted and the file does not say what it lacks (no "
                              "\"planned\"/\"pending\": made by an older l2l); re-run its section" % path)
            self.planned = f["planned"]
            self.pending = []
            for i, v in enumerate(f["pending"]):
                pf = Fields(path, v, "pending[%d]" % i)
                self.pending.append((pf["axis"], pf["label"], pf["problem"], pf["steps"]))
            if len(f["variants"]) + len(self.pending) != self.planned or f["completed"] != len(f["variants"]):
                raise Failure("%s: \"completed\", \"planned\" and \"pending\" do not add up to its variants" % path)
        self.optimizers = [os.path.basename(o) for o in f["optimizers"]]
        self.runs, self.seed = f["runs"], f["seed"]
        # l2l transfer --baselines-from: no rate searched, each variant's best baseline of that file re-run
        self.baselines_from = Fields(path, doc["baselines_from"], "baselines_from")["file"] \
            if "baselines_from" in doc else None
        self.variants = []
        for i, v in enumerate(f["variants"]):
            vf = Fields(path, v, "variants[%d]" % i)
            cells = [Fields(path, c, "variants[%d].cells[%d]" % (i, k)) for k, c in enumerate(vf["cells"])]
            if len(cells) != len(self.optimizers):
                raise Failure("%s: variant %s has %d cells for %d optimizers" % (path, vf["label"], len(cells),
                                                                                len(self.optimizers)))
            self.variants.append((vf["axis"], vf["label"], vf["problem"], vf["steps"], cells))


def ratio_text(r):
    if not _finite(r):
        return "n/a"
    if abs(r - 1) < 0.005:  # 1.002 is not "1.00": show the digit that says which side of the baseline it is on
        return num(r, 4) + "×"
    return (num(r, 3) if r < 100 else ("%.0f" % r if r < 1e4 else "%.2g" % r)) + "×"


def transfer_cell(c):
    if not _finite(c["ratio"]):
        return "diverged" if c["baseline"] else "no baseline finished"
    p = pval(c["p"]) if _finite(c["p"]) and c["p"] > 0 else ("< 1e-300" if c["p"] == 0 else "n/a")
    return "%s · %d/%d · p %s" % (ratio_text(c["ratio"]), c["won"], c["pairs"], p)


def pending_text(t, v):
    """A variant not yet measured: its problem, and its horizon where that is what the variant varies."""
    axis, label, problem, steps = v
    base_steps = t.variants[0][3] if t.variants else None
    return "`%s`%s" % (problem, " at %d steps" % steps if base_steps is not None and steps != base_steps else "")


def transfer_table(t):
    head = "| what is varied | variant | steps | best tuned baseline | " + " | ".join("`%s`" % o for o in t.optimizers) + " |"
    rows = [head, "|" + "---|" * (4 + len(t.optimizers))]
    last = None
    for axis, label, problem, steps, cells in t.variants:
        base = cells[0]["baseline"]
        rate = cells[0]["baseline_rate"]
        btext = "%s (lr %s)" % (h(base), tab(rate)) if base else "-"
        rows.append("| %s | `%s` | %d | %s | %s |" % (axis if axis != last else "", problem, steps, btext,
                                                      " | ".join(transfer_cell(c) for c in cells)))
        last = axis
    return "\n".join(rows)


def transfer_sentences(t):
    """One sentence per optimizer: where it holds (below 1), where it breaks (above 1 with p < 0.05)."""
    out = []
    for k, name in enumerate(t.optimizers):
        cells = [(label, c[k]) for (_, label, _, _, c) in t.variants]
        finite = [(label, c) for label, c in cells if _finite(c["ratio"])]
        ahead = [(label, c) for label, c in finite if c["ratio"] < 1]
        sig = lambda c: _finite(c["p"]) and c["p"] < 0.05
        sig_ahead = [(label, c) for label, c in ahead if sig(c)]
        broken = [(label, c) for label, c in finite if c["ratio"] > 1 and sig(c)]
        behind = [(label, c) for label, c in finite if c["ratio"] > 1 and not sig(c)]
        failed = [label for label, c in cells if not _finite(c["ratio"])]
        worst = max(finite, key=lambda lc: lc[1]["ratio"]) if finite else None
        # A lower mean can come from a few runs: say in how many of those variants it was lower in most runs.
        most = [(label, c) for label, c in ahead if c["won"] * 2 > c["pairs"]]
        text = ("`%s`: mean final loss below the best tuned baseline's in %d of %d variants (%d of them with p < 0.05; "
                "lower in more than half of the paired runs in %d of them)"
                % (name, len(ahead), len(cells), len(sig_ahead), len(most)))
        if broken:
            text += "; it breaks (above, p < 0.05) on " + join_and(["%s (%s)" % (l, ratio_text(c["ratio"]))
                                                                  for l, c in broken])
        else:
            text += "; it is significantly behind on none"
        if behind:
            text += ", and is behind without significance on " + join_and(["%s (%s)" % (l, ratio_text(c["ratio"]))
                                                                           for l, c in behind])
        if failed:
            text += "; no ratio on " + join_and(failed)
        if worst:
            text += "; its worst cell is %s at %s the baseline's mean" % (worst[0], ratio_text(worst[1]["ratio"]))
        out.append(text + ".")
    return "\n\n".join(out)


# A family whose matrix re-ran another file's best baselines (l2l transfer --baselines-from): that file.
TRANSFER_BASELINES_FROM = {"convnet": RES + "transfer-convnet-search.json"}


def baselines_from_text(t, inp, source_path):
    """How the baselines of a --baselines-from matrix were had, and how close their re-runs came to the search's."""
    if t.baselines_from is None:
        return ""
    if source_path is None or os.path.normpath(t.baselines_from) != os.path.normpath(source_path):
        raise Failure("%s: its baselines come from %s, which this script does not declare for it"
                      % (t.path, t.baselines_from))
    src = TransferFile(source_path, inp.json(source_path))
    diffs = []
    for (_, label, _, _, cells), (_, slabel, _, _, scells) in zip(t.variants, src.variants):
        if label != slabel or cells[0]["baseline"] != scells[0]["baseline"]:
            raise Failure("%s: variant %s does not match %s" % (t.path, label, source_path))
        was = scells[0]["baseline_final"]
        diffs.append(abs(cells[0]["baseline_final"] - was) / abs(was))
    worst = max(diffs) if diffs else 0.0
    # An optimizer in both files: its cells here against the search's (the same runs: they should be its cells).
    again = []
    for k, name in enumerate(t.optimizers):
        if name in src.optimizers:
            j = src.optimizers.index(name)
            same = all(cells[k].obj == scells[j].obj for (_, _, _, _, cells), (_, _, _, _, scells) in zip(t.variants,
                                                                                                   src.variants))
            again.append("`%s`'s cells here are %s" % (name, "the search's, every field to the last digit" if same
                                                         else "not the search's (see the two files)"))
    worst_text = ("those recorded there, to the last digit" if worst == 0 else
                  "within %.2g %% of those recorded there" % (100 * worst))
    return ("No rate was searched for this matrix: each variant's baseline is the best tuned baseline of the full "
            "search in `%s` (the matrix of %s), run again at its recorded rate on the same runs (`l2l transfer "
            "--baselines-from`); the re-runs' mean final losses are %s%s.\n\n"
            % (source_path, join_and(["`%s`" % o for o in src.optimizers]), worst_text,
               "".join("; " + a for a in again)))


def _transfer_regions():
    for fam, path in TRANSFER.items():
        def table(inp, path=path):
            return transfer_table(TransferFile(path, inp.json(path)))

        source = TRANSFER_BASELINES_FROM.get(fam)

        def summary(inp, path=path, source=source):
            t = TransferFile(path, inp.json(path))
            stopped = baselines_from_text(t, inp, source)
            if t.partial:
                stopped += ("**Not finished: %d of the %d variants are measured so far** (the run goes on with "
                           "`l2l transfer ... --resume` from this file); not yet measured: %s. The counts below are "
                           "of the measured variants.\n\n" % (len(t.variants), t.planned,
                                                                join_and([pending_text(t, v) for v in t.pending])))
            return stopped + ("%d runs per variant, evaluation seed %d; a cell is the ratio of the optimizer's mean final loss "
                    "to the best tuned baseline's, the runs (of those both finished) where it ended lower, and the "
                    "paired p.\n\n" % (t.runs, t.seed) + transfer_sentences(t))
        region("transfer-%s-table" % fam, [path])(table)
        region("transfer-%s-summary" % fam, [path] + ([source] if source else []))(summary)


_transfer_regions()


@region("readme-transfer", list(TRANSFER.values()), inline=True)
def _readme_transfer(inp):
    parts = []
    for fam, path in TRANSFER.items():
        t = TransferFile(path, inp.json(path))
        cells = [c[0] for (_, _, _, _, c) in t.variants]  # the first optimizer: the bundled one
        ahead = [c for c in cells if _finite(c["ratio"]) and c["ratio"] < 1]
        worst = max((c["ratio"] for c in cells if _finite(c["ratio"])), default=float("nan"))
        most = [c for c in ahead if c["won"] * 2 > c["pairs"]]
        parts.append("`%s` has a lower mean final loss than the best tuned baseline in %d of %d variants%s, lower in "
                     "more than half of the paired runs in %d of them (worst mean: %s)"
                     % (t.optimizers[0], len(ahead), len(cells),
                        " measured so far, of %d planned" % t.planned if t.partial else "", len(most),
                        ratio_text(worst)))
    return "on variants of its training problem (dimension, scale, width, depth, activation, data, horizon), " + \
        "; ".join(parts)


# --- speed -------------------------------------------------------------------------------------------

def bench_doc(inp):
    doc = inp.json(BENCH)
    f = Fields(BENCH, doc, "")
    lines = [Fields(BENCH, l, "lines[%d]" % i) for i, l in enumerate(f["lines"])]
    return f, lines


def bench_time(line):
    s, unit = line["seconds"], line["unit"]
    if unit == "parameter":
        return "%s ns per parameter" % tab(s * 1e9, 3)
    if s >= 0.1:
        return "%s s per %s" % (tab(s, 3), unit)
    return "%s ms per %s" % (tab(s * 1e3, 3), unit)


def bench_find(lines, prefix, threads):
    for l in lines:
        if l["name"].startswith(prefix) and l["threads"] == threads:
            return l
    raise Failure("%s: no line whose name starts with '%s' at %d thread(s)" % (BENCH, prefix, threads))


@region("bench-table", [BENCH])
def _bench(inp):
    f, lines = bench_doc(inp)
    peak = f["peak_gflops_per_core"]
    rows = ["| what | threads | time (median of %d) | FLOP/s | target (from the issue) |" % f["repeats"],
            "|---|---|---|---|---|"]
    for l in lines:
        flops = ""
        if l["flops"] > 0:
            g = l["flops"] / l["seconds"] / 1e9
            denominator = peak if l["threads"] == 1 else f.get("peak_gflops_threads_together", peak * l["threads"])
            flops = "%s GFLOP/s, %s %% of %d-thread peak" % (tab(g, 3), tab(100 * g / denominator, 2), l["threads"])
        target = ""
        for prefix, threads, secs, text in BENCH_TARGETS:
            if l["name"].startswith(prefix) and l["threads"] == threads:
                target = "%s (%s)" % (text, "met" if l["seconds"] <= secs else "missed by %s %%" % rel_pct(l["seconds"], secs))
        # The data folder as found in the source tree, without the machine's checkout path (any machine's, so that the
        # table does not depend on where make_docs runs).
        name = re.sub(r"data=/[^,)]*/data/", "data=data/", l["name"])
        rows.append("| %s (%s) | %d | %s | %s | %s |" % (name, l["note"], l["threads"], bench_time(l), flops, target))
    how = "measured on the machine by an FMA loop" if f.get("peak_measured") else "given by --peak-gflops"
    if f.get("peak_gflops_threads_together") is not None:
        how += ", and %s GFLOP/s on %d threads at once" % (tab(f["peak_gflops_threads_together"], 3), f["threads"])
    head = ("`l2l bench --repeats %d` on %s (%s, %d hardware threads, load average %s before and %s after; the "
            "fraction of peak uses %s GFLOP/s per core, %s); peak memory of the bench process %s MiB."
            % (f["repeats"], f["date"], f["tool"], f["hardware_threads"], f["load_average_before"],
               f["load_average_after"], tab(peak, 3), how, tab(f["peak_memory_mib"], 3)))
    groups = f.get("group_peak_memory_mib")
    if groups:
        starts = f.get("group_start_memory_mib") or {}
        head += " Peak resident memory of each group of lines (resident at its start, e.g. data loaded before): %s." % (
            ", ".join("%s %s MiB (%s)" % (name, tab(mib, 3), tab(starts.get(name, float("nan")), 3))
                      for name, mib in groups.items()))
    return head + "\n\n" + "\n".join(rows)


@region("readme-speed", [BENCH], inline=True)
def _readme_speed(inp):
    f, lines = bench_doc(inp)
    t = f["threads"]
    mlp = bench_find(lines, "mlp value+gradient", 1)
    lstm = bench_find(lines, "lstm evaluation step", t)
    ep = bench_find(lines, "meta-training episode on mnist", t)
    return ("MNIST MLP value+gradient %s; an LSTM step over %s %s on %d threads; an MNIST meta-training episode %s on "
            "%d threads (`l2l bench`, %s)" % (bench_time(mlp), lstm["name"].split(", ")[-1], bench_time(lstm).replace(" per step", ""),
                                              t, bench_time(ep).replace(" per episode", ""), t, f["date"][:10]))


# --- meta-training over MPI ranks (issue 22) ----------------------------------------------------------

MPI = RES + "mpi-scaling.json"
# Not measured here (one machine): the network of the projection, stated as an assumption in the text.
NET_BYTES_PER_S, NET_LATENCY_S = 1.25e9, 50e-6  # 10 Gb Ethernet
MPI_LABEL = {"mnist": "MNIST", "convnet": "conv net (2 nets)"}
MPI_FLOATS = {"mnist": 5141, "convnet": 10282}


def mpi_rows(doc):
    return [Fields(MPI, r, "trainings[%d]" % i) for i, r in enumerate(field(MPI, doc, "trainings"))]


def mpi_find(rows, problem, batch, ranks, threads):
    for r in rows:
        if (r["problem"], r["meta_batch"], r["ranks"], r["threads"]) == (problem, batch, ranks, threads):
            return r
    raise Failure("%s: no training of %s with meta-batch %d on %d rank(s) x %d thread(s)" % (MPI, problem, batch, ranks,
                                                                                          threads))


def mpi_exchange(doc, floats, members):
    for i, e in enumerate(field(MPI, doc, "exchange")):
        e = Fields(MPI, e, "exchange[%d]" % i)
        if e["floats"] == floats and e["members"] == members and e["ranks"] == 2:
            return e
    raise Failure("%s: no exchange of %d members x %d floats on 2 ranks" % (MPI, members, floats))


def load(rec):
    others = rec["other_cores"]
    worst = max(others) if isinstance(others, list) else others
    return "%s → %s; others ≤ %s cores" % (tab(rec["loadavg"][0], 3), tab(rec["loadavg"][1], 3), tab(worst, 2))


def two_digits(v):
    """A large count in prose, to two significant digits: 1,200."""
    return "{:,}".format(int(round(v, 1 - int(math.floor(math.log10(v))))))


def micro(seconds):
    return "%s µs" % tab(seconds * 1e6, 3) if seconds < 1e-3 else "%s ms" % tab(seconds * 1e3, 3)


@region("readme-mpi", [MPI])
def _readme_mpi(inp):
    doc = inp.json(MPI)
    rows = mpi_rows(doc)
    WINDOWS = -(-field(MPI, doc, "horizon") // field(MPI, doc, "unroll"))
    out = ["Measured by `scripts/mpi_scaling.py` on %s (%s, %d cores, %s): `l2l train %s`, seconds per epoch as the "
           "difference of two runs' wall times (start-up and the final validation cancel out), with the 1-minute load "
           "average before → after each figure and the cores other processes kept busy during its runs (a run with "
           "more than 0.15 is repeated, up to 4 times)." % (field(MPI, doc, "date")[:10], field(MPI, doc, "cpu"),
                                                   field(MPI, doc, "cores"), field(MPI, doc, "tool"),
                                                   field(MPI, doc, "settings")), "",
           "| problem | meta-batch B | ranks × threads | s per epoch | speed-up vs 1 × 1 | load average; others |",
           "|---|---|---|---|---|---|"]
    for r in rows:
        base = mpi_find(rows, r["problem"], r["meta_batch"], 1, 1)["per_epoch"]
        out.append("| %s | %d | %d × %d | %s | %s× | %s |" % (MPI_LABEL.get(r["problem"], r["problem"]), r["meta_batch"],
                                                            r["ranks"], r["threads"], tab(r["per_epoch"], 3),
                                                            tab(base / r["per_epoch"], 3), load(r)))
    ex = [Fields(MPI, e, "exchange[%d]" % i) for i, e in enumerate(field(MPI, doc, "exchange"))]
    out += ["", "One meta-update's exchange between the 2 ranks (`l2l mpi-bench`, median of 300; every rank receives "
                "all B meta-gradients, as `l2l train` does) and, for comparison, one `MPI_Allreduce` of the same P floats:",
            "", "| P floats | B = " + " | B = ".join(str(e["members"]) for e in ex if e["floats"] == 5141) +
            " | allreduce of P | load average; others |",
            "|---|" + "---|" * (len([e for e in ex if e["floats"] == 5141]) + 2)]
    for floats in sorted({e["floats"] for e in ex}):
        sel = [e for e in ex if e["floats"] == floats]
        out.append("| %d | %s | %s | %s |" % (floats, " | ".join(micro(e["exchange_us"] * 1e-6) for e in sel),
                                             micro(sel[0]["allreduce_us"] * 1e-6), load(sel[0])))
    # The model: per window every rank computes its ceil(B/N) members (t_w each, one thread) and then receives the
    # others' meta-gradients; an epoch is W windows.
    model = []
    for problem in ("mnist", "convnet"):
        batch = max(r["meta_batch"] for r in rows if r["problem"] == problem)
        one = mpi_find(rows, problem, batch, 1, 1)["per_epoch"]
        two = mpi_find(rows, problem, batch, 2, 1)["per_epoch"]
        tw = one / (batch * WINDOWS)
        floats = MPI_FLOATS[problem]
        c_here = mpi_exchange(doc, floats, batch)["exchange_us"] * 1e-6
        # On this machine (2 ranks): the exchange's largest share of a window over the measured B.
        share = max(Fields(MPI, e, "exchange").get("exchange_us") * 1e-6 / (math.ceil(e["members"] / 2) * tw)
                    for e in field(MPI, doc, "exchange") if e["floats"] == floats)
        block = 4 * floats + 16
        n_star = NET_BYTES_PER_S * tw / block
        predicted_two = WINDOWS * (math.ceil(batch / 2) * tw + c_here)

        def t(n, b):
            return WINDOWS * (math.ceil(b / n) * tw + (n - 1) * NET_LATENCY_S + b * block / NET_BYTES_PER_S)

        model.append(
            "- **%s** (P = %d): t_w = %s per optimizee and window on one thread (the 1 × 1 epoch of B = %d over %d "
            "windows). Model for 2 ranks on this machine: %d × (%d t_w + %s exchange) = %s s per epoch; measured %s s. "
            "Here the exchange is at most %s %% of a window's computation for every measured B up to %d: no B makes "
            "communication dominate on one machine. "
            "Over the assumed network, communication would equal computation at N* = β t_w / (4P + 16) ≈ %s ranks, "
            "whatever B (each rank computes B/N optimizees but receives all B meta-gradients). Projected seconds per "
            "epoch with one optimizee per rank (B = N): %s; with B = 128: %s."
            % (MPI_LABEL[problem], floats, micro(tw) if tw < 1e-3 else "%s s" % tab(tw, 3), batch, WINDOWS, WINDOWS,
               math.ceil(batch / 2), micro(c_here), tab(predicted_two, 3), tab(two, 3), tab(100 * share, 2),
               max(e["members"] for e in field(MPI, doc, "exchange")), two_digits(n_star),
               ", ".join("N = %d: %s" % (n, tab(t(n, n), 3)) for n in (1, 8, 64, 512)),
               ", ".join("N = %d: %s" % (n, tab(t(n, 128), 3)) for n in (1, 8, 32, 128))))
    ar = mpi_exchange(doc, 5141, 2)["allreduce_us"] * 1e-6
    out += ["", "**Scaling model.** An epoch is W = %d windows; in each, a rank runs its ⌈B/N⌉ optimizees (t_w each) "
                "and then exchanges meta-gradients: T(N) ≈ W (⌈B/N⌉ t_w + c(B, N)), with c(B, N) ≈ (N − 1) α + B (4P + 16) "
                "bytes / β (every rank receives every member's P floats and a 16-byte header). α = %s and β = %s GB/s "
                "(10 Gb Ethernet) are assumptions, not measurements; on this machine c is the measured exchange above."
                % (WINDOWS, micro(NET_LATENCY_S), tab(NET_BYTES_PER_S / 1e9, 3)), ""] + model
    out += ["", "An allreduce of partial sums would move only P floats per rank (measured here: %s for 5,141 floats; "
                "over the network about 2 × 4P / β + 2 log2(N) α) and be cheaper at large N, but its sums are not those "
                "of one process: float addition is not associative, so the weights would change with the rank count. "
                "Gathering keeps them bit-identical; its cost only overtakes the computation at the N* above."
                % micro(ar)]
    return "\n".join(out)


# ----------------------------------------------------------------------------------------------------
# Documents

MARK = re.compile(r"<!-- generated:([a-z0-9-]+) -->(.*?)<!-- /generated:\1 -->", re.S)
ANY_MARK = re.compile(r"<!-- (/?)generated:([a-z0-9-]+) -->")


PLACEHOLDERS = []  # regions left with a placeholder in this run


def placeholder(sections):
    named = [s for s in sections if s != "times"]
    return ("(not yet generated: run scripts/reproduce.sh %s)" % " ".join(named)).replace(" )", ")")


def render(name, allow):
    inputs, fn, inline = REGIONS[name]
    missing = [p for p in inputs if not os.path.exists(os.path.join(ROOT, p))]
    if missing:
        sections = []
        for p in missing:
            s = SECTION_OF.get(p)
            if s is not None and s not in sections:
                sections.append(s)
        kept = [p for p in missing if SECTION_OF.get(p) is None]
        if kept:
            raise Failure("region '%s': %s missing (kept in the repository, not made by reproduce.sh)" % (
                name, ", ".join(kept)))
        if allow is not None and ("*" in allow or all(s in allow for s in sections)):
            PLACEHOLDERS.append(name)
            return placeholder(sections)
        raise Failure("region '%s': missing input %s; run scripts/reproduce.sh %s(or pass --allow-missing to leave "
                      "a placeholder)" % (name, ", ".join(missing), "".join(s + " " for s in sections if s != "times")
                                          or "without --no-times (any section records its time) "))
    text = fn(Inputs(name, inputs))
    if inline and "\n" in text:
        raise Failure("internal: inline region '%s' produced a line break" % name)
    return text


def process(text, path, allow, seen, errors):
    starts = [(m.group(2), m.start()) for m in ANY_MARK.finditer(text) if not m.group(1)]
    ends = [m.group(2) for m in ANY_MARK.finditer(text) if m.group(1)]
    found = [m.group(1) for m in MARK.finditer(text)]
    if sorted(n for n, _ in starts) != sorted(found) or sorted(ends) != sorted(found):
        raise Failure("%s: unbalanced or nested generated markers (starts %s, ends %s)" % (
            path, sorted(n for n, _ in starts), sorted(ends)))
    for name, pos in starts:
        line_start = text.rfind("\n", 0, pos) + 1
        before = text[line_start:pos].strip()
        block = text[pos:].split("-->", 1)[1].startswith("\n")
        if not block and before in ("", "-", "*", "+"):
            raise Failure("%s: inline region '%s' begins a line; Markdown would render that line as raw HTML" % (path, name))

    def sub(m):
        name, old = m.group(1), m.group(2)
        if name not in REGIONS:
            raise Failure("%s: region '%s' has no generator in scripts/make_docs.py" % (path, name))
        if name in seen:
            raise Failure("%s: region '%s' appears twice (also in %s)" % (path, name, seen[name]))
        seen[name] = path
        try:
            body = render(name, allow)
        except Failure as e:
            errors.append(str(e) if str(e).startswith("region") else "region '%s': %s" % (name, e))
            return m.group(0)
        inline = REGIONS[name][2]
        block = old.startswith("\n")
        if inline == block:
            raise Failure("%s: region '%s' must be %s" % (path, name, "inline (markers and text on one line)" if inline
                                                           else "a block (markers on their own lines)"))
        new = "\n\n" + body + "\n\n" if block else body
        return "<!-- generated:%s -->%s<!-- /generated:%s -->" % (name, new, name)

    return MARK.sub(sub, text)


SETTINGS_FILES = ["quadratic", "mnist", "2d", "neural-art", "convnet"]


def check_settings_table(text, path):
    """The settings table of RESULTS.md is prose written by hand; this checks each bundled optimizer's column
    against the file's architecture and provenance, so a re-made file cannot leave its column describing the old
    one. Returns a list of error messages."""
    lines = text.split("\n")
    head = [k for k, l in enumerate(lines) if l.startswith("| Setting | Paper |")]
    if len(head) != 1:
        return ["%s: the settings table ('| Setting | Paper |') is missing or appears twice" % path]
    cols = [c.strip() for c in lines[head[0]].strip().strip("|").split("|")]
    rows = {}
    for l in lines[head[0] + 2:]:
        if not l.startswith("|"):
            break
        cells = [c.strip() for c in l.strip().strip("|").split(" | ")]
        rows[cells[0].strip("*")] = cells
    errors = []
    for name in SETTINGS_FILES:
        rel = "resources/optimizers/%s.json" % name
        try:
            col = cols.index("`%s.json`" % name)
        except ValueError:
            errors.append("%s: the settings table has no column for %s" % (path, rel))
            continue
        with open(os.path.join(ROOT, rel), encoding="utf-8") as f:
            doc = json.load(f)
        arch, prov = doc.get("architecture", {}), doc.get("provenance", {})
        nweights = len(doc["weights"]) if isinstance(doc.get("weights"), list) else None

        def need(row, ok, what):
            cell = rows.get(row, [None] * (col + 1))[col] if row in rows else None
            if cell is None:
                errors.append("%s: the settings table has no row '%s'" % (path, row))
            elif not ok(cell.replace("**", "")):
                errors.append("%s: settings table, row '%s', column %s.json: '%s' does not say %s (from %s)" % (
                    path, row, name, cell, what, rel))

        def has(s):
            return lambda c: s in c

        layers, hidden = arch.get("layers", 2), arch.get("hidden", 20)
        need("LSTM architecture", has("%d × %d" % (layers, hidden)), "%d × %d" % (layers, hidden))
        if nweights:
            need("LSTM architecture", has("{:,}".format(nweights)), "%s weights" % "{:,}".format(nweights))
        need("Output scale", has("%g" % arch.get("output_scale", 0.1)), "the output scale %g" % arch.get("output_scale", 0.1))
        pre = arch.get("preprocess", "log-sign")
        if pre == "rnnprop":
            need("Gradient preprocessing", has("RNNprop"), "RNNprop")
        else:
            need("Gradient preprocessing", has(pre), pre)
            if pre == "log-sign":
                need("Gradient preprocessing", has("p = %g" % arch.get("p", 10)), "p = %g" % arch.get("p", 10))
        rs = prov.get("random_scale", 0) or 0
        need("Random scaling (Lv et al. 2017)", has("exp(U(−%g, %g))" % (rs, rs)) if rs else
             (lambda c: c.startswith("none")), "random scale %g" % rs)
        need("Meta-batch (optimizees per meta-update)", lambda c, b=prov.get("meta_batch", 1): c.split()[0] == str(b),
             "meta-batch %d" % prov.get("meta_batch", 1))
        hz = "%d / %d" % (prov.get("horizon", 100), prov.get("unroll", 20))
        need("Horizon T / unroll K", has(hz), hz)

        def lr_ok(c, want=prov.get("learning_rate", 1e-3)):
            m = re.search(r"lr ([0-9.]+(?:e-?[0-9]+)?)", c)
            return bool(m) and abs(float(m.group(1)) - want) <= 1e-12
        need("Meta-optimizer and learning rate", lr_ok, "lr %g" % prov.get("learning_rate", 1e-3))
        sched = prov.get("lr_schedule", "constant")
        need("Learning-rate schedule", has(sched), sched)
        if sched == "cosine":
            need("Learning-rate schedule", has("e/%d" % prov.get("epochs", 0)), "the cosine over %d epochs" % prov.get("epochs", 0))
        clip = prov.get("clip_norm", 0) or 0
        need("Gradient clipping", has("≤ %g" % clip) if clip else (lambda c: c.startswith("none")), "clip %g" % clip)
        need("Meta-loss", has(prov.get("meta_loss", "sum")), prov.get("meta_loss", "sum"))
        sd = "yes" if prov.get("second_derivatives") else "no"
        need("Second derivatives", lambda c: c.startswith(sd), sd)
        need("Epochs (fresh optimizees)", has("{:,}".format(prov.get("epochs", 0))), "{:,}".format(prov.get("epochs", 0)))
        need("Early stopping / kept weights", has("best epoch %s" % "{:,}".format(prov.get("best_epoch", 0))),
             "best epoch %s" % "{:,}".format(prov.get("best_epoch", 0)))
        need("Seeds", lambda c, sd=prov.get("seed", 1): re.search(r"training (%d)\b" % sd, c) is not None,
             "training seed %d" % prov.get("seed", 1))
        sel = prov.get("selection")
        if sel:
            need("Seeds", has("selection seed %d" % sel["seed"]), "selection seed %d" % sel["seed"])
            need("How the bundled file was selected", has("l2l select"), "l2l select")
            need("How the bundled file was selected", has("seed %d" % sel["seed"]), "seed %d" % sel["seed"])
        need("Made by", has(prov.get("created", "?")), "created %s" % prov.get("created", "?"))
        cmd = "%s: `%s`" % (name, readable_command(prov.get("command", "?"))[0])
        if not any(l.startswith(cmd) for l in lines):
            errors.append("%s: footnote [^cmd] has no line '%s' (the recorded command of %s)" % (path, cmd, rel))
    return errors


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true", help="write nothing; exit 1 if a document is out of date")
    ap.add_argument("--allow-missing", nargs="?", const="*", default=None, metavar="SECTIONS",
                    help="placeholder text for regions whose inputs are missing (all, or only these sections)")
    ap.add_argument("--list", action="store_true", help="list the regions and their input files")
    ap.add_argument("--show", metavar="NAME", help="print one region's text (for writing the prose around it)")
    a = ap.parse_args(argv)
    if a.list:
        for name in sorted(REGIONS):
            print("%-28s %s" % (name, " ".join(REGIONS[name][0])))
        return 0
    allow = None if a.allow_missing is None else set(a.allow_missing.split(","))
    if a.show:
        if a.show not in REGIONS:
            raise Failure("no region '%s' (see --list)" % a.show)
        print(render(a.show, allow))
        return 0
    seen, out, errors = {}, {}, []
    for rel in DOCS:
        path = os.path.join(ROOT, rel)
        with open(path, encoding="utf-8") as f:
            text = f.read()
        try:
            out[rel] = (text, process(text, rel, allow, seen, errors))
        except Failure as e:
            errors.append(str(e))
    if "docs/RESULTS.md" in out:
        errors.extend(check_settings_table(out["docs/RESULTS.md"][1], "docs/RESULTS.md"))
    unused = sorted(set(REGIONS) - set(seen))
    if unused and not errors:
        errors.append("generators without a region in %s: %s" % (" or ".join(DOCS), ", ".join(unused)))
    if errors:
        for e in errors:
            print("make_docs: error: " + e, file=sys.stderr)
        print("make_docs: nothing written", file=sys.stderr)
        return 1
    stale = [rel for rel, (old, new) in out.items() if old != new]
    if a.check:
        for rel in stale:
            print("make_docs: %s is not up to date" % rel, file=sys.stderr)
        return 1 if stale else 0
    for rel in stale:
        path = os.path.join(ROOT, rel)
        tmp = path + ".make_docs.tmp"
        with open(tmp, "w", encoding="utf-8", newline="") as f:
            f.write(out[rel][1])
        os.replace(tmp, path)
    placeholders = len(PLACEHOLDERS)
    print("make_docs: %d regions, %s%s" % (len(seen), ", ".join(stale) + " rewritten" if stale else "no change",
                                          "; %d placeholder(s) left: %s" % (placeholders, ", ".join(PLACEHOLDERS))
                                          if placeholders else ""),
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except Failure as e:
        print("make_docs: error: %s" % e, file=sys.stderr)
        sys.exit(1)
