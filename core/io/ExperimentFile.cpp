#include "io/ExperimentFile.h"

#include "base/JsonLimits.h"

#include "base/AtomicFile.h"
#include "base/Spec.h"
#include "io/EvalResultJson.h"
#include "problems/Functions2d.h"

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
    if (c.optimizers.empty()) throw Error("experiment: no optimizer is enabled");
    return c;
}

void Experiment::validate() const
{
    Spec::parse(eval.problem);
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
    MetaTrainConfig m = metaTrain;
    m.problem = eval.problem;
    m.validate();
    if (results && (results->config.problem != eval.problem || results->config.runs != eval.runs ||
                    results->config.steps != eval.steps || results->config.seed != eval.seed))
        throw Error("experiment: results were made with problem '" + results->config.problem + "', " +
                    std::to_string(results->config.runs) + " runs, " + std::to_string(results->config.steps) +
                    " steps, seed " + std::to_string(results->config.seed) + ", not the experiment's settings");
}

std::string experimentToJson(const Experiment& e)
{
    nlohmann::json optimizers = nlohmann::json::array();
    for (const auto& o : e.optimizers) {
        nlohmann::json j = {{"name", o.name}, {"enabled", o.enabled}};
        if (o.name == "lstm")
            j["path"] = o.path;
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
        for (const auto& j : doc.at("optimizers")) {
            OptimizerChoice o{j.at("name").get<std::string>(), j.value("enabled", true), "", j.value("path", "")};
            // A relative optimizer file is beside the experiment file, wherever the reader runs; made absolute,
            // so that the experiment saved again elsewhere still names it.
            if (!o.path.empty() && std::filesystem::path(o.path).is_relative())
                o.path = std::filesystem::absolute(std::filesystem::path(path).parent_path() / o.path)
                             .lexically_normal()
                             .string();
            const std::string rate = j.value("lr", "tuned");
            o.rate = rate == "tuned" ? "" : rate;
            e.optimizers.push_back(o);
        }
        if (doc.contains("trajectories")) {
            e.trajectoryFunction = doc["trajectories"].value("function", e.trajectoryFunction);
            e.trajectoryStart = doc["trajectories"].value("start", e.trajectoryStart);
        }
        if (doc.contains("meta_train")) e.metaTrain = metaTrainFrom(doc["meta_train"], e.metaTrain);
        e.view = doc.value("view", e.view);
        e.title = doc.value("title", e.title);
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

void saveExperiment(const std::string& path, const Experiment& e)
{
    e.validate();
    writeFileAtomically(path, experimentToJson(e));
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
