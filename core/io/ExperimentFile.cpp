#include "io/ExperimentFile.h"

#include "base/JsonLimits.h"

#include "base/AtomicFile.h"
#include "base/Spec.h"
#include "io/EvalResultJson.h"
#include "optimizers/OptimizerFile.h"
#include "problems/Functions2d.h"
#include "problems/Problem.h"

#include <nlohmann/json.hpp>

#include <filesystem>

#include <algorithm>
#include <cmath>

namespace l2l {

namespace {

constexpr const char* kFormat = "l2l-experiment";
constexpr int kVersion = 1;

// The meta-training settings of an experiment: the table's keys (optimizers/MetaTrainConfig.cpp) without the
// problem (the experiment's own) and the thread count (the machine's). Files written before settings were
// versioned may omit any key (legacy settings version 0): those keys keep their defaults.
const std::vector<std::string> kMetaTrainSkipped = {"problem", "threads"};

nlohmann::json metaTrainJson(const MetaTrainConfig& c)
{
    return settingsToJson(metaTrainSettings(), c, kMetaTrainSkipped);
}

MetaTrainConfig metaTrainFrom(const nlohmann::json& j, MetaTrainConfig c)
{
    settingsFromJson(metaTrainSettings(), j, c, 0, "meta_train", {}, kMetaTrainSkipped);
    return c;
}

void checkRate(const OptimizerChoice& o)
{
    if (o.rate.empty() || o.name == "lstm") return;
    const double lr = parseDouble(o.rate, "learning rate of " + o.name);
    if (!(lr > 0) || lr > 1e4)
        throw Error("learning rate of " + o.name + " must be in (0, 10000] or \"tuned\", got '" + o.rate + "'");
}

// The string at `key` of the object `j`, or `fallback` where there is none; `where` names the object in the message
// ("experiment: optimizers[2]").
std::string textOr(const nlohmann::json& j, const char* key, const std::string& fallback, const std::string& where)
{
    if (!j.contains(key)) return fallback;
    if (!j[key].is_string())
        throw Error(where + ": key \"" + key + "\" must be a string, got " + excerpt(j[key].dump(), 40));
    return j[key].get<std::string>();
}

} // namespace

std::string OptimizerChoice::spec() const
{
    if (name == "lstm") {
        if (path.empty()) return name;
        return name + (path.find('=') != std::string::npos ? ":path=" : ":") + path;
    }
    return rate.empty() ? name : name + ":lr=" + rate;
}

std::vector<OptimizerChoice> Experiment::defaultChoices()
{
    return {{"sgd", true, "", ""},
            {"nag", true, "", ""},
            {"rmsprop", true, "", ""},
            {"adam", true, "", ""},
            {"lstm", true, "", ""}};
}

EvalConfig Experiment::evalConfig() const
{
    EvalConfig c = eval;
    c.optimizers.clear();
    for (const auto& o : optimizers)
        if (o.enabled) c.optimizers.push_back(o.spec());
    if (c.optimizers.empty()) throw Error("experiment: no optimizer is enabled (every entry of \"optimizers\" is off)");
    return c;
}

const std::vector<std::string>& experimentViews()
{
    static const std::vector<std::string> views{"compare", "meta-train", "trajectories", "inspect",
                                                "art",     "transfer",   "graph"};
    return views;
}

void Experiment::validate() const
{
    try {
        checkProblemSpec(eval.problem);
    } catch (const Error& e) {
        throw Error(std::string("experiment: key \"problem\": ") + e.what());
    }
    checkSettings(evalSettings(), eval, "experiment");
    const auto names = updateRuleNames();
    for (const auto& o : optimizers) {
        if (std::find(names.begin(), names.end(), o.name) == names.end())
            throw Error("experiment: unknown optimizer '" + o.name + "' (known: " + joinNames(names) + ")");
        checkRate(o);
    }
    if (!function2dKind(Spec::parse(trajectoryFunction).name))
        throw Error("experiment: trajectory function '" + trajectoryFunction + "' is not a 2-d function");
    for (double v : trajectoryStart)
        if (!std::isfinite(v) || std::abs(v) > 1000)
            throw Error("experiment: trajectory start coordinates must be finite and in [-1000, 1000]");
    if (std::find(experimentViews().begin(), experimentViews().end(), view) == experimentViews().end())
        throw Error("experiment: key \"view\" must be one of " + joinNames(experimentViews()) + ", got '" +
                    excerpt(view, 40) + "'");
    MetaTrainConfig m = metaTrain;
    m.problem = eval.problem;
    m.validate();
    if (results && (results->config.problem != eval.problem || results->config.runs != eval.runs ||
                    results->config.steps != eval.steps || results->config.seed != eval.seed))
        throw Error("experiment: results were made with problem '" + results->config.problem + "', " +
                    std::to_string(results->config.runs) + " runs, " + std::to_string(results->config.steps) +
                    " steps, seed " + std::to_string(results->config.seed) + ", not the experiment's settings");
}

namespace {
// `path` relative to `dir` when it lies in `dir` or below, else unchanged.
std::string pathFrom(const std::string& path, const std::string& dir)
{
    namespace fs = std::filesystem;
    if (dir.empty() || path.empty()) return path;
    std::error_code error;
    const fs::path base = fs::absolute(fs::path(dir), error).lexically_normal();
    if (error) return path;
    const fs::path file = fs::absolute(fs::path(path), error).lexically_normal();
    if (error) return path;
    const fs::path relative = file.lexically_relative(base);
    if (relative.empty() || *relative.begin() == "..") return path;
    return relative.generic_string();
}
} // namespace

std::string experimentToJson(const Experiment& e, const std::string& dir)
{
    nlohmann::json optimizers = nlohmann::json::array();
    for (const auto& o : e.optimizers) {
        nlohmann::json j = {{"name", o.name}, {"enabled", o.enabled}};
        if (o.name == "lstm")
            j["path"] = pathFrom(o.path, dir);
        else
            j["lr"] = o.rate.empty() ? std::string("tuned") : o.rate;
        optimizers.push_back(j);
    }
    nlohmann::json doc = {{"format", kFormat}, {"version", kVersion}};
    doc.update(settingsToJson(evalSettings(), e.eval)); // settings_version, problem, runs, steps, seed, test_every
    doc["optimizers"] = optimizers;
    doc["trajectories"] = {{"function", e.trajectoryFunction}, {"start", e.trajectoryStart}};
    doc["meta_train"] = metaTrainJson(e.metaTrain);
    doc["view"] = e.view;
    if (!e.title.empty()) doc["title"] = e.title;
    if (e.results) doc["results"] = evalStatsToJson(*e.results);
    return doc.dump(2) + "\n";
}

Experiment experimentFromJson(const std::string& text, const std::string& path)
{
    const std::string where = "experiment file '" + path + "'";
    const nlohmann::json doc = parseJsonLimited(text, where);
    const int version = jsonFormatVersion(doc, where, kFormat, "an l2l experiment");
    if (version != kVersion)
        throw Error(where + " has version " + std::to_string(version) + "; this build reads version 1");
    Experiment e;
    try {
        // Files from before settings were versioned are settings version 1: test_every (version 2) may be missing.
        settingsFromJson(evalSettings(), doc, e.eval, 1, "experiment",
                         {"format", "version", "optimizers", "trajectories", "meta_train", "view", "title", "results"});
        e.optimizers.clear();
        if (!doc.contains("optimizers") || !doc["optimizers"].is_array())
            throw Error("experiment: key \"optimizers\" must be an array of {\"name\": ...} objects");
        const nlohmann::json& list = doc["optimizers"];
        for (size_t i = 0; i < list.size(); ++i) {
            const nlohmann::json& j = list[i];
            const std::string at = "experiment: optimizers[" + std::to_string(i) + "]";
            if (!j.is_object()) throw Error(at + " must be an object, got " + excerpt(j.dump(), 40));
            if (!j.contains("name")) throw Error(at + " has no \"name\"");
            OptimizerChoice o{textOr(j, "name", "", at), true, "", textOr(j, "path", "", at)};
            if (j.contains("enabled")) {
                if (!j["enabled"].is_boolean())
                    throw Error(at + " (" + o.name + "): key \"enabled\" must be true or false, got " +
                                excerpt(j["enabled"].dump(), 40));
                o.enabled = j["enabled"].get<bool>();
            }
            // The rate is text ("tuned" or a number as written); a number is taken as the number it is.
            std::string rate = "tuned";
            if (j.contains("lr")) {
                if (j["lr"].is_number())
                    rate = exactNumber(j["lr"].get<double>());
                else if (j["lr"].is_string())
                    rate = j["lr"].get<std::string>();
                else
                    throw Error(at + " (" + o.name + "): key \"lr\" must be \"tuned\" or a rate, got " +
                                excerpt(j["lr"].dump(), 40));
            }
            o.rate = rate == "tuned" ? "" : rate;
            // A relative optimizer file is beside the experiment file, wherever the reader runs; made absolute,
            // so that the experiment saved again elsewhere still names it.
            if (!o.path.empty() && std::filesystem::path(o.path).is_relative())
                o.path = std::filesystem::absolute(std::filesystem::path(path).parent_path() / o.path)
                             .lexically_normal()
                             .string();
            e.optimizers.push_back(o);
        }
        if (doc.contains("trajectories")) {
            const nlohmann::json& t = doc["trajectories"];
            if (!t.is_object()) throw Error("experiment: key \"trajectories\" must be an object");
            e.trajectoryFunction = textOr(t, "function", e.trajectoryFunction, "experiment: trajectories");
            if (t.contains("start")) {
                const nlohmann::json& start = t["start"];
                if (!start.is_array() || start.size() != 2 || !start[0].is_number() || !start[1].is_number())
                    throw Error("experiment: trajectories.start must be two numbers [x, y], got " +
                                excerpt(start.dump(), 40));
                e.trajectoryStart = {start[0].get<double>(), start[1].get<double>()};
            }
        }
        if (doc.contains("meta_train")) e.metaTrain = metaTrainFrom(doc["meta_train"], e.metaTrain);
        e.view = textOr(doc, "view", e.view, "experiment");
        e.title = textOr(doc, "title", e.title, "experiment");
        if (e.title.size() > 200) throw Error("experiment: title is longer than 200 characters");
        if (doc.contains("results")) e.results = evalStatsFromJson(doc["results"], where, "results");
    } catch (const nlohmann::json::exception& ex) {
        throw Error(where + " is malformed: " + std::string(ex.what()));
    } catch (const Error& ex) { // a bad name (preprocessing, grouping); results name the file themselves
        const std::string what = ex.what();
        throw Error(what.rfind(where, 0) == 0 ? what : where + ": " + what);
    }
    try {
        e.validate();
    } catch (const Error& ex) {
        throw Error(where + ": " + ex.what());
    }
    return e;
}

void checkOptimizerFiles(const Experiment& e, const std::string& where)
{
    for (size_t i = 0; i < e.optimizers.size(); ++i) {
        const OptimizerChoice& o = e.optimizers[i];
        if (!o.enabled || o.name != "lstm" || o.path.empty()) continue;
        try {
            (void)loadOptimizer(o.path);
        } catch (const Error& error) {
            throw Error(where + ": optimizers[" + std::to_string(i) + "] (lstm): " + error.what());
        }
    }
}

void saveExperiment(const std::string& path, const Experiment& e)
{
    e.validate();
    writeFileAtomically(path, experimentToJson(e, std::filesystem::absolute(path).parent_path().string()));
}

Experiment loadExperiment(const std::string& path)
{
    return experimentFromJson(readFile(path, kMaxExperimentFileBytes), path);
}

std::string fileFormatOf(const std::string& text)
{
    try {
        const auto doc = parseJsonLimited(text, "file");
        if (doc.is_object() && doc.contains("format") && doc["format"].is_string())
            return doc["format"].get<std::string>();
    } catch (const std::exception&) { // not JSON, or too deep: no format
    }
    return {};
}

} // namespace l2l
