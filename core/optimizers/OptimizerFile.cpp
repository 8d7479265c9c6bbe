#include "optimizers/OptimizerFile.h"

#include "base/AtomicFile.h"
#include "base/BitHash.h"
#include "base/JsonLimits.h"
#include "base/Resources.h"
#include "base/Spec.h"
#include "problems/Functions2d.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>

namespace l2l {

namespace {

// j[key], or an error naming the missing key (nlohmann's at() would say "[json.exception.out_of_range.403] ...").
const nlohmann::json& member(const nlohmann::json& j, const char* key, const std::string& what)
{
    if (!j.is_object() || !j.contains(key))
        throw Error((what.empty() ? std::string() : what + ": ") + "key \"" + key + "\" is missing");
    return j[key];
}
// j[key] as a string, or an error naming the key (missing or of another type).
std::string stringMember(const nlohmann::json& j, const char* key, const std::string& what)
{
    if (!j.contains(key) || !j[key].is_string()) throw Error(what + ": key \"" + key + "\" must be a string");
    return j[key].get<std::string>();
}
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
        throw Error(what + "has " + std::to_string(w.size()) + " weights, but a " + std::to_string(arch.layers) +
                    "-layer LSTM of " + std::to_string(arch.hidden) + " units needs " +
                    std::to_string(arch.paramCount()));
    for (size_t i = 0; i < w.size(); ++i) {
        if (!w[i].is_number())
            throw Error(what + "weight " + std::to_string(i) + " is not a number (" + w[i].dump() + ")");
        const double v = w[i].get<double>();
        if (!std::isfinite(v) || std::abs(v) > 3e38)
            throw Error(what + "weight " + std::to_string(i) + " (" +
                        (std::isfinite(v) ? excerpt(w[i].dump(), 40) : std::string("beyond a double's range")) +
                        ") is outside the float range (|w| <= 3e38)");
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
        if (seen[size_t(g)])
            throw Error(what + "serves group " + std::to_string(g) + ", which an earlier net already serves");
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

namespace {

// Provenance keys besides the training settings ("epochs" is the epochs done, not the epochs set).
const std::vector<std::string> kProvenanceKeys = {"epochs",           "best_epoch", "validation_loss", "command",
                                                  "created",          "tool",       "selection",       "ranks",
                                                  "earlier_commands", "ancestors"};

// Settings the provenance does not keep: the architecture (in "architecture"), the thread count (no effect on the
// result) and the epochs set (the command has them; "epochs" counts those done).
std::vector<std::string> provenanceSkippedSettings()
{
    std::vector<std::string> keys = metaTrainArchKeys();
    keys.push_back("threads");
    keys.push_back("epochs");
    return keys;
}

nlohmann::json provenanceJson(const Provenance& p)
{
    nlohmann::json j = settingsToJson(metaTrainSettings(), p.training, provenanceSkippedSettings());
    if (!p.unrecorded.empty()) { // as read: an older file's version, without the keys it never had
        for (const auto& key : p.unrecorded) j.erase(key);
        if (p.recordedVersion < 0)
            j.erase("settings_version");
        else
            j["settings_version"] = p.recordedVersion;
    }
    j["epochs"] = p.epochsDone;
    j["best_epoch"] = p.bestEpoch;
    j["validation_loss"] = std::isfinite(p.validationLoss) ? nlohmann::json(p.validationLoss) : nlohmann::json(nullptr);
    if (p.ranks > 1) j["ranks"] = p.ranks; // trained over MPI ranks (the meta-batch is "meta_batch")
    j["command"] = p.command;
    j["created"] = p.created;
    j["tool"] = p.tool;
    if (!p.earlierCommands.empty()) j["earlier_commands"] = commandsJson(p.earlierCommands);
    if (!p.ancestors.empty()) j["ancestors"] = ancestorsJson(p.ancestors);
    if (p.selection.known) {
        const Selection& s = p.selection;
        nlohmann::json candidates = nlohmann::json::array();
        for (const auto& [name, score] : s.candidates)
            candidates.push_back(
                {{"file", name}, {"score", std::isfinite(score) ? nlohmann::json(score) : nlohmann::json(nullptr)}});
        j["selection"] = {{"problem", s.problem},    {"criterion", s.criterion}, {"seed", s.seed},
                          {"runs", s.runs},          {"steps", s.steps},         {"score", s.score},
                          {"candidates", candidates}};
    }
    return j;
}

Selection readSelection(const nlohmann::json& j, const std::string& what)
{
    if (!j.is_object()) throw Error(what + " must be an object");
    Selection s;
    s.known = true;
    s.problem = stringMember(j, "problem", what);
    s.criterion = stringMember(j, "criterion", what);
    if (s.criterion != "final" && s.criterion != "mean")
        throw Error(what + ": criterion \"" + s.criterion + "\" is neither \"final\" nor \"mean\"");
    if (!j.contains("seed") || !j["seed"].is_number_unsigned())
        throw Error(what + ": key \"seed\" must be an unsigned integer");
    s.seed = j["seed"].get<std::uint64_t>();
    s.runs = int(jsonIntegerIn(member(j, "runs", what), what + " runs", 1, 100000));
    s.steps = int(jsonIntegerIn(member(j, "steps", what), what + " steps", 1, 10000000));
    if (!j.contains("score") || !j["score"].is_number()) throw Error(what + ": key \"score\" must be a number");
    s.score = j["score"].get<double>();
    if (!j.contains("candidates") || !j["candidates"].is_array() || j["candidates"].size() > 10000)
        throw Error(what + ": key \"candidates\" must be an array (at most 10000)");
    for (const auto& c : j["candidates"]) {
        if (!c.is_object() || !c.contains("file") || !c["file"].is_string())
            throw Error(what + ": every candidate needs a \"file\" string");
        const double score = c.contains("score") && c["score"].is_number() ? c["score"].get<double>() : NAN;
        s.candidates.emplace_back(c["file"].get<std::string>(), score);
    }
    return s;
}

// Files written before settings were versioned (no "settings_version") may lack any key: legacy version 0.
void readProvenance(const nlohmann::json& j, const LstmArch& arch, const std::string& what, Provenance& p)
{
    p.known = true;
    p.training.arch = arch;
    settingsFromJson(metaTrainSettings(), j, p.training, 0, what, kProvenanceKeys, provenanceSkippedSettings());
    const auto& skipped = provenanceSkippedSettings();
    for (const auto& f : metaTrainSettings().fields)
        if ((f.use & kInFile) && !settingListed(skipped, f.key) && !j.contains(f.key)) p.unrecorded.push_back(f.key);
    p.recordedVersion = j.contains("settings_version") ? int(j["settings_version"].get<long long>()) : -1;
    auto text = [&](const char* key) {
        if (!j.contains(key)) return std::string();
        if (!j[key].is_string()) throw Error(what + ": key \"" + key + "\" must be a string");
        return j[key].get<std::string>();
    };
    if (j.contains("epochs")) p.epochsDone = int(jsonIntegerIn(j["epochs"], "epochs", 0, 10000000));
    if (j.contains("best_epoch")) p.bestEpoch = int(jsonIntegerIn(j["best_epoch"], "best_epoch", -1, 10000000));
    p.validationLoss =
        j.contains("validation_loss") && j["validation_loss"].is_number() ? j["validation_loss"].get<double>() : NAN;
    if (j.contains("ranks")) p.ranks = int(jsonIntegerIn(j["ranks"], "ranks", 1, 1000000));
    p.command = text("command");
    p.created = text("created");
    p.tool = text("tool");
    if (j.contains("selection")) p.selection = readSelection(j["selection"], what + " selection");
    if (j.contains("earlier_commands"))
        p.earlierCommands = readCommands(j["earlier_commands"], what + " earlier_commands");
    if (j.contains("ancestors")) p.ancestors = readAncestors(j["ancestors"], what + " ancestors");
}

constexpr std::size_t kMaxLineage = 1000; // entries of a lineage or command list a file may hold

} // namespace

nlohmann::json commandsJson(const std::vector<std::string>& commands) { return nlohmann::json(commands); }

std::vector<std::string> readCommands(const nlohmann::json& j, const std::string& what)
{
    if (!j.is_array() || j.size() > kMaxLineage)
        throw Error(what + " must be an array of at most " + std::to_string(kMaxLineage) + " strings");
    std::vector<std::string> out;
    for (const auto& c : j) {
        if (!c.is_string()) throw Error(what + ": every entry must be a string");
        out.push_back(c.get<std::string>());
    }
    return out;
}

nlohmann::json ancestorsJson(const std::vector<Ancestor>& ancestors)
{
    nlohmann::json a = nlohmann::json::array();
    for (const Ancestor& x : ancestors)
        a.push_back({{"problem", x.problem},
                     {"epochs", x.epochsDone},
                     {"commands", commandsJson(x.commands)},
                     {"created", x.created},
                     {"digest", x.digest}});
    return a;
}

std::vector<Ancestor> readAncestors(const nlohmann::json& j, const std::string& what)
{
    if (!j.is_array() || j.size() > kMaxLineage)
        throw Error(what + " must be an array of at most " + std::to_string(kMaxLineage) + " objects");
    std::vector<Ancestor> out;
    for (std::size_t i = 0; i < j.size(); ++i) {
        const nlohmann::json& e = j[i];
        const std::string where = what + " [" + std::to_string(i) + "]";
        if (!e.is_object()) throw Error(where + " must be an object");
        Ancestor x;
        x.problem = stringMember(e, "problem", where);
        x.epochsDone = int(jsonIntegerIn(member(e, "epochs", where), where + " epochs", 0, 10000000));
        x.commands = readCommands(member(e, "commands", where), where + " commands");
        x.created = stringMember(e, "created", where);
        x.digest = stringMember(e, "digest", where);
        out.push_back(std::move(x));
    }
    return out;
}

std::string optimizerFileDigest(const std::string& path) { return fileDigest(path, kMaxOptimizerFileBytes); }

std::vector<Ancestor> lineageFrom(const OptimizerFile& file, const std::string& digest)
{
    const Provenance& p = file.provenance;
    Ancestor self;
    self.problem = p.known ? p.training.problem : std::string();
    self.epochsDone = p.epochsDone;
    self.commands = p.earlierCommands;
    if (!p.command.empty()) self.commands.push_back(p.command);
    self.created = p.created;
    self.digest = digest;
    std::vector<Ancestor> out{self};
    out.insert(out.end(), p.ancestors.begin(), p.ancestors.end());
    if (out.size() > kMaxLineage) out.resize(kMaxLineage); // the oldest go: a file must stay readable
    return out;
}

std::string lineageSummary(const std::vector<Ancestor>& ancestors)
{
    std::string out;
    for (const Ancestor& a : ancestors) {
        out += out.empty() ? "fine-tuned from" : ", itself fine-tuned from";
        out += " an optimizer trained for ";
        out += std::to_string(a.epochsDone);
        out += " epochs on ";
        out += a.problem.empty() ? "an unrecorded problem" : a.problem;
    }
    return out;
}

std::string optimizerToJson(const OptimizerFile& file)
{
    const LstmArch& a = file.net.arch;
    const Provenance& p = file.provenance;
    const Index P = a.paramCount();
    const bool several = file.net.nets > 1; // a one-net optimizer stays in version 1, unchanged
    nlohmann::json doc = {{"format", "l2l-optimizer"},
                          {"version", several ? 2 : 1},
                          {"architecture",
                           {{"type", "coordinatewise-lstm"},
                            {"layers", a.layers},
                            {"hidden", a.hidden},
                            {"preprocess", preprocessName(a.preprocess)},
                            {"p", a.p},
                            {"output_scale", a.outputScale}}},
                          {"provenance", provenanceJson(p)}};
    // Written only when set, so that a file of the paper's architecture is what it always was.
    if (a.inputLayer > 0) doc["architecture"]["input_layer"] = a.inputLayer;
    if (a.output != OutputActivation::Linear)
        doc["architecture"]["output_activation"] = outputActivationNames().name(a.output);
    if (a.gac > 0) doc["architecture"]["gac"] = a.gac;
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
    if (!file.net.params.allFinite())
        throw Error("refusing to save '" + path + "': the weights contain NaN or infinity");
    writeFileAtomically(path, optimizerToJson(file));
}

OptimizerFile optimizerFromJson(const std::string& text, const std::string& path)
{
    const std::string where = "optimizer file '" + path + "'";
    const nlohmann::json doc = parseJsonLimited(text, where);
    const int version = jsonFormatVersion(doc, where, "l2l-optimizer", "an l2l optimizer");
    if (version != 1 && version != 2)
        throw Error(where + " has version " + std::to_string(version) + "; this build reads versions 1 and 2");
    OptimizerFile out;
    try {
        // Every key is one this build reads (a misspelt "provenence" would otherwise be dropped without a word).
        const std::vector<std::string> keys =
            version == 1
                ? std::vector<std::string>{"format", "version", "architecture", "weights", "provenance"}
                : std::vector<std::string>{"format", "version", "architecture", "groups", "nets", "provenance"};
        for (const auto& item : doc.items())
            if (std::find(keys.begin(), keys.end(), item.key()) == keys.end())
                throw Error("unknown key \"" + excerpt(item.key(), 60) + "\" (a version " + std::to_string(version) +
                            " optimizer file has " + joinNames(keys) + ")");
        const auto& a = member(doc, "architecture", "");
        if (a.value("type", "") != "coordinatewise-lstm")
            throw Error("architecture type '" + a.value("type", "") + "' is not supported (coordinatewise-lstm)");
        // Through the architecture's settings table: integers that fit, names that exist, every range checked
        // (a layer count of 2^32 + 1 must not wrap to 1).
        LstmArch arch;
        settingsFromJson(lstmArchSettings(), a, arch, 1, "architecture", {"type"});
        arch.validate();
        out.net.arch = arch;
        if (version == 1) { // one net, shared by every coordinate
            out.net.params.resize(arch.paramCount());
            readWeights(member(doc, "weights", ""), arch, "", out.net.params.data());
        } else {
            readNets(doc, out.net);
        }
        if (doc.contains("provenance")) readProvenance(doc["provenance"], arch, "provenance", out.provenance);
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
