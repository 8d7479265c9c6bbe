"""Runs modules written by `l2l export --torch` on the cases test_torch_export writes, with Debian's PyTorch.

usage: python3 torch_export_driver.py CASES.json

CASES.json is a list of cases; each names the exported module and its data files (raw little-endian float32):
  {"name": ..., "module": "m.py", "kind": "quadratic", "steps": 100, "n": 10,
   "w": "W.f32" (n x n, row-major), "y": "y.f32", "theta0": "theta0.f32", "out": "theta.f32"}
      closed loop: the module minimises ||W theta - y||^2 with gradients from torch's autograd;
  {"name": ..., "module": "m.py", "kind": "gradients", "steps": 100, "theta0": ..., "grads": "g.f32" (steps x N),
   "params": [{"size": s, "shape": [...], "net": k | null, "mlp": "weight" | "bias" | null}, ...], "out": ...}
      open loop: the parameters (consecutive runs of theta, in order) receive the recorded gradients;
      "mlp" parameters are the weights and biases of torch.nn.Linear layers of an MLP (l2l's layout: W (out x in)
      column-major, then b), so the optimizer runs on a torch model's own parameters.
For every case it writes theta after each step ((steps + 1) x N, theta0 first) to "out", in l2l's layout, the
module's decoded weights (all nets) to "weights_out" and its PROVENANCE to "provenance_out" (JSON).
A case may carry "mutations": [[old, new], ...], text replaced in the module before it is loaded (a deliberately
wrong module, which the test must catch). Also checks the module's refusals: a bad "net" must raise ValueError. Prints one line per case; exit 0 if all ran.
"""

import importlib.util
import json
import os
import sys

import numpy  # a dependency of python3-torch
import torch


def load_module(path, mutations=()):
    """Imports the module at `path`; `mutations` ([old, new] pairs, each old text present exactly once) make a
    deliberately wrong copy of it first (the test's negative controls)."""
    if mutations:
        with open(path) as f:
            text = f.read()
        for old, new in mutations:
            if text.count(old) != 1:
                raise SystemExit(f"{path}: the mutation's text {old!r} occurs {text.count(old)} times, not once")
            text = text.replace(old, new)
        path = path[:-3] + "_mutant.py"
        with open(path, "w") as f:
            f.write(text)
    name = os.path.splitext(os.path.basename(path))[0]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def read(path, count=None):
    t = torch.from_numpy(numpy.fromfile(path, dtype="<f4").astype(numpy.float32))
    if count is not None and t.numel() != count:
        raise SystemExit(f"{path}: {t.numel()} floats, expected {count}")
    return t


def write(path, tensor):
    tensor.detach().to(torch.float32).contiguous().numpy().astype("<f4").tofile(path)


def run_quadratic(case, module, base):
    n, steps = case["n"], case["steps"]
    w = read(os.path.join(base, case["w"]), n * n).view(n, n)
    y = read(os.path.join(base, case["y"]), n)
    theta = torch.nn.Parameter(read(os.path.join(base, case["theta0"]), n))
    opt = module.L2LOptimizer([theta])
    rows = [theta.detach().clone()]
    for _ in range(steps):
        opt.zero_grad()
        loss = ((w @ theta - y) ** 2).sum()
        loss.backward()
        opt.step()
        rows.append(theta.detach().clone())
    return rows


class Slot:
    """One torch parameter and the run of theta it holds."""

    def __init__(self, spec, offset):
        self.size, self.offset, self.net, self.mlp = spec["size"], offset, spec.get("net"), spec.get("mlp")
        self.shape = spec.get("shape", [self.size])
        self.param = None

    def to_param(self, chunk):  # theta's run -> the parameter's layout
        if self.mlp == "weight":  # (out, in) from column-major (out x in): the row-major (in, out) transposed
            return chunk.view(self.shape[1], self.shape[0]).t()
        return chunk.view(self.shape)

    def from_param(self, value):
        if self.mlp == "weight":
            return value.t().reshape(-1)
        return value.reshape(-1)


def run_gradients(case, module, base):
    steps = case["steps"]
    slots, offset = [], 0
    for spec in case["params"]:
        slots.append(Slot(spec, offset))
        offset += spec["size"]
    n = offset
    theta0 = read(os.path.join(base, case["theta0"]), n)
    grads = read(os.path.join(base, case["grads"]), steps * n).view(steps, n)
    layers = []
    if any(s.mlp for s in slots):  # an MLP of torch.nn.Linear layers, its parameters taken from theta0
        pairs = [(slots[i], slots[i + 1]) for i in range(0, len(slots), 2)]
        for wslot, bslot in pairs:
            out_features, in_features = wslot.shape
            layer = torch.nn.Linear(in_features, out_features)
            with torch.no_grad():
                layer.weight.copy_(wslot.to_param(theta0[wslot.offset:wslot.offset + wslot.size]))
                layer.bias.copy_(bslot.to_param(theta0[bslot.offset:bslot.offset + bslot.size]))
            wslot.param, bslot.param = layer.weight, layer.bias
            layers.append(layer)
        model = torch.nn.Sequential(*layers)
        opt = module.L2LOptimizer(model.parameters())
    else:
        for s in slots:
            s.param = torch.nn.Parameter(s.to_param(theta0[s.offset:s.offset + s.size]).clone())
        nets = sorted({s.net for s in slots if s.net is not None})
        if nets:
            groups = [{"params": [s.param for s in slots if s.net == k], "net": k} for k in nets]
            opt = module.L2LOptimizer(groups)
        else:
            opt = module.L2LOptimizer([s.param for s in slots])

    def theta():
        return torch.cat([s.from_param(s.param.detach()) for s in slots])

    rows = [theta().clone()]
    for t in range(steps):
        for s in slots:
            s.param.grad = s.to_param(grads[t, s.offset:s.offset + s.size]).clone()
        opt.step()
        rows.append(theta().clone())
    return rows


def check_refusals(module):
    """A param group with a net the module does not have must be refused with a ValueError naming it."""
    p = torch.nn.Parameter(torch.zeros(3))
    for bad in (module.NETS, -1, "0", 1.0):
        try:
            module.L2LOptimizer([{"params": [p], "net": bad}])
        except ValueError as e:
            if "net" not in str(e):
                raise SystemExit(f"refusal of net={bad!r} does not name the net: {e}")
            continue
        raise SystemExit(f"{module.__name__}: net={bad!r} was accepted")
    if module.NETS > 1:
        try:
            module.L2LOptimizer([p])
        except ValueError as e:
            if "net" not in str(e):
                raise SystemExit(f"refusal of a group without a net does not say so: {e}")
        else:
            raise SystemExit(f"{module.__name__}: a group without a net was accepted by a {module.NETS}-net module")


def main():
    torch.set_num_threads(1)
    cases_path = sys.argv[1]
    base = os.path.dirname(os.path.abspath(cases_path))
    with open(cases_path) as f:
        cases = json.load(f)
    for case in cases:
        module = load_module(os.path.join(base, case["module"]), case.get("mutations", ()))
        check_refusals(module)
        rows = run_quadratic(case, module, base) if case["kind"] == "quadratic" else run_gradients(case, module, base)
        write(os.path.join(base, case["out"]), torch.stack(rows))
        write(os.path.join(base, case["weights_out"]), torch.cat([module._decode(k) for k in range(module.NETS)]))
        with open(os.path.join(base, case["provenance_out"]), "w") as f:
            json.dump(module.PROVENANCE, f)
        print(f"{case['name']}: {len(rows) - 1} steps of {rows[0].numel()} coordinates", flush=True)


if __name__ == "__main__":
    main()
