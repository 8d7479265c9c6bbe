#include "eval/Transfer.h"

#include "base/AtomicFile.h"
#include "base/BitHash.h"
#include "base/JsonLimits.h"
#include "base/Stats.h"
#include "eval/Tuning.h"
#include "optimizers/OptimizerFile.h"
#include "problems/Problem.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <sstream>
#include <tuple>

namespace l2l {

std::vector<std::string> transferFamilies() { return {"quadratic", "mnist", "convnet", "neural-art", "2d"}; }

std::string transferFamilyOf(const std::string& problemSpec)
{
    const std::string name = Spec::parse(problemSpec).name;
    for (const auto& info : problemCatalog())
        if (info.name == name && info.twoD) return "2d";
    if (name == "fashion-mnist") return "mnist";
    return name;
}

std::vector<TransferVariant> transferGrid(const std::string& family, int steps)
{
    std::vector<TransferVariant> g;
    const auto add = [&](const std::string& axis, const std::string& label, const std::string& problem, int t = 0) {
        g.push_back({axis, label, problem, t > 0 ? t : steps});
    };
    const auto scales = [&](const std::string& base) {
        const std::string sep = base.find(':') == std::string::npos ? ":" : ",";
        for (const char* s : {"0.01", "0.1", "10", "100"})
            add("objective scale", std::string("x") + s, base + sep + "fscale=" + s);
        for (const char* r : {"1", "2"})
            add("coordinate scale", std::string("xscale=") + r, base + sep + "xscale=" + r);
        add("horizon", std::to_string(2 * steps) + " steps", base, 2 * steps);
    };
    if (family == "quadratic") {
        add("base", "dim=10", "quadratic:dim=10");
        for (int d : {2, 5, 20, 50, 100})
            add("dimension", "dim=" + std::to_string(d), "quadratic:dim=" + std::to_string(d));
        scales("quadratic:dim=10");
    } else if (family == "mnist") {
        add("base", "mnist", "mnist");
        for (const char* h : {"10", "40", "80"})
            add("width", std::string("hidden=") + h, std::string("mnist:hidden=") + h);
        add("depth", "20-20", "mnist:hidden=20-20");
        add("depth", "none", "mnist:hidden=none");
        add("activation", "relu", "mnist:activation=relu");
        add("activation", "tanh", "mnist:activation=tanh");
        add("data", "fashion-mnist", "fashion-mnist");
        scales("mnist");
    } else if (family == "convnet") {
        add("base", "convnet", "convnet");
        add("classes", "0-4", "convnet:classes=0-4");
        add("classes", "5-9", "convnet:classes=5-9");
        add("data", "mnist", "convnet:dataset=mnist");
        add("width", "channels=32", "convnet:channels=32");
        add("depth", "2 conv", "convnet:conv_layers=2");
        scales("convnet");
    } else if (family == "neural-art") {
        add("base", "neural-art", "neural-art");
        add("content", "test", "neural-art:content=test");
        add("style", "hubble", "neural-art:style=hubble");
        add("size", "32", "neural-art:size=32");
        add("size", "128", "neural-art:size=128");
        scales("neural-art");
    } else if (family == "2d") {
        // Random starts (the deterministic functions would give 50 identical runs); the saddle is left out: it is
        // unbounded below, so a ratio of its losses means nothing.
        for (const auto& info : problemCatalog())
            if (info.twoD && info.name != "saddle")
                add("function", info.name, info.name + ":start_noise=" + (info.name == "quadratic2d" ? "1" : "0.5"));
    } else {
        throw Error("transfer: unknown family '" + family + "' (valid families: " + joinNames(transferFamilies()) +
                    ")");
    }
    return g;
}

void TransferConfig::validate() const
{
    if (optimizers.empty()) throw Error("transfer: give at least one optimizer file (--optimizers)");
    if (variants.empty()) throw Error("transfer: no variants to evaluate");
    if (baselines.empty()) throw Error("transfer: give at least one baseline (--baselines)");
    tune.validate();
    if (runs < 2 || runs > 10000)
        throw Error("transfer: runs (--runs) must be in [2, 10000], got " + std::to_string(runs));
    for (const auto& v : variants)
        if (v.steps < 1 || v.steps > 1000000)
            throw Error("transfer: variant '" + v.label + "' has steps " + std::to_string(v.steps) +
                        "; must be in [1, 1000000]");
    for (const auto& f : optimizers)
        if (f.empty() || f.find_first_of(",=") != std::string::npos)
            throw Error("transfer: optimizer file name '" + f + "' must be non-empty without ',' or '='");
    for (const auto& b : baselines)
        if (UpdateRuleConfig::parse(b).learned())
            throw Error("transfer: baseline '" + b + "' is a learned optimizer; give those with --optimizers");
}

bool sameTransfer(const TransferConfig& a, const TransferConfig& b)
{
    return a.optimizers == b.optimizers && a.baselines == b.baselines && a.runs == b.runs && a.seed == b.seed &&
           a.tune == b.tune && a.variants == b.variants && a.baselinesFrom == b.baselinesFrom;
}

TransferCell transferCell(const EvalResult& r, const OptimizerResult& learned,
                          const std::vector<const OptimizerResult*>& baselines)
{
    TransferCell c;
    const double nan = std::numeric_limits<double>::quiet_NaN();
    c.diverged = learned.divergedRuns;
    const int runs = int(learned.curves.loss.size());
    c.learnedFinal = learned.divergedRuns == runs ? nan : learned.finalMean;
    // The best baseline: of those that diverged in the fewest runs (none, usually), the lowest mean final loss.
    const OptimizerResult* best = nullptr;
    for (const auto* b : baselines)
        if (b->divergedRuns < int(b->curves.loss.size()) &&
            (!best || b->divergedRuns < best->divergedRuns ||
             (b->divergedRuns == best->divergedRuns && b->finalMean < best->finalMean)))
            best = b;
    if (!best) {
        c.ratio = nan;
        c.baselineFinal = nan;
        return c;
    }
    c.baseline = best->config.name;
    c.baselineRate = best->config.lr;
    c.baselineFinal = best->finalMean;
    c.ratio = c.baselineFinal > 0 && std::isfinite(c.learnedFinal) ? c.learnedFinal / c.baselineFinal : nan;
    const PairedComparison pc = pairedCompare(finalLosses(r, learned), finalLosses(r, *best));
    c.pairs = pc.pairs;
    c.won = int(std::lround(pc.winFraction * pc.pairs));
    c.p = pc.p;
    return c;
}

namespace {
std::string transferFileDigest(const std::string& path) { return fileDigest(path, kMaxExperimentFileBytes); }

std::string formatNumber(double v, int digits)
{
    std::ostringstream out;
    out.precision(digits);
    out << v;
    return out.str();
}
} // namespace

namespace {

// The baseline spec of `config` named `name` ("nag", "nag:momentum=0.95"), at `rate` to the last bit.
std::string baselineAtRate(const TransferConfig& config, const std::string& name, double rate)
{
    for (const auto& b : config.baselines) {
        const UpdateRuleConfig rule = UpdateRuleConfig::parse(b);
        if (rule.name != name) continue;
        std::string spec = rule.canonical(false);
        char text[40];
        std::snprintf(text, sizeof text, "%.17g", rate);
        return spec + (spec.find(':') == std::string::npos ? ":" : ",") + "lr=" + text;
    }
    throw Error("transfer: the recorded baseline '" + name + "' is not among this run's baselines");
}
// The best baseline of every variant of the finished transfer at `path` (TransferConfig::baselinesFrom), which must
// be a run of `config`'s grid, runs, seed, baselines and rate search.
std::vector<TransferCell> recordedBaselines(const std::string& path, const TransferConfig& config)
{
    const TransferResult source = readTransfer(path);
    const std::string where = "--baselines-from '" + path + "': ";
    const TransferConfig& s = source.config;
    if (source.cancelled) throw Error(where + "the transfer is unfinished (key \"pending\" is not empty)");
    for (const auto& [same, key] : {std::pair<bool, const char*>{s.variants == config.variants, "variants"},
                                    {s.runs == config.runs, "runs"},
                                    {s.seed == config.seed, "seed"},
                                    {s.baselines == config.baselines, "baselines"},
                                    {s.tune == config.tune, "tune"}})
        if (!same) throw Error(where + "key \"" + std::string(key) + "\" differs from this run's");
    std::vector<TransferCell> recorded;
    for (size_t i = 0; i < source.cells.size(); ++i) {
        const TransferCell& c = source.cells[i].front();
        for (const TransferCell& other : source.cells[i])
            if (other.baseline != c.baseline || other.baselineRate != c.baselineRate)
                throw Error(where + "variant '" + s.variants[i].label + "' names two best baselines");
        if (c.baseline.empty() || !(c.baselineRate > 0) || !std::isfinite(c.baselineFinal))
            throw Error(where + "variant '" + s.variants[i].label + "' has no baseline that finished");
        // (the recorded rate is one the rule takes: readTransfer checks every cell's)
        recorded.push_back(c);
    }
    return recorded;
}

} // namespace

bool TransferResult::trainedHere(size_t variant, size_t optimizer) const
{
    return optimizer < trainedOn.size() && optimizer < trainedSteps.size() && variant < canonicalProblems.size() &&
           variant < config.variants.size() && !trainedOn[optimizer].empty() &&
           trainedOn[optimizer] == canonicalProblems[variant] &&
           trainedSteps[optimizer] == config.variants[variant].steps;
}

TransferResult computeTransfer(const TransferConfig& config, const std::function<void(const std::string&)>& log,
                               const std::function<void(const TransferProgress&)>& onProgress,
                               const std::function<void(const TransferResult&)>& onVariantDone,
                               const std::atomic<bool>* cancel, const TransferResult* done)
{
    config.validate();
    TransferResult result;
    result.config = config;
    // Finished variants from a file that recorded no digests were not checked against these files: claim none.
    if (!(done && done->completedVariants > 0 && done->optimizerDigests.empty()))
        for (const auto& file : config.optimizers) result.optimizerDigests.push_back(optimizerFileDigest(file));
    for (const auto& file : config.optimizers) { // where each was trained, as its canonical spec
        std::string spec;
        int steps = 0;
        try {
            const Provenance p = loadOptimizer(file).provenance;
            if (p.known) {
                spec = makeProblemClass<float>(p.training.problem)->canonicalSpec();
                steps = p.training.horizon;
            }
        } catch (const Error&) { // a problem this build cannot build (its data gone): no cell is marked
        }
        result.trainedOn.push_back(spec);
        result.trainedSteps.push_back(steps);
    }
    std::vector<TransferCell> recorded;
    if (!config.baselinesFrom.empty()) {
        recorded = recordedBaselines(config.baselinesFrom, config);
        result.baselinesFromDigest = transferFileDigest(config.baselinesFrom);
    }
    const int n = int(config.variants.size());
    int first = 0;
    if (done) {
        first = std::min(done->completedVariants, n);
        result.cells.assign(done->cells.begin(), done->cells.begin() + first);
        result.canonicalProblems.assign(done->canonicalProblems.begin(), done->canonicalProblems.begin() + first);
        result.completedVariants = first;
        if (log && first > 0)
            log("resuming: " + std::to_string(first) + " of " + std::to_string(n) + " variants already done");
    }
    for (int i = first; i < n; ++i) {
        const TransferVariant& v = config.variants[size_t(i)];
        if (cancel && cancel->load()) break;
        // Progress within a variant: the rate searches take about 80 % of its time, the evaluation the rest.
        const auto report = [&](const std::string& detail, double within) {
            if (onProgress) onProgress({i, n, v.label, detail, (i + std::clamp(within, 0.0, 1.0)) / n});
        };
        report("starting", 0);
        if (log)
            log("variant " + std::to_string(i + 1) + "/" + std::to_string(n) + ": " + v.label + " (" + v.problem +
                ", " + std::to_string(v.steps) + " steps)");
        EvalConfig e;
        e.problem = v.problem;
        e.optimizers.clear();
        for (const auto& file : config.optimizers) e.optimizers.push_back("lstm:path=" + file);
        if (recorded.empty())
            for (const auto& b : config.baselines) e.optimizers.push_back(b);
        else
            e.optimizers.push_back(
                baselineAtRate(config, recorded[size_t(i)].baseline, recorded[size_t(i)].baselineRate));
        e.runs = config.runs;
        e.steps = v.steps;
        e.seed = config.seed;
        e.threads = config.threads;
        e.memoryLimitMiB = config.memoryLimitMiB;
        e.testMetrics = false;
        e.tune = config.tune;
        e.cachePath = config.cachePath;
        e.useCache = config.useCache;
        EvalCallbacks callbacks;
        if (log) callbacks.log = [&](const std::string& line) { log("  " + line); };
        callbacks.onTune = [&](const TuneProgress& t) {
            report("tuning " + t.optimizer + " (rate search " + std::to_string(t.index + 1) + " of " +
                       std::to_string(t.count) + "), " +
                       (t.steps == v.steps // else in waves (Tuning.h): the share of the search
                            ? "step " + std::to_string(t.step) + " of " + std::to_string(t.steps)
                            : std::to_string(int(100.0 * t.step / std::max(1, t.steps))) + "%"),
                   0.8 * (t.index + double(t.step) / std::max(1, t.steps)) / std::max(1, t.count));
        };
        callbacks.onStep = [&](const EvalResult& partial, int step) {
            const std::string wave = partial.waves > 1 ? "wave " + std::to_string(partial.wave + 1) + " of " +
                                                             std::to_string(partial.waves) + ", "
                                                       : "";
            report("evaluating, " + wave + "step " + std::to_string(step) + " of " + std::to_string(v.steps),
                   0.8 + 0.2 * partial.progress());
        };
        callbacks.minStepInterval = 0.2;
        const EvalResult r = evaluate(e, callbacks, cancel);
        if (r.cancelled) break;
        std::vector<const OptimizerResult*> baselines;
        for (size_t k = config.optimizers.size(); k < r.optimizers.size(); ++k) baselines.push_back(&r.optimizers[k]);
        if (!recorded.empty()) {
            // The recorded search's winner, run again: it must end where it ended there.
            const TransferCell& was = recorded[size_t(i)];
            const double now = baselines.front()->finalMean;
            if (!(std::abs(now - was.baselineFinal) <= 0.01 * std::abs(was.baselineFinal)))
                throw Error("--baselines-from '" + config.baselinesFrom + "': variant '" + v.label +
                            "': " + was.baseline + " at the recorded rate " + formatNumber(was.baselineRate, 4) +
                            " ends at a mean final loss of " + formatNumber(now, 6) + " here and " +
                            formatNumber(was.baselineFinal, 6) +
                            " in the file (more than 1 % apart): other data or code made that file, so its rates do "
                            "not carry over; run the transfer without --baselines-from");
            if (log)
                log("  " + was.baseline + " at the recorded rate " + formatNumber(was.baselineRate, 4) +
                    ": mean final loss " + formatNumber(now, 6) + " (the file: " + formatNumber(was.baselineFinal, 6) +
                    ")");
        }
        std::vector<TransferCell> row;
        for (size_t k = 0; k < config.optimizers.size(); ++k)
            row.push_back(transferCell(r, r.optimizers[k], baselines)); // (a recorded rate: parsed back exactly)
        result.cells.push_back(std::move(row));
        result.canonicalProblems.push_back(r.canonicalProblem);
        result.completedVariants = i + 1;
        if (onVariantDone) onVariantDone(result);
    }
    result.cancelled = result.completedVariants < n;
    return result;
}

std::string transferJson(const TransferResult& r)
{
    using nlohmann::json;
    const auto num = [](double v) { return std::isfinite(v) ? json(v) : json(nullptr); };
    json j;
    j["format"] = "l2l-transfer";
    j["version"] = 1;
    j["optimizers"] = r.config.optimizers;
    if (!r.optimizerDigests.empty()) j["optimizer_digests"] = r.optimizerDigests;
    if (!r.trainedOn.empty()) j["trained_on"] = {{"problems", r.trainedOn}, {"steps", r.trainedSteps}};
    j["baselines"] = r.config.baselines;
    j["runs"] = r.config.runs;
    j["seed"] = r.config.seed;
    if (!r.config.baselinesFrom.empty())
        j["baselines_from"] = {{"file", r.config.baselinesFrom}, {"digest", r.baselinesFromDigest}};
    j["tune"] = {{"runs", r.config.tune.runs},
                 {"seed", r.config.tune.seed},
                 {"min_rate", r.config.tune.minRate},
                 {"max_rate", r.config.tune.maxRate},
                 {"per_decade", r.config.tune.perDecade},
                 {"race", r.config.tune.race}};
    j["completed"] = r.completedVariants;
    j["cancelled"] = r.cancelled;
    // The whole grid, so a stopped file says what it lacks: how many variants were asked for, and which are not in it.
    j["planned"] = r.config.variants.size();
    // A variant's fields, as in "variants" and "pending" (parseTransferFile's variantAt reads them).
    const auto variantJson = [](const TransferVariant& v) {
        return json{{"axis", v.axis}, {"label", v.label}, {"problem", v.problem}, {"steps", v.steps}};
    };
    json pending = json::array();
    for (size_t i = size_t(std::max(r.completedVariants, 0)); i < r.config.variants.size(); ++i)
        pending.push_back(variantJson(r.config.variants[i]));
    j["pending"] = pending;
    json variants = json::array();
    for (int i = 0; i < r.completedVariants; ++i) {
        const TransferVariant& v = r.config.variants[size_t(i)];
        json cells = json::array();
        for (const TransferCell& c : r.cells[size_t(i)])
            cells.push_back({{"ratio", num(c.ratio)},
                             {"final", num(c.learnedFinal)},
                             {"baseline", c.baseline},
                             {"baseline_rate", num(c.baselineRate)},
                             {"baseline_final", num(c.baselineFinal)},
                             {"won", c.won},
                             {"pairs", c.pairs},
                             {"p", num(c.p)},
                             {"diverged", c.diverged}});
        json entry = variantJson(v);
        entry["canonical"] = r.canonicalProblems[size_t(i)];
        entry["cells"] = cells;
        variants.push_back(std::move(entry));
    }
    j["variants"] = variants;
    return j.dump(2) + "\n";
}

namespace {
// A variant whose problem names no data folder reads the data set at its default place, which is another folder in
// another checkout (MNIST in the checkout's data/, fetched and checked against its MD5 by scripts/setup.sh): its
// canonical spec then differs in the data path alone, and a stopped transfer goes on from it there. A problem that
// names its data (data=...) must name the same folder.
bool sameProblemElsewhere(const std::string& problem, const std::string& canonical, const std::string& here)
{
    try {
        if (Spec::parse(problem).has("data")) return false;
        return ShippedRates::withoutDataPath(canonical) == ShippedRates::withoutDataPath(here);
    } catch (const Error&) {
        return false; // not a spec: differs
    }
}

// A transfer file at `path`, every field checked. With `expected` (resume), every setting must be its; without
// (reading a file to show it), the settings and the grid (its variants, then "pending") are taken from the file,
// and the canonical problems are kept as written (another machine's data paths are its own).
TransferResult parseTransferFile(const std::string& path, const TransferConfig* expected)
{
    using nlohmann::json;
    const std::string where = "'" + path + "'";
    const std::string text = readFile(path, kMaxExperimentFileBytes); // names the file; size checked first
    const json doc = parseJsonLimited(text, where);
    if (jsonFormatVersion(doc, where, "l2l-transfer", "a transfer result") != 1)
        throw Error(where + ": unsupported version (this l2l reads version 1)");
    const std::string suffix = expected ? "; --resume goes on only from the same transfer" : "";
    const auto fail = [&](const std::string& key, const std::string& why) -> Error {
        return Error(where + ": key \"" + key + "\" " + why + suffix);
    };
    const auto field = [&](const json& obj, const std::string& key, const std::string& name) -> const json& {
        if (!obj.is_object() || !obj.contains(key)) throw fail(name, "is missing");
        return obj[key];
    };
    const auto integer = [&](const json& v, const std::string& name, long long lo, long long hi) {
        try {
            return jsonIntegerIn(v, name, lo, hi);
        } catch (const Error& e) {
            throw Error(where + ": " + e.what());
        }
    };
    const auto unsignedInt = [&](const json& v, const std::string& name) {
        if (!v.is_number_unsigned()) throw fail(name, "must be an unsigned integer");
        return v.get<std::uint64_t>();
    };
    // parent[key] (named `name` in messages) as an array of at most 100 strings.
    const auto strings = [&](const json& parent, const std::string& key, const std::string& name) {
        const json& v = field(parent, key, name);
        std::vector<std::string> got;
        if (v.is_array())
            for (const auto& e : v)
                if (e.is_string()) got.push_back(e.get<std::string>());
        if (!v.is_array() || got.size() != v.size()) throw fail(name, "must be an array of strings");
        if (v.size() > 100) throw fail(name, "has more than 100 entries");
        return got;
    };
    TransferConfig read;
    read.optimizers = strings(doc, "optimizers", "optimizers");
    read.baselines = strings(doc, "baselines", "baselines");
    const json& tune = field(doc, "tune", "tune");
    // Counts are compared (resume) before they become ints, and in range for one.
    const long long runs = integer(field(doc, "runs", "runs"), "runs", expected ? 0 : 2, expected ? 1LL << 40 : 10000);
    const long long tuneRuns = integer(field(tune, "runs", "tune.runs"), "tune.runs", 0, expected ? 1LL << 40 : 10000);
    read.runs = int(std::min<long long>(runs, 1 << 30));
    read.tune.runs = int(std::min<long long>(tuneRuns, 1 << 30));
    read.seed = unsignedInt(field(doc, "seed", "seed"), "seed");
    read.tune.seed = unsignedInt(field(tune, "seed", "tune.seed"), "tune.seed");
    for (const auto& [key, to] :
         {std::pair<const char*, double*>{"min_rate", &read.tune.minRate}, {"max_rate", &read.tune.maxRate}}) {
        const json& v = field(tune, key, std::string("tune.") + key);
        if (!v.is_number()) throw fail(std::string("tune.") + key, "must be a number");
        *to = v.get<double>();
    }
    read.tune.perDecade = int(integer(field(tune, "per_decade", "tune.per_decade"), "tune.per_decade", 0, 1000));
    if (!field(tune, "race", "tune.race").is_boolean()) throw fail("tune.race", "must be true or false");
    read.tune.race = tune["race"].get<bool>();
    std::vector<std::string> digests;
    if (doc.contains("optimizer_digests")) { // files written before digests were recorded have none
        digests = strings(doc, "optimizer_digests", "optimizer_digests");
        if (digests.size() != read.optimizers.size()) throw fail("optimizer_digests", "must have one per optimizer");
        for (const auto& d : digests)
            if (d.size() != 16 || d.find_first_not_of("0123456789abcdef") != std::string::npos)
                throw fail("optimizer_digests", "must hold 16 lowercase hex digits each");
    }
    std::vector<std::string> trainedOn;
    std::vector<int> trainedSteps;
    if (doc.contains("trained_on")) { // where each optimizer was trained (files before it was kept have none)
        const json& t = doc["trained_on"];
        if (!t.is_object()) throw fail("trained_on", "must be an object");
        for (const char* key : {"problems", "steps"})
            if (!field(t, key, std::string("trained_on.") + key).is_array() || t[key].size() != read.optimizers.size())
                throw fail(std::string("trained_on.") + key, "must be an array with one entry per optimizer");
        trainedOn = strings(t, "problems", "trained_on.problems");
        for (const auto& x : t["steps"]) trainedSteps.push_back(int(integer(x, "trained_on.steps", 0, 10000000)));
    }
    std::string baselinesFromDigest;
    if (doc.contains("baselines_from")) { // a run that re-ran another file's best baselines (--baselines-from)
        const json& from = doc["baselines_from"];
        for (const char* key : {"file", "digest"})
            if (!field(from, key, std::string("baselines_from.") + key).is_string())
                throw fail(std::string("baselines_from.") + key, "must be a string");
        read.baselinesFrom = from["file"].get<std::string>();
        baselinesFromDigest = from["digest"].get<std::string>();
        if (read.baselinesFrom.empty()) throw fail("baselines_from.file", "must not be empty");
        if (baselinesFromDigest.size() != 16 ||
            baselinesFromDigest.find_first_not_of("0123456789abcdef") != std::string::npos)
            throw fail("baselines_from.digest", "must hold 16 lowercase hex digits");
    }
    if (expected) {
        const TransferConfig& c = *expected;
        if (read.baselinesFrom != c.baselinesFrom)
            throw fail("baselines_from", c.baselinesFrom.empty()
                                             ? "is there, and this run searches every rate"
                                             : "differs from this run's --baselines-from ('" + c.baselinesFrom + "')");
        if (!c.baselinesFrom.empty() && transferFileDigest(c.baselinesFrom) != baselinesFromDigest)
            throw fail("baselines_from.digest", "says '" + c.baselinesFrom + "' has changed since the stopped run");
        // The same files: by name as given, or, where the file records digests, by their bytes wherever they are
        // now (a clone elsewhere, a moved file).
        if (read.optimizers.size() != c.optimizers.size())
            throw fail("optimizers", "has " + std::to_string(read.optimizers.size()) + " files; this run has " +
                                         std::to_string(c.optimizers.size()));
        for (size_t k = 0; k < c.optimizers.size(); ++k) {
            const bool sameName = read.optimizers[k] == c.optimizers[k];
            if (!sameName && digests.empty())
                throw fail("optimizers", "names '" + read.optimizers[k] + "' where this run has '" + c.optimizers[k] +
                                             "', and the file records no digests to show they are the same file");
            if (digests.empty()) continue;
            const std::string now = optimizerFileDigest(c.optimizers[k]);
            if (now == digests[k]) continue;
            if (sameName)
                throw fail("optimizer_digests", "says '" + c.optimizers[k] + "' had digest " + digests[k] +
                                                    "; the file has changed since (" + now +
                                                    "), so its finished variants measured another optimizer");
            throw fail("optimizers", "names '" + read.optimizers[k] + "' where this run has '" + c.optimizers[k] +
                                         "', whose bytes differ from the recorded digest");
        }
        if (read.baselines != c.baselines) throw fail("baselines", "differs from this run's");
        if (runs != c.runs) throw fail("runs", "differs from this run's (" + std::to_string(c.runs) + ")");
        if (read.seed != c.seed) throw fail("seed", "differs from this run's (" + std::to_string(c.seed) + ")");
        if (tuneRuns != c.tune.runs) throw fail("tune.runs", "differs from this run's");
        if (read.tune.seed != c.tune.seed) throw fail("tune.seed", "differs from this run's");
        if (read.tune.minRate != c.tune.minRate) throw fail("tune.min_rate", "differs from this run's");
        if (read.tune.maxRate != c.tune.maxRate) throw fail("tune.max_rate", "differs from this run's");
        if (read.tune.perDecade != c.tune.perDecade) throw fail("tune.per_decade", "differs from this run's");
        if (read.tune.race != c.tune.race) throw fail("tune.race", "differs from this run's");
    }
    const json& variants = field(doc, "variants", "variants");
    if (!variants.is_array()) throw fail("variants", "must be an array");
    // A variant's axis, label, problem and steps, at `at` (an entry of "variants" or of "pending").
    const auto variantAt = [&](const json& v, const std::string& at) {
        TransferVariant out;
        for (const auto& [key, to] : {std::pair<const char*, std::string*>{"axis", &out.axis},
                                      {"label", &out.label},
                                      {"problem", &out.problem}}) {
            const json& f = field(v, key, at + "." + key);
            if (!f.is_string()) throw fail(at + "." + key, "must be a string");
            *to = f.get<std::string>();
        }
        out.steps = int(integer(field(v, "steps", at + ".steps"), at + ".steps", 1, 1000000));
        return out;
    };
    if (!expected) {
        for (size_t i = 0; i < variants.size(); ++i)
            read.variants.push_back(variantAt(variants[i], "variants[" + std::to_string(i) + "]"));
        // "pending" (the variants a stopped run lacks) came after version 1's first files: absent, the grid is the
        // finished variants (a stopped file of that time shows what it has).
        if (doc.contains("pending")) {
            const json& pending = doc["pending"];
            if (!pending.is_array()) throw fail("pending", "must be an array");
            for (size_t i = 0; i < pending.size(); ++i)
                read.variants.push_back(variantAt(pending[i], "pending[" + std::to_string(i) + "]"));
        }
        if (read.variants.empty()) throw fail("variants", "is empty and nothing is pending");
        // What the studio draws: a row per variant and a column per optimizer.
        if (read.variants.size() > 1000) throw fail("pending", "makes a grid of more than 1000 variants");
        if (doc.contains("planned") && integer(doc["planned"], "planned", 0, 1000) != (long long)read.variants.size())
            throw fail("planned", "must be the number of variants listed and pending (" +
                                      std::to_string(read.variants.size()) + ")");
        if (doc.contains("pending")) {
            const json& cancelled = field(doc, "cancelled", "cancelled");
            if (!cancelled.is_boolean() || cancelled.get<bool>() != !doc["pending"].empty())
                throw fail("cancelled", "must be true exactly when variants are pending");
        }
        try {
            read.tune.validate();
        } catch (const Error& e) {
            throw Error(where + ": key \"tune\": " + e.what());
        }
    }
    const TransferConfig& config = expected ? *expected : read;
    if (variants.size() > config.variants.size())
        throw fail("variants",
                   "has more entries than this run's grid (" + std::to_string(config.variants.size()) + ")");
    if (expected && doc.contains("pending")) { // a stopped run's rest of the grid: this run's rest
        const json& pending = doc["pending"];
        if (!pending.is_array() || pending.size() != config.variants.size() - variants.size())
            throw fail("pending", "must list the " + std::to_string(config.variants.size() - variants.size()) +
                                      " variants of this run's grid after the finished ones");
        for (size_t i = 0; i < pending.size(); ++i)
            if (!(variantAt(pending[i], "pending[" + std::to_string(i) + "]") == config.variants[variants.size() + i]))
                throw fail("pending[" + std::to_string(i) + "]",
                           "differs from this run's grid ('" + config.variants[variants.size() + i].label + "')");
    }
    const long long completed =
        integer(field(doc, "completed", "completed"), "completed", 0, (long long)variants.size());
    if (completed != (long long)variants.size()) throw fail("completed", "must be the number of variants listed");
    TransferResult r;
    r.config = config;
    r.optimizerDigests = digests;
    r.baselinesFromDigest = baselinesFromDigest;
    r.trainedOn = trainedOn;
    r.trainedSteps = trainedSteps;
    // A number in [lo, hi] (`range` says which in words) or null (not finite when written).
    const auto number = [&](const json& cell, const std::string& key, const std::string& name, double lo, double hi,
                            const std::string& range) {
        const json& v = field(cell, key, name);
        if (v.is_null()) return std::numeric_limits<double>::quiet_NaN();
        if (!v.is_number() || !(v.get<double>() >= lo && v.get<double>() <= hi))
            throw fail(name, "must be " + range + " or null");
        return v.get<double>();
    };
    for (size_t i = 0; i < variants.size(); ++i) {
        const json& v = variants[i];
        const TransferVariant& want = config.variants[i];
        const std::string at = "variants[" + std::to_string(i) + "]";
        if (expected) {
            const TransferVariant got = variantAt(v, at);
            for (const auto& [key, same, value] :
                 {std::tuple<const char*, bool, std::string>{"axis", got.axis == want.axis, want.axis},
                  {"label", got.label == want.label, want.label},
                  {"problem", got.problem == want.problem, want.problem}})
                if (!same) throw fail(at + "." + key, "differs from this run's grid ('" + value + "')");
            if (got.steps != want.steps) throw fail(at + ".steps", "differs from this run's grid");
        }
        const json& c = field(v, "canonical", at + ".canonical");
        if (!c.is_string()) throw fail(at + ".canonical", "must be a string");
        std::string canonical = c.get<std::string>();
        if (expected) {
            const std::string here = makeProblemClass<float>(want.problem)->canonicalSpec();
            if (canonical != here && !sameProblemElsewhere(want.problem, canonical, here))
                throw fail(at + ".canonical", "differs from the problem here ('" + here + "': other data?)");
            canonical = here; // the finished variant's problem as this checkout names it
        }
        const json& cells = field(v, "cells", at + ".cells");
        if (!cells.is_array() || cells.size() != config.optimizers.size())
            throw fail(at + ".cells", "must hold one cell per optimizer");
        std::vector<TransferCell> row;
        for (size_t k = 0; k < cells.size(); ++k) {
            const json& cell = cells[k];
            const std::string ck = at + ".cells[" + std::to_string(k) + "].";
            const double big = std::numeric_limits<double>::max();
            TransferCell x;
            x.ratio = number(cell, "ratio", ck + "ratio", 0, big, "a number >= 0");
            x.learnedFinal = number(cell, "final", ck + "final", -big, big, "a finite number");
            x.baselineFinal = number(cell, "baseline_final", ck + "baseline_final", -big, big, "a finite number");
            x.baselineRate = number(cell, "baseline_rate", ck + "baseline_rate", 0, big, "a number >= 0");
            x.p = number(cell, "p", ck + "p", 0, 1, "a number in [0, 1]");
            const json& b = field(cell, "baseline", ck + "baseline");
            if (!b.is_string() ||
                (!b.get<std::string>().empty() && std::find(config.baselines.begin(), config.baselines.end(),
                                                            b.get<std::string>()) == config.baselines.end()))
                throw fail(ck + "baseline", "must name one of this run's baselines");
            x.baseline = b.get<std::string>();
            if (!x.baseline.empty() && std::isfinite(x.baselineRate)) { // a stranger's file may say 1e300
                try {
                    (void)UpdateRuleConfig::parse(baselineAtRate(config, x.baseline, x.baselineRate));
                } catch (const Error& e) {
                    throw fail(ck + "baseline_rate", "is not a rate " + x.baseline + " takes: " + e.what());
                }
            }
            x.won = int(integer(field(cell, "won", ck + "won"), ck + "won", 0, config.runs));
            x.pairs = int(integer(field(cell, "pairs", ck + "pairs"), ck + "pairs", 0, config.runs));
            x.diverged = int(integer(field(cell, "diverged", ck + "diverged"), ck + "diverged", 0, config.runs));
            if (x.won > x.pairs) throw fail(ck + "won", "is more than the pairs");
            row.push_back(x);
        }
        r.cells.push_back(std::move(row));
        r.canonicalProblems.push_back(std::move(canonical));
    }
    r.completedVariants = int(variants.size());
    r.cancelled = r.completedVariants < int(config.variants.size());
    return r;
}

} // namespace

TransferResult resumeTransfer(const std::string& path, const TransferConfig& config)
{
    return parseTransferFile(path, &config);
}

TransferResult readTransfer(const std::string& path) { return parseTransferFile(path, nullptr); }

} // namespace l2l
