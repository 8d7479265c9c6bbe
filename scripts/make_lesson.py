#!/usr/bin/env python3
"""Writes resources/lessons/learning-to-learn.json, the bundled lecture (about ten slides, 20-30 minutes).

Each slide is a short text beside a live figure: an experiment (the experiment file's JSON, built here from the
bundled examples in resources/examples) and what to do once it is shown (run the view's job, play the
trajectories). The texts state the method; they quote no measured number (the live figure shows those). The strip
shows plain text: indices are Unicode subscripts (θₜ₊₁), never TeX (θ_{t+1} appeared raw on the slide).
Run after changing an example or the experiment format:  python3 scripts/make_lesson.py
"""
import copy
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EX = os.path.join(ROOT, "resources", "examples")


def example(name, **changes):
    with open(os.path.join(EX, name)) as f:
        e = json.load(f)
    e.pop("title", None)
    e.pop("results", None)
    for k, v in changes.items():
        e[k] = v
    return e


def only(e, names):
    """The experiment with only `names` checked."""
    e = copy.deepcopy(e)
    for o in e["optimizers"]:
        o["enabled"] = o["name"] in names
    return e


def trajectories(function, start, names, steps=100):
    e = only(example("trajectories-ill-conditioned.json"), names)
    e["trajectories"] = {"function": function, "start": start}
    e["steps"] = steps
    e["view"] = "trajectories"
    return e


def slide(title, text, experiment=None, action=None, step=None):
    s = {"title": title, "text": text}
    if experiment is not None:
        s["experiment"] = experiment
    if action:
        s["action"] = action
    if step is not None:
        s["step"] = step
    return s


quadratic = example("fig4-quadratic.json")
mnist = example("fig4-mnist.json", runs=5)  # five runs: the first curves within a second
mnist_relu = example("fig5-mnist-relu.json", runs=5)
inspect_mnist = example("fig4-mnist.json", view="inspect")
meta = copy.deepcopy(quadratic)
meta["view"] = "meta-train"
meta["problem"] = "quadratic2d"  # 2-d: the learned path is watched on a fixed function while it trains
meta["meta_train"] = {"epochs": 1500, "validate_every": 50}  # a few seconds of live training
art = example("sec3.4-neural-art.json")
# The Art view's default setting: a style and size new to the LSTM, whose baseline rates ship (the figure is at once).
art["problem"] = "neural-art:size=128,content=coffee,style=hubble"
graph = trajectories("quadratic2d", [0, 0], ["sgd", "adam", "lstm"])
graph["view"] = "graph"

slides = [
    slide("Gradient descent and its learning rate",
          "θ ← θ − α ∇f(θ): step downhill, scaled by the learning rate α.\n"
          "On this ill-conditioned valley one α must serve two very different curvatures: small enough not to\n"
          "bounce across the steep direction, it crawls along the flat one. (Drag the start; F10 steps.)",
          trajectories("ill-conditioned", [-2.5, 1.5], ["sgd"]), "play"),
    slide("Momentum and Adam",
          "Momentum (NAG) keeps a running velocity: v ← μv − α∇f(θ + μv), θ ← θ + v — it builds speed along the\n"
          "valley floor. Adam divides each coordinate's step by a running RMS of its gradients: every coordinate\n"
          "gets its own effective rate. Each rate was tuned for this function; none is best everywhere.",
          trajectories("ill-conditioned", [-2.5, 1.5], ["sgd", "nag", "adam"]), "play"),
    slide("An optimizer is a function",
          "Every rule above maps a gradient history to an update: θₜ₊₁ = θₜ + gₜ(∇f(θ₀), …, ∇f(θₜ)).\n"
          "SGD's map is a straight line through the origin; Adam's bends to a step of nearly fixed size.\n"
          "The paper's idea: make g a neural network m with parameters φ, and learn φ.",
          example("fig4-quadratic.json", view="inspect")),
    slide("The coordinatewise LSTM",
          "m is a two-layer LSTM (20 units each) applied to every coordinate separately, with shared weights and\n"
          "its own hidden state per coordinate: [gₜ, hₜ₊₁] = m(∇ₜ, hₜ, φ). Small, and it works for any number\n"
          "of parameters. Its input is the gradient, preprocessed (log-magnitude and sign) so scales do not matter.\n"
          "Inspect shows what it learned: its update against the incoming gradient, and its effective rate.",
          example("fig4-quadratic.json", view="inspect")),
    slide("The graph and the meta-loss",
          "Train φ so that the optimizee ends low: L(φ) = E[Σₜ wₜ f(θₜ)] over functions f, the losses along the whole\n"
          "trajectory. The graph is the paper's Fig. 2 with a live run on a 2-d quadratic: forward, m turns each\n"
          "gradient into an update; then ∂L/∂φ flows back through the unrolled steps (red), truncated to a window.\n"
          "Dashed: ∂∇ₜ/∂θₜ, dropped by first-order training as in the paper (Second order follows it). F10 steps.",
          graph, "play"),
    slide("Meta-training, live",
          "Each point is one episode's meta-loss on a random 2-d quadratic; the thick line its running mean; purple:\n"
          "the loss on held-out functions; dashed: the tuned hand-designed optimizers there. Below, the learned path\n"
          "on one fixed function, redrawn as φ is trained by Adam (faint: earlier snapshots) — watch it overtake\n"
          "Adam's: gradient descent training a gradient-descent method. (Stop with Esc.)",
          meta, "run"),
    slide("Results: random quadratics",
          "The learned optimizer against SGD, NAG, RMSprop and Adam, each at its tuned rate, on the same 20\n"
          "quadratics from the same starting points (paired runs). Lines: mean loss; bands: spread over runs.\n"
          "The table gives final losses; the paired comparison is what makes small differences meaningful.",
          quadratic, "run"),
    slide("Results: an MLP on MNIST",
          "The paper's main experiment: a 20-unit sigmoid MLP on MNIST minibatches, 100 steps.\n"
          "The optimizer was trained on this class of problem, then evaluated on runs it never saw.\n"
          "Watch the curves arrive live; the numbers on screen are measured now, on this machine.",
          mnist, "run"),
    slide("What the LSTM learned",
          "Its update as a function of the gradient, from a fresh state and after k equal gradients: it is not\n"
          "a straight line, and it changes with its memory. Along a run: its effective rate −u/g per coordinate,\n"
          "and how often it steps uphill — the learned rule has momentum-like and adaptive parts of its own.",
          inspect_mnist),
    slide("Transfer, and where it breaks",
          "The paper's claim is transfer: trained on one class, it keeps winning on others. Here the MNIST\n"
          "optimizer drives a ReLU network it never saw in training. The Transfer view maps many such\n"
          "variants at once (width, depth, activation, data set): where the ratio to the best tuned baseline\n"
          "stays below 1 it holds, where it climbs it breaks.",
          mnist_relu, "run"),
    slide("Neural art",
          "The same idea on images: the optimizee is the image itself, the loss a content term plus a style\n"
          "term from a convolutional network's features (Gatys et al.). Each tile is one optimizer painting\n"
          "the same content in the same style from the same start; the curves below are their losses. The\n"
          "LSTM was trained on The Scream at 64 x 64: this style and size are new to it.",
          art, "run"),
    slide("Summary",
          "Hand-designed optimizers encode assumptions about the problem; a learned optimizer learns them\n"
          "from a class of problems. It can beat tuned baselines on that class, and transfers part of the way.\n"
          "Paper: Andrychowicz et al., Learning to learn by gradient descent by gradient descent, NIPS 2016.\n"
          "Everything shown here runs again with File → Examples and with the l2l command line."),
]

lesson = {"format": "l2l-lesson", "version": 1, "title": "Learning to learn by gradient descent by gradient descent",
          "slides": slides}
out = os.path.join(ROOT, "resources", "lessons", "learning-to-learn.json")
text = json.dumps(lesson, indent=1, ensure_ascii=False) + "\n"
if "--check" in sys.argv:
    with open(out, encoding="utf-8") as f:
        sys.exit(0 if f.read() == text else "resources/lessons/learning-to-learn.json is stale: run scripts/make_lesson.py")
with open(out, "w", encoding="utf-8") as f:
    f.write(text)
print("wrote", out, len(slides), "slides")
