#include "OptimizerFile.h"

#include "JsonLimits.h"

#include "AtomicFile.h"
#include "Functions2d.h"
#include "Spec.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdlib>
#include <filesystem>

#ifndef L2L_RESOURCE_DIR
#define L2L_RESOURCE_DIR ""
#endif

namespace l2l {

namespace {
nlohmann::json weightsJson(const Vec<float>& params, Index offset, Index count)
{
    nlohmann::json weights = nlohmann::json::array();
    for (Index i = offset; i < offset + count; ++i) weights.push_back(double(params(i)));
    return weights;
}

// Reads a "weights" array of arch.paramCount() finite numbers into out (what: "" or "net 1: ").
void readWeights(const nlohmann::json& w, const LstmArch& arch, const std::string& what, float* out)
{
    if (!w.is_array()) throw Error(what + "\"weights\" is not an array");
    if (Index(w.size()) != arch.paramCount())
        throw Error(what + "has " + std::to_string(w.size()) + " weights, but a " + std::to_string(arch.layers) + "-layer LSTM of " +
                    std::to_string(arch.hidden) + " units needs " + std::to_string(arch.paramCount()));
    for (size_t i = 0; i < w.size(); ++i) {
        if (!w[i].is_number()) throw Error(what + "weight " + std::to_string(i) + " is not a number (" + w[i].dump() + ")");
        const double v = w[i].get<double>();
        if (!std::isfinite(v) || std::abs(v) > 3e38) throw Error(what + "weight " + std::to_string(i) + " is not finite");
        out[i] = float(v);
    }
}

// Version 2: "groups": N and "nets": [{"group": k, "weights": [...]}, ...], each group 0..N-1 once.
void readNets(const nlohmann::json& doc, LstmNet<float>& net)
{
    const LstmArch& arch = net.arch;
    if (!doc.contains("groups") || !doc["groups"].is_number_integer())
        throw Error("has no integer \"groups\" (the number of nets, one per parameter group)");
    const int groups = doc["groups"].get<int>();
    if (groups < 1 || groups > kMaxLstmNets)
        throw Error("\"groups\" must be in [1, " + std::to_string(kMaxLstmNets) + "], got " + std::to_string(groups));
    if (!doc.contains("nets") || !doc["nets"].is_array()) throw Error("has no \"nets\" array");
    const auto& nets = doc["nets"];
    net.nets = groups;
    net.params.resize(groups * arch.paramCount());
    std::vector<bool> seen(size_t(groups), false);
    for (size_t i = 0; i < nets.size(); ++i) {
        const std::string what = "net " + std::to_string(i) + ": ";
        const auto& n = nets[i];
        if (!n.is_object() || !n.contains("group") || !n["group"].is_number_integer())
            throw Error(what + "has no integer \"group\" (the parameter group it serves)");
        const int g = n["group"].get<int>();
        if (g < 0 || g >= groups)
            throw Error(what + "serves group " + std::to_string(g) + ", but \"groups\" is " + std::to_string(groups) +
                        " (valid groups: 0.." + std::to_string(groups - 1) + ")");
        if (seen[size_t(g)]) throw Error(what + "serves group " + std::to_string(g) + ", which an earlier net already serves");
        seen[size_t(g)] = true;
        if (!n.contains("weights")) throw Error(what + "has no \"weights\"");
        readWeights(n["weights"], arch, what, net.params.data() + net.netOffset(g));
    }
    for (int g = 0; g < groups; ++g)
        if (!seen[size_t(g)])
            throw Error("the net for parameter group " + std::to_string(g) + " is missing (\"groups\" is " +
                        std::to_string(groups) + ", \"nets\" has " + std::to_string(nets.size()) + ")");
}
} // namespace

std::string optimizerToJson(const OptimizerFile& file)
{
    const LstmArch& a = file.net.arch;
    const Provenance& p = file.provenance;
    const Index P = a.paramCount();
    const bool several = file.net.nets > 1; // a one-net optimizer stays in version 1, unchanged
    nlohmann::json doc = {
        {"format", "l2l-optimizer"},
        {"version", several ? 2 : 1},
        {"architecture",
         {{"type", "coordinatewise-lstm"},
          {"layers", a.layers},
          {"hidden", a.hidden},
          {"preprocess", preprocessName(a.preprocess)},
          {"p", a.p},
          {"output_scale", a.outputScale}}},
        {"provenance",
         {{"problem", p.problem},
          {"seed", p.seed},
          {"epochs", p.epochs},
          {"best_epoch", p.bestEpoch},
          {"validation_loss", std::isfinite(p.validationLoss) ? nlohmann::json(p.validationLoss) : nlohmann::json(nullptr)},
          {"horizon", p.horizon},
          {"unroll", p.unroll},
          {"learning_rate", p.learningRate},
          {"lr_schedule", p.lrSchedule},
          {"clip_norm", p.clipNorm},
          {"second_derivatives", p.secondDerivatives},
          {"meta_loss", p.metaLoss},
          {"command", p.command},
          {"created", p.created},
          {"tool", p.tool}}}};
    if (several) {
        nlohmann::json nets = nlohmann::json::array();
        for (int k = 0; k < file.net.nets; ++k)
            nets.push_back({{"group", k}, {"weights", weightsJson(file.net.params, file.net.netOffset(k), P)}});
        doc["groups"] = file.net.nets;
        doc["nets"] = nets;
    } else {
        doc["weights"] = weightsJson(file.net.params, 0, P);
    }
    return doc.dump(1) + "\n";
}

void saveOptimizer(const std::string& path, const OptimizerFile& file)
{
    if (!file.net.params.allFinite()) throw Error("refusing to save '" + path + "': the weights contain NaN or infinity");
    writeFileAtomically(path, optimizerToJson(file));
}

OptimizerFile optimizerFromJson(const std::string& text, const std::string& path)
{
    const std::string where = "optimizer file '" + path + "'";
    const nlohmann::json doc = parseJsonLimited(text, where);
    if (!doc.is_object() || doc.value("format", "") != "l2l-optimizer")
        throw Error(where + " is not an l2l optimizer (missing \"format\": \"l2l-optimizer\")");
    if (!doc.contains("version") || !doc["version"].is_number_integer())
        throw Error(where + " has no integer \"version\"");
    const int version = doc["version"].get<int>();
    if (version != 1 && version != 2)
        throw Error(where + " has version " + std::to_string(version) + "; this build reads versions 1 and 2");
    OptimizerFile out;
    try {
        const auto& a = doc.at("architecture");
        if (a.value("type", "") != "coordinatewise-lstm")
            throw Error("architecture type '" + a.value("type", "") + "' is not supported (coordinatewise-lstm)");
        LstmArch arch;
        arch.layers = a.at("layers").get<int>();
        arch.hidden = a.at("hidden").get<int>();
        arch.preprocess = preprocessFromName(a.at("preprocess").get<std::string>());
        arch.p = a.at("p").get<double>();
        arch.outputScale = a.at("output_scale").get<double>();
        arch.validate();
        out.net.arch = arch;
        if (version == 1) { // one net, shared by every coordinate
            out.net.params.resize(arch.paramCount());
            readWeights(doc.at("weights"), arch, "", out.net.params.data());
        } else {
            readNets(doc, out.net);
        }
        if (doc.contains("provenance")) {
            const auto& p = doc["provenance"];
            Provenance& pr = out.provenance;
            pr.problem = p.value("problem", "");
            pr.seed = p.value("seed", std::uint64_t(0));
            pr.epochs = p.value("epochs", 0);
            pr.bestEpoch = p.value("best_epoch", -1);
            pr.validationLoss = p.contains("validation_loss") && p["validation_loss"].is_number() ? p["validation_loss"].get<double>() : NAN;
            pr.horizon = p.value("horizon", 0);
            pr.unroll = p.value("unroll", 0);
            pr.learningRate = p.value("learning_rate", 0.0);
            pr.lrSchedule = p.value("lr_schedule", "constant");
            pr.clipNorm = p.value("clip_norm", 0.0);
            pr.secondDerivatives = p.value("second_derivatives", false);
            pr.metaLoss = p.value("meta_loss", "sum");
            pr.command = p.value("command", "");
            pr.created = p.value("created", "");
            pr.tool = p.value("tool", "");
        }
    } catch (const Error& e) {
        throw Error(where + ": " + e.what());
    } catch (const nlohmann::json::exception& e) {
        throw Error(where + " is malformed: " + excerpt(e.what(), 200));
    }
    return out;
}

OptimizerFile loadOptimizer(const std::string& path)
{
    if (!std::filesystem::exists(path)) throw Error("optimizer file '" + path + "' does not exist");
    return optimizerFromJson(readFile(path, kMaxOptimizerFileBytes), path);
}

std::string resourceDir()
{
    if (const char* dir = std::getenv("L2L_RESOURCE_DIR"); dir && *dir) return dir;
    return L2L_RESOURCE_DIR;
}

std::string bundledOptimizerPath(const std::string& problemSpec)
{
    const Spec spec = Spec::parse(problemSpec);
    std::string family = spec.name;
    if (family == "fashion-mnist") family = "mnist";
    if (function2dKind(family)) family = "2d";
    const std::string path = resourceDir() + "/optimizers/" + family + ".json";
    if (!std::filesystem::exists(path))
        throw Error("no bundled LSTM optimizer for problem '" + spec.name + "' (looked for " + path +
                    "); train one with `l2l train` and pass lstm:FILE");
    return path;
}

} // namespace l2l
