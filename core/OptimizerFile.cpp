#include "OptimizerFile.h"

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

std::string optimizerToJson(const OptimizerFile& file)
{
    const LstmArch& a = file.net.arch;
    const Provenance& p = file.provenance;
    nlohmann::json weights = nlohmann::json::array();
    for (Index i = 0; i < file.net.params.size(); ++i) weights.push_back(double(file.net.params(i)));
    nlohmann::json doc = {
        {"format", "l2l-optimizer"},
        {"version", 1},
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
          {"second_derivatives", p.secondDerivatives},
          {"command", p.command},
          {"created", p.created},
          {"tool", p.tool}}},
        {"weights", weights}};
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
    nlohmann::json doc;
    try {
        doc = nlohmann::json::parse(text);
    } catch (const nlohmann::json::parse_error& e) {
        throw Error(where + " is not valid JSON (" + std::string(e.what()) + ")" +
                    (text.empty() ? " - the file is empty" : ""));
    }
    if (!doc.is_object() || doc.value("format", "") != "l2l-optimizer")
        throw Error(where + " is not an l2l optimizer (missing \"format\": \"l2l-optimizer\")");
    if (!doc.contains("version") || !doc["version"].is_number_integer())
        throw Error(where + " has no integer \"version\"");
    if (doc["version"].get<int>() != 1)
        throw Error(where + " has version " + std::to_string(doc["version"].get<int>()) + "; this build reads version 1");
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
        const auto& w = doc.at("weights");
        if (!w.is_array()) throw Error("\"weights\" is not an array");
        if (Index(w.size()) != arch.paramCount())
            throw Error("has " + std::to_string(w.size()) + " weights, but a " + std::to_string(arch.layers) + "-layer LSTM of " +
                        std::to_string(arch.hidden) + " units needs " + std::to_string(arch.paramCount()));
        out.net.arch = arch;
        out.net.params.resize(arch.paramCount());
        for (size_t i = 0; i < w.size(); ++i) {
            if (!w[i].is_number()) throw Error("weight " + std::to_string(i) + " is not a number (" + w[i].dump() + ")");
            const double v = w[i].get<double>();
            if (!std::isfinite(v) || std::abs(v) > 3e38) throw Error("weight " + std::to_string(i) + " is not finite");
            out.net.params(Index(i)) = float(v);
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
            pr.secondDerivatives = p.value("second_derivatives", false);
            pr.command = p.value("command", "");
            pr.created = p.value("created", "");
            pr.tool = p.value("tool", "");
        }
    } catch (const Error& e) {
        throw Error(where + ": " + e.what());
    } catch (const nlohmann::json::exception& e) {
        throw Error(where + " is malformed: " + std::string(e.what()));
    }
    return out;
}

OptimizerFile loadOptimizer(const std::string& path)
{
    if (!std::filesystem::exists(path)) throw Error("optimizer file '" + path + "' does not exist");
    return optimizerFromJson(readFile(path), path);
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
