#include "io/TorchExport.h"

#include "base/AtomicFile.h"
#include "base/BuildInfo.h"

#include "base/Spec.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <sstream>
#include <type_traits>
#include <variant>

namespace l2l {

namespace {

// The body of a Python string literal ("..." or """...""") holding `text`, in ASCII: backslash, quote and
// control characters escaped, other characters as \u / \U escapes of their code points (invalid UTF-8 as U+FFFD).
// `newlines`: keep line breaks as they are (a docstring), else write them as \n.
std::string pyEscape(const std::string& text, bool newlines = false)
{
    std::string out;
    char buf[16];
    for (size_t i = 0; i < text.size();) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c < 0x80) {
            ++i;
            if (c == '\\' || c == '"') {
                out += '\\';
                out += char(c);
            } else if (c == '\n') {
                out += newlines ? "\n" : "\\n";
            } else if (c == '\t') {
                out += "\\t";
            } else if (c < 0x20 || c == 0x7f) {
                std::snprintf(buf, sizeof buf, "\\x%02x", unsigned(c));
                out += buf;
            } else {
                out += char(c);
            }
            continue;
        }
        // A UTF-8 sequence: its length from the lead byte, continuation bytes 10xxxxxx.
        const int len = c >= 0xf0 && c < 0xf8 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 && c < 0xe0 ? 2 : 0;
        std::uint32_t cp = len == 4 ? c & 0x07u : len == 3 ? c & 0x0fu : c & 0x1fu;
        bool ok = len > 0 && i + size_t(len) <= text.size();
        for (int k = 1; ok && k < len; ++k) {
            const auto b = static_cast<unsigned char>(text[i + size_t(k)]);
            ok = (b & 0xc0) == 0x80;
            cp = (cp << 6) | (b & 0x3fu);
        }
        if (ok &&
            (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000)))
            ok = false;
        if (!ok) cp = 0xfffd;
        i += ok ? size_t(len) : 1;
        if (cp <= 0xffff)
            std::snprintf(buf, sizeof buf, "\\u%04x", unsigned(cp));
        else
            std::snprintf(buf, sizeof buf, "\\U%08x", unsigned(cp));
        out += buf;
    }
    return out;
}

std::string pyString(const std::string& text) { return "\"" + pyEscape(text) + "\""; }

// A float32 value as a Python expression giving exactly that value (a hex literal).
std::string pyFloat32(float v)
{
    char buf[64];
    std::snprintf(buf, sizeof buf, "float.fromhex(\"%a\")", double(v));
    return buf;
}

std::string pyDouble(double v)
{
    char buf[64];
    std::snprintf(buf, sizeof buf, "float.fromhex(\"%a\")", v);
    return buf;
}

// Base64 (RFC 4648) of the little-endian bytes of `count` floats, as a parenthesised Python string literal of
// lines of 76 characters.
std::string base64Floats(const float* values, Index count, const std::string& indent)
{
    static const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string bytes;
    bytes.reserve(size_t(count) * 4);
    for (Index i = 0; i < count; ++i) {
        std::uint32_t bits;
        std::memcpy(&bits, &values[i], 4);
        for (int b = 0; b < 4; ++b) bytes += char((bits >> (8 * b)) & 0xffu);
    }
    std::string text;
    for (size_t i = 0; i < bytes.size(); i += 3) {
        const size_t n = std::min<size_t>(3, bytes.size() - i);
        std::uint32_t chunk = 0;
        for (size_t k = 0; k < 3; ++k) chunk = (chunk << 8) | (k < n ? static_cast<unsigned char>(bytes[i + k]) : 0u);
        for (size_t k = 0; k < 4; ++k) text += k <= n ? alphabet[(chunk >> (18 - 6 * k)) & 0x3fu] : '=';
    }
    std::string out = "(\n";
    for (size_t i = 0; i < text.size(); i += 76) out += indent + "    \"" + text.substr(i, 76) + "\"\n";
    return out + indent + ")";
}

// Fills the @KEY@ fields of `text` in one pass: text inserted for one key is never searched for another.
std::string fillTemplate(const std::string& text, const std::vector<std::pair<std::string, std::string>>& fields)
{
    std::string out;
    size_t at = 0;
    while (at < text.size()) {
        const size_t open = text.find('@', at);
        if (open == std::string::npos) break;
        const size_t close = text.find('@', open + 1);
        const std::string key = close == std::string::npos ? "" : text.substr(open, close + 1 - open);
        const auto field = std::find_if(fields.begin(), fields.end(), [&](const auto& f) { return f.first == key; });
        out += text.substr(at, open - at);
        if (field == fields.end()) { // not a field (a Python decorator)
            out += '@';
            at = open + 1;
        } else {
            out += field->second;
            at = close + 1;
        }
    }
    return out + text.substr(std::min(at, text.size()));
}

std::string settingValueText(const SettingValue& v)
{
    return std::visit(
        [](const auto& x) -> std::string {
            using X = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<X, std::string>)
                return "'" + x + "'";
            else if constexpr (std::is_same_v<X, bool>)
                return x ? "true" : "false";
            else {
                std::ostringstream s;
                s << x;
                return s.str();
            }
        },
        v);
}

// The module. @KEY@ are filled in by torchModule(); the formulas follow core/optimizers/LstmNet.cpp
// (preprocessing), LstmOptimizer.cpp (forwardBlock) and nn/LstmCell.cpp (the gates) step by step.
const char* kModuleTemplate =
    R"PY(# Generated by `l2l export --torch` (L2L Studio): a learned optimizer for PyTorch. Do not edit: export again.
"""@DOCSTRING@"""

import array
import base64
import json
import sys

import torch

__all__ = ["L2LOptimizer", "ARCHITECTURE", "NETS", "PROVENANCE", "SOURCE", "EXPORTED_BY"]

SOURCE = @SOURCE@
EXPORTED_BY = @EXPORTED_BY@
ARCHITECTURE = json.loads(@ARCHITECTURE_JSON@)
NETS = @NETS@
PROVENANCE = json.loads(@PROVENANCE_JSON@)

# The architecture, and every constant as the float32 (or double) value l2l computes with, written exactly.
_LAYERS = @LAYERS@
_HIDDEN = @HIDDEN@
_INPUTS = @INPUTS@  # rows of the preprocessed input per coordinate
_INPUT_LAYER = @INPUT_LAYER@  # units of the ELU layer between the inputs and the LSTM (0: none)
_PREPROCESS = @PREPROCESS@
_OUTPUT = @OUTPUT@
_SCALE = @SCALE@  # float32(output_scale)
_P = @P@  # float32(p)
_THRESHOLD = @THRESHOLD@  # float32(exp(-p)), computed in double
_EXP_P = @EXP_P@  # float32(exp(p)), computed in double
_BETA1 = @BETA1@  # float32(0.95): RNNprop's moment decay
_ONE_MINUS_BETA1 = @ONE_MINUS_BETA1@  # 1 - _BETA1 in float32
_BETA2 = @BETA2@
_ONE_MINUS_BETA2 = @ONE_MINUS_BETA2@
_EPSILON = @EPSILON@  # float32(1e-8)
_BETA1_DOUBLE = @BETA1_DOUBLE@  # the bias corrections 1 / (1 - beta^t) are computed in double, then rounded
_BETA2_DOUBLE = @BETA2_DOUBLE@
_PARAM_COUNT = @PARAM_COUNT@  # weights per net

# One entry per net (net k serves the param groups marked "net": k): base64 of the file's weights as
# little-endian float32, laid out as l2l's LstmNet::params (core/optimizers/LstmNet.h).
_WEIGHTS = [
@WEIGHTS@
]


def _f32(x):
    """x rounded to float32, as a Python float."""
    return array.array("f", [x])[0]


def _decode(k):
    raw = base64.b64decode(_WEIGHTS[k], validate=True)
    if len(raw) != 4 * _PARAM_COUNT:
        raise ValueError(f"{__name__}: net {k} has {len(raw)} bytes of weights, expected {4 * _PARAM_COUNT}: "
                         "the module is damaged; export it again with `l2l export --torch`")
    values = array.array("f")
    values.frombytes(raw)
    if sys.byteorder != "little":
        values.byteswap()
    flat = torch.tensor(values.tolist(), dtype=torch.float32)
    if not bool(torch.isfinite(flat).all()):
        raise ValueError(f"{__name__}: net {k} has weights that are not finite: the module is damaged")
    return flat


class _Net:
    """One net's weights on one device, cut as LstmNet::params: [W_in (E, I), b_in (E)] if there is an input
    layer; per LSTM layer [Wx Wh] (4H, in + H) column-major and b (4H), gate rows [i | f | g | o]; w_out (H),
    b_out. A column-major (R, C) matrix is the row-major (C, R) matrix of its transpose."""

    def __init__(self, flat, device):
        flat = flat.to(device)
        H, I, E = _HIDDEN, _INPUTS, _INPUT_LAYER
        o = 0
        if E > 0:
            self.w_in_t = flat[o:o + E * I].view(I, E)
            o += E * I
            self.b_in = flat[o:o + E]
            o += E
        self.w_half_t, self.b_half = [], []
        below = E if E > 0 else I
        for _ in range(_LAYERS):
            k = below + H
            w_t = flat[o:o + 4 * H * k].view(k, 4 * H).clone()
            o += 4 * H * k
            b = flat[o:o + 4 * H].clone()
            o += 4 * H
            # l2l takes the sigmoid gates (i, f, o) as (1 + tanh(z / 2)) / 2 with their rows of W and b halved
            # beforehand (exact in binary), and so does this module.
            w_t[:, :2 * H] *= 0.5
            w_t[:, 3 * H:] *= 0.5
            b[:2 * H] *= 0.5
            b[3 * H:] *= 0.5
            self.w_half_t.append(w_t)
            self.b_half.append(b)
            below = H
        self.w_out = flat[o:o + H]
        self.b_out = flat[o + H:o + H + 1]
        if o + H + 1 != _PARAM_COUNT:
            raise ValueError(f"{__name__}: the weights do not match the architecture: the module is damaged")

    def update(self, g, state):
        """The update u (N) of coordinates with float32 gradients g (N), advancing their state."""
        H = _HIDDEN
        if _PREPROCESS == "none":
            x = g.unsqueeze(1)
        elif _PREPROCESS == "log-sign":
            # (log|g| / p, sgn g) where |g| >= e^-p, else (-1, e^p g) (the paper's Appendix A)
            a = g.abs()
            big = a >= _THRESHOLD
            one = torch.ones_like(g)
            x0 = torch.where(big, torch.log(torch.clamp(a, min=_THRESHOLD)) / _P, -one)
            x1 = torch.where(big, torch.where(g > 0, one, -one), _EXP_P * g)
            x = torch.stack([x0, x1], dim=1)
        else:
            # RNNprop: (g / s, m_hat / s), s = sqrt(v_hat) + eps, Adam's moments updated first
            state["step"] += 1
            t = state["step"]
            c1 = _f32(1.0 / (1.0 - _BETA1_DOUBLE ** t))
            c2 = _f32(1.0 / (1.0 - _BETA2_DOUBLE ** t))
            m, v = state["m"], state["v"]
            m.mul_(_BETA1).add_(_ONE_MINUS_BETA1 * g)
            v.mul_(_BETA2).add_(_ONE_MINUS_BETA2 * (g * g))
            s = torch.sqrt(v * c2) + _EPSILON
            x = torch.stack([g / s, (m * c1) / s], dim=1)
        below = x
        if _INPUT_LAYER > 0:  # z = ELU(W_in x + b_in), ELU(a) = a if a > 0 else exp(a) - 1
            z = torch.addmm(self.b_in, x, self.w_in_t)
            below = torch.where(z > 0, z, torch.exp(z) - 1.0)
        hs, cs = state["h"], state["c"]
        for l in range(_LAYERS):
            inp = torch.cat([below, hs[l]], dim=1)
            gates = torch.tanh(torch.addmm(self.b_half[l], inp, self.w_half_t[l]))
            i = 0.5 * gates[:, :H] + 0.5
            f = 0.5 * gates[:, H:2 * H] + 0.5
            cand = gates[:, 2 * H:3 * H]
            o = 0.5 * gates[:, 3 * H:] + 0.5
            c = f * cs[l] + i * cand
            h = o * torch.tanh(c)
            cs[l].copy_(c)
            hs[l].copy_(h)
            below = h
        a = torch.mv(below, self.w_out) + self.b_out
        if _OUTPUT == "tanh":
            return torch.tanh(a) * _SCALE
        return _SCALE * a


class L2LOptimizer(torch.optim.Optimizer):
    """The learned optimizer of this module (see its docstring), applied to every coordinate of every parameter
    separately, each with its own LSTM state: p <- p + u(grad). There is no learning rate.

    params: parameters or param groups, as for any torch optimizer. With several nets (NETS > 1) every param
    group needs "net": k, the net that updates it (or pass net=k as the default of all groups).

    It computes in float32 whatever the parameters' dtype (the update is cast to it), on the parameters' device.
    Parameters without a gradient are skipped, as by torch's optimizers.
    """

    def __init__(self, params, net=None):
        if net is None and NETS == 1:
            net = 0
        self._nets = {}
        super().__init__(params, {"net": net})

    def add_param_group(self, param_group):
        super().add_param_group(param_group)
        k = self.param_groups[-1]["net"]
        if k is None:
            raise ValueError(f"this learned optimizer has {NETS} nets, one per parameter group of the problem it "
                             f"was trained on ({PROVENANCE.get('problem', 'unknown')}): give every param group a "
                             f"\"net\" in 0..{NETS - 1}, e.g. [{{\"params\": a, \"net\": 0}}, "
                             f"{{\"params\": b, \"net\": 1}}], or net=k for all of them")
        if isinstance(k, bool) or not isinstance(k, int) or not 0 <= k < NETS:
            raise ValueError(f"param group \"net\" is {k!r}, but this learned optimizer has {NETS} net"
                             f"{'s' if NETS > 1 else ''} (valid: 0..{NETS - 1})")

    def _net(self, k, device):
        key = (k, str(device))
        if key not in self._nets:
            self._nets[key] = _Net(_decode(k), device)
        return self._nets[key]

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if p.grad.is_sparse:
                    raise RuntimeError("L2LOptimizer does not support sparse gradients")
                if p.is_complex():
                    raise RuntimeError("L2LOptimizer updates real parameters only (a complex parameter was given)")
                g = p.grad.detach().reshape(-1).to(torch.float32)
                state = self.state[p]
                n = g.numel()
                if len(state) == 0:
                    state["step"] = 0
                    state["h"] = torch.zeros(_LAYERS, n, _HIDDEN, dtype=torch.float32, device=p.device)
                    state["c"] = torch.zeros(_LAYERS, n, _HIDDEN, dtype=torch.float32, device=p.device)
                    if _PREPROCESS == "rnnprop":
                        state["m"] = torch.zeros(n, dtype=torch.float32, device=p.device)
                        state["v"] = torch.zeros(n, dtype=torch.float32, device=p.device)
                for key in ("h", "c", "m", "v"):  # load_state_dict casts the state to the parameter's dtype
                    if key in state and (state[key].dtype != torch.float32 or state[key].device != p.device):
                        state[key] = state[key].to(device=p.device, dtype=torch.float32)
                u = self._net(group["net"], p.device).update(g, state)
                p.add_(u.view(p.shape).to(p.dtype))
        return loss
)PY";

std::string docstring(const OptimizerFile& file, const std::string& source, const std::string& moduleName)
{
    const LstmArch& a = file.net.arch;
    const Provenance& p = file.provenance;
    std::ostringstream d;
    d << "Learned optimizer exported from " << source << " by `l2l export --torch` ("
      << "l2l 0.1.0, " << buildInfo() << ").\n\n";
    d << "A coordinatewise LSTM optimizer trained with L2L Studio (\"Learning to learn by gradient descent by "
         "gradient\ndescent\", Andrychowicz et al. 2016"
      << (a.preprocess == Preprocess::Rnnprop ? "; in the form of RNNprop, Lv et al. 2017" : "")
      << "). Use it like any torch optimizer:\n\n";
    d << "    from " << moduleName << " import L2LOptimizer\n";
    if (file.net.nets == 1) {
        d << "    opt = L2LOptimizer(model.parameters())\n";
    } else {
        d << "    opt = L2LOptimizer([{\"params\": group0, \"net\": 0}, {\"params\": group1, \"net\": 1}";
        if (file.net.nets > 2) d << ", ...";
        d << "])\n";
    }
    d << "    loss.backward(); opt.step(); opt.zero_grad()\n\n";
    if (file.net.nets > 1)
        d << "It has " << file.net.nets << " nets, one per parameter group of the problem it was trained on"
          << (p.known ? " (" + p.training.problem + ")" : "")
          << ": net k updates the parameters\nof the param groups marked \"net\": k (l2l's parameter group k).\n\n";
    d << "The update of each coordinate of each parameter, with its own state (no learning rate):\n";
    switch (a.preprocess) {
    case Preprocess::None:
        d << "    x = g                                  (the gradient itself)\n";
        break;
    case Preprocess::LogSign:
        d << "    x = (log|g| / p, sgn g) if |g| >= e^-p, else (-1, e^p g)    (p = " << a.p << ")\n";
        break;
    case Preprocess::Rnnprop:
        d << "    m, v = Adam's moments of g (beta1 = beta2 = 0.95), bias-corrected m_hat, v_hat\n"
             "    x = (g / s, m_hat / s),  s = sqrt(v_hat) + 1e-8\n";
        break;
    }
    if (a.inputLayer > 0) d << "    x = ELU(W_in x + b_in)                 (" << a.inputLayer << " units)\n";
    d << "    h = LSTM(x, state)                     (" << a.layers << " layer" << (a.layers > 1 ? "s" : "") << " of "
      << a.hidden << " units, forget gate)\n";
    if (a.output == OutputActivation::Tanh)
        d << "    u = " << a.outputScale << " * tanh(w_out . h + b_out)\n";
    else
        d << "    u = " << a.outputScale << " * (w_out . h + b_out)\n";
    d << "    theta <- theta + u\n";
    d << "in float32 whatever the parameters' dtype, with the file's weights bit for bit (it agrees with `l2l` to\n"
         "float rounding).\n\n";
    if (!p.known) {
        d << "Provenance: the optimizer file records none.\n";
        return d.str();
    }
    d << "Provenance (the optimizer file's; PROVENANCE holds all of it):\n";
    d << "    trained on:  " << p.training.problem << "\n";
    for (const std::string& c : p.earlierCommands) d << "    earlier:     " << c << "\n";
    if (!p.command.empty()) d << "    command:     " << p.command << "\n";
    if (!p.ancestors.empty()) d << "    lineage:     " << lineageSummary(p.ancestors) << "\n";
    if (!p.created.empty()) d << "    created:     " << p.created << "\n";
    if (!p.tool.empty()) d << "    tool:        " << p.tool << "\n";
    d << "    seed:        " << p.training.seed << "\n";
    d << "    epochs:      " << p.epochsDone;
    if (p.bestEpoch >= 0) d << " (kept: epoch " << p.bestEpoch << ")";
    d << "\n";
    if (std::isfinite(p.validationLoss)) d << "    validation:  " << p.validationLoss << "\n";
    if (p.selection.known)
        d << "    selected by: l2l select on " << p.selection.problem << " (seed " << p.selection.seed << ", "
          << p.selection.runs << " runs of " << p.selection.steps << " steps, criterion " << p.selection.criterion
          << ", score " << p.selection.score << ", " << p.selection.candidates.size() << " candidates)\n";
    return d.str();
}

} // namespace

const std::vector<std::string>& torchExportableArchKeys()
{
    static const std::vector<std::string> keys = {"layers",       "hidden",      "preprocess",       "p",
                                                  "output_scale", "input_layer", "output_activation"};
    return keys;
}

std::string torchExportRefusal(const OptimizerFile& file, const std::vector<std::string>& known)
{
    const LstmArch& a = file.net.arch;
    const LstmArch defaults;
    for (const auto& f : lstmArchSettings().fields) {
        if (settingListed(known, f.key)) continue;
        const SettingValue value = f.get(a);
        if (value == f.get(defaults)) continue;
        return "architecture setting \"" + f.key + "\" = " + settingValueText(value) +
               " changes the update in a way the PyTorch export does not reproduce (it reproduces " + joinNames(known) +
               "); refusing rather than approximating it";
    }
    // The names the module's code knows (a value added to these enums must be added to it as well).
    switch (a.preprocess) {
    case Preprocess::None:
    case Preprocess::LogSign:
    case Preprocess::Rnnprop:
        break;
    default:
        return "its preprocessing is not one the PyTorch export reproduces (none, log-sign, rnnprop)";
    }
    switch (a.output) {
    case OutputActivation::Linear:
    case OutputActivation::Tanh:
        break;
    default:
        return "its output activation is not one the PyTorch export reproduces (linear, tanh)";
    }
    if (file.net.nets < 1 || file.net.params.size() != file.net.nets * a.paramCount())
        return "its weights do not match its architecture";
    return "";
}

std::string torchModule(const OptimizerFile& file, const std::string& source, const std::string& moduleName)
{
    if (const std::string why = torchExportRefusal(file); !why.empty())
        throw Error("optimizer file '" + source + "' cannot be exported to PyTorch: " + why);
    const LstmArch& a = file.net.arch;
    // The architecture and provenance exactly as the file format writes them.
    const nlohmann::json doc = nlohmann::json::parse(optimizerToJson(file));
    const auto ascii = [](const nlohmann::json& j) { return j.dump(-1, ' ', true); };
    std::string weights;
    for (int k = 0; k < file.net.nets; ++k)
        weights += "    " + base64Floats(file.net.params.data() + file.net.netOffset(k), a.paramCount(), "    ") +
                   ",  # net " + std::to_string(k) + "\n";
    weights.pop_back(); // the template has the newline
    const float b1 = float(kRnnpropBeta1), b2 = float(kRnnpropBeta2);
    // The same roundings as l2l: the constants are T(double) casts, 1 - beta in float (LstmNet.cpp).
    const std::vector<std::pair<std::string, std::string>> fields = {
        {"@DOCSTRING@", pyEscape(docstring(file, source, moduleName), true)},
        {"@SOURCE@", pyString(source)},
        {"@EXPORTED_BY@", pyString("l2l 0.1.0 (" + buildInfo() + ")")},
        {"@ARCHITECTURE_JSON@", pyString(ascii(doc.at("architecture")))},
        {"@NETS@", std::to_string(file.net.nets)},
        {"@PROVENANCE_JSON@", pyString(ascii(doc.contains("provenance") ? doc["provenance"] : nlohmann::json()))},
        {"@LAYERS@", std::to_string(a.layers)},
        {"@HIDDEN@", std::to_string(a.hidden)},
        {"@INPUTS@", std::to_string(a.inputSize())},
        {"@INPUT_LAYER@", std::to_string(a.inputLayer)},
        {"@PREPROCESS@", pyString(preprocessName(a.preprocess))},
        {"@OUTPUT@", pyString(outputActivationNames().name(a.output))},
        {"@SCALE@", pyFloat32(float(a.outputScale))},
        {"@P@", pyFloat32(float(a.p))},
        {"@THRESHOLD@", pyFloat32(float(std::exp(-a.p)))},
        {"@EXP_P@", pyFloat32(float(std::exp(a.p)))},
        {"@BETA1@", pyFloat32(b1)},
        {"@ONE_MINUS_BETA1@", pyFloat32(1.0f - b1)},
        {"@BETA2@", pyFloat32(b2)},
        {"@ONE_MINUS_BETA2@", pyFloat32(1.0f - b2)},
        {"@EPSILON@", pyFloat32(float(kRnnpropEpsilon))},
        {"@BETA1_DOUBLE@", pyDouble(kRnnpropBeta1)},
        {"@BETA2_DOUBLE@", pyDouble(kRnnpropBeta2)},
        {"@PARAM_COUNT@", std::to_string(a.paramCount())},
        {"@WEIGHTS@", weights},
    };
    return fillTemplate(kModuleTemplate, fields);
}

void exportTorchModule(const std::string& optimizerPath, const std::string& outPath)
{
    const OptimizerFile file = loadOptimizer(optimizerPath);
    std::string module = std::filesystem::path(outPath).stem().string();
    if (module.empty() || outPath == "-") module = "my_optimizer";
    writeFileAtomically(outPath, torchModule(file, optimizerPath, module));
}

} // namespace l2l
