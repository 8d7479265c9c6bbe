#include "io/EvalResultJson.h"

#include "base/JsonLimits.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace l2l {

namespace {
constexpr double kInf = std::numeric_limits<double>::infinity();

nlohmann::json number(double x) { return std::isfinite(x) ? nlohmann::json(x) : nlohmann::json(nullptr); }

nlohmann::json numbers(const std::vector<double>& v)
{
    nlohmann::json a = nlohmann::json::array();
    for (double x : v) a.push_back(number(x));
    return a;
}

// Reads one object's fields, naming each bad one by its key path ("results.optimizers[2].loss_mean[7]").
class Reader {
public:
    Reader(const nlohmann::json& j, std::string where, std::string path)
        : m_j(j), m_where(std::move(where)), m_path(std::move(path))
    {
        if (!m_j.is_object()) fail(m_path, "must be an object");
    }
    [[noreturn]] void fail(const std::string& key, const std::string& what) const
    {
        throw Error(m_where + ": " + key + " " + what);
    }
    std::string key(const std::string& k) const { return m_path + "." + k; }
    bool has(const std::string& k) const { return m_j.contains(k); }
    const nlohmann::json& at(const std::string& k) const
    {
        if (!m_j.contains(k)) fail(key(k), "is missing");
        return m_j[k];
    }
    // A finite number, or NaN for null when nullable.
    double num(const nlohmann::json& v, const std::string& k, bool nullable) const
    {
        if (v.is_null() && nullable) return std::numeric_limits<double>::quiet_NaN();
        if (!v.is_number()) fail(k, nullable ? "must be a number or null" : "must be a number");
        const double x = v.get<double>();
        if (!std::isfinite(x)) fail(k, "must be finite");
        return x;
    }
    double num(const std::string& k, bool nullable = true) const { return num(at(k), key(k), nullable); }
    long long integer(const std::string& k, long long lo, long long hi) const
    {
        const auto& v = at(k);
        if (!v.is_number_integer()) fail(key(k), "must be an integer in [" + range(lo, hi) + "]");
        const long long x = v.is_number_unsigned() && v.get<unsigned long long>() > (unsigned long long)hi
                                ? hi + 1
                                : v.get<long long>();
        if (x < lo || x > hi) fail(key(k), "must be an integer in [" + range(lo, hi) + "]");
        return x;
    }
    std::uint64_t uint64(const std::string& k) const
    {
        const auto& v = at(k);
        if (!v.is_number_unsigned()) fail(key(k), "must be a non-negative integer");
        return v.get<std::uint64_t>();
    }
    bool boolean(const std::string& k) const
    {
        const auto& v = at(k);
        if (!v.is_boolean()) fail(key(k), "must be true or false");
        return v.get<bool>();
    }
    std::string text(const std::string& k) const
    {
        const auto& v = at(k);
        if (!v.is_string()) fail(key(k), "must be a string");
        return v.get<std::string>();
    }
    // An array of at most maxLength numbers (null = NaN where nullable).
    std::vector<double> nums(const std::string& k, size_t maxLength, bool nullable = true) const
    {
        const auto& v = array(k, maxLength);
        std::vector<double> out;
        out.reserve(v.size());
        for (size_t i = 0; i < v.size(); ++i)
            out.push_back(num(v[i], key(k) + "[" + std::to_string(i) + "]", nullable));
        return out;
    }
    std::vector<int> ints(const std::string& k, size_t maxLength, int lo, int hi) const
    {
        const auto& v = array(k, maxLength);
        std::vector<int> out;
        for (size_t i = 0; i < v.size(); ++i) {
            if (!v[i].is_number_integer() || v[i].get<long long>() < lo || v[i].get<long long>() > hi)
                fail(key(k) + "[" + std::to_string(i) + "]", "must be an integer in [" + range(lo, hi) + "]");
            out.push_back(int(v[i].get<long long>()));
        }
        return out;
    }
    const nlohmann::json& array(const std::string& k, size_t maxLength) const
    {
        const auto& v = at(k);
        if (!v.is_array()) fail(key(k), "must be an array");
        if (v.size() > maxLength)
            fail(key(k),
                 "has " + std::to_string(v.size()) + " entries, at most " + std::to_string(maxLength) + " expected");
        return v;
    }

private:
    static std::string range(long long lo, long long hi) { return std::to_string(lo) + ", " + std::to_string(hi); }
    const nlohmann::json& m_j;
    std::string m_where, m_path;
};

} // namespace

nlohmann::json evalStatsToJson(const EvalResult& r)
{
    nlohmann::json doc = {{"problem", r.config.problem},
                          {"canonical_problem", r.canonicalProblem},
                          {"steps", r.config.steps},
                          {"runs", r.config.runs},
                          {"seed", r.config.seed},
                          {"completed_steps", r.completedSteps},
                          {"cancelled", r.cancelled},
                          {"has_test_split", r.hasTestSplit},
                          {"tuning",
                           {{"min_rate", r.config.tune.minRate},
                            {"max_rate", r.config.tune.maxRate},
                            {"per_decade", r.config.tune.perDecade},
                            {"runs", r.config.tune.runs},
                            {"seed", r.config.tune.seed}}}};
    if (!r.testSteps.empty()) doc["test_steps"] = r.testSteps;
    nlohmann::json opts = nlohmann::json::array();
    const OptimizerResult* best = bestByFinalMean(r);
    for (const auto& o : r.optimizers) {
        nlohmann::json j = {{"name", o.config.name},
                            {"spec", o.config.canonical(true)},
                            {"learning_rate", number(o.config.lr)},
                            {"tuned", o.tunedRate},
                            {"loss_mean", numbers(o.stats.mean)},
                            {"loss_std", numbers(o.stats.std)},
                            {"loss_median", numbers(o.stats.median)},
                            {"runs_counted", o.stats.alive},
                            {"final_loss_mean", number(o.finalMean)},
                            {"final_loss_std", number(o.finalStd)},
                            {"final_loss_median", number(o.finalMedian)},
                            {"diverged_runs", o.divergedRuns}};
        // The median counts diverged runs as +inf, written as null like every non-finite number: from this step on
        // (once half the runs have diverged it stays so) a null median is +inf, not a missing value.
        const auto inf = std::find(o.stats.median.begin(), o.stats.median.end(), kInf);
        if (inf != o.stats.median.end()) j["median_diverged_from_step"] = inf - o.stats.median.begin();
        if (o.tunedRate) j["tuning_grid"] = {{"rates", o.tuneRates}, {"final_loss_means", numbers(o.tuneFinalMeans)}};
        if (r.hasTestSplit) {
            j["test_loss_mean"] = number(o.testLossMean.value_or(NAN));
            j["test_accuracy_mean"] = number(o.testAccuracyMean.value_or(NAN));
        }
        if (!r.testSteps.empty()) {
            j["test_loss_curve"] = numbers(o.testLossCurve);
            j["test_accuracy_curve"] = numbers(o.testAccuracyCurve);
        }
        if (o.vsBest && best) {
            const PairedComparison& c = *o.vsBest;
            j["paired_vs_best"] = {
                {"best", best->displayName()},           {"pairs", c.pairs}, {"best_wins_fraction", c.winFraction},
                {"mean_difference", number(c.meanDiff)}, {"t", number(c.t)}, {"p", number(c.p)}};
        }
        opts.push_back(j);
    }
    doc["optimizers"] = opts;
    return doc;
}

EvalResult evalStatsFromJson(const nlohmann::json& doc, const std::string& where, const std::string& prefix)
{
    const Reader d(doc, where, prefix);
    EvalResult r;
    r.config.problem = d.text("problem");
    r.canonicalProblem = d.text("canonical_problem");
    r.config.steps = int(d.integer("steps", 1, 100000));
    r.config.runs = int(d.integer("runs", 1, 10000));
    r.config.seed = d.uint64("seed");
    r.completedSteps = int(d.integer("completed_steps", 0, r.config.steps));
    r.cancelled = d.boolean("cancelled");
    if (!r.cancelled && r.completedSteps != r.config.steps)
        d.fail(d.key("completed_steps"), "must equal steps when the run was not cancelled");
    r.hasTestSplit = d.has("has_test_split") && d.boolean("has_test_split");
    const Reader t(d.at("tuning"), where, d.key("tuning"));
    r.config.tune.minRate = t.num("min_rate", false);
    r.config.tune.maxRate = t.num("max_rate", false);
    r.config.tune.perDecade = int(t.integer("per_decade", 1, 1000));
    r.config.tune.runs = int(t.integer("runs", 1, 10000));
    r.config.tune.seed = t.uint64("seed");
    try {
        r.config.tune.validate();
    } catch (const Error& e) {
        d.fail(d.key("tuning"), std::string("is out of range: ") + e.what());
    }
    const size_t points = size_t(r.config.steps) + 1;
    if (d.has("test_steps")) {
        r.testSteps = d.ints("test_steps", points, 0, r.config.steps);
        for (size_t i = 1; i < r.testSteps.size(); ++i)
            if (r.testSteps[i] <= r.testSteps[i - 1]) d.fail(d.key("test_steps"), "must be increasing");
    }
    const auto& list = d.array("optimizers", 64);
    if (list.empty()) d.fail(d.key("optimizers"), "is empty");
    r.config.optimizers.clear();
    std::vector<std::pair<size_t, std::string>> pairedBest; // optimizer index, the best its pair names
    for (size_t i = 0; i < list.size(); ++i) {
        const Reader o(list[i], where, d.key("optimizers") + "[" + std::to_string(i) + "]");
        OptimizerResult x;
        try {
            x.config = UpdateRuleConfig::parse(o.text("spec"));
        } catch (const Error& e) {
            o.fail(o.key("spec"), std::string("is not an optimizer: ") + e.what());
        }
        if (x.config.name != o.text("name")) o.fail(o.key("name"), "does not match its spec");
        x.config.lr = o.num("learning_rate");
        if (!x.config.learned() && !(x.config.lr > 0 && x.config.lr <= 1e4))
            o.fail(o.key("learning_rate"), "must be in (0, 10000]");
        x.tunedRate = o.boolean("tuned");
        x.stats.mean = o.nums("loss_mean", points);
        x.stats.std = o.nums("loss_std", points);
        x.stats.median = o.nums("loss_median", points);
        x.stats.alive = o.ints("runs_counted", points, 0, r.config.runs);
        for (const char* k : {"loss_mean", "loss_std", "loss_median", "runs_counted"})
            if (o.array(k, points).size() != x.stats.mean.size() || x.stats.mean.size() < size_t(r.completedSteps) + 1)
                o.fail(o.key(k), "must have one entry per step up to completed_steps (" +
                                     std::to_string(r.completedSteps + 1) + "), as many as loss_mean");
        x.stats.upTo = r.completedSteps;
        x.finalMean = o.num("final_loss_mean");
        x.finalStd = o.num("final_loss_std");
        x.finalMedian = o.num("final_loss_median");
        x.divergedRuns = int(o.integer("diverged_runs", 0, r.config.runs));
        if (o.has("median_diverged_from_step")) {
            const auto from = size_t(o.integer("median_diverged_from_step", 0, long(x.stats.median.size()) - 1));
            for (size_t t = from; t < x.stats.median.size(); ++t) {
                if (!std::isnan(x.stats.median[t]))
                    o.fail(o.key("loss_median"), "must be null from median_diverged_from_step on");
                x.stats.median[t] = kInf;
            }
            if (size_t(r.completedSteps) >= from) {
                if (!std::isnan(x.finalMedian))
                    o.fail(o.key("final_loss_median"), "must be null from median_diverged_from_step on");
                x.finalMedian = kInf;
            }
        }
        if (x.tunedRate && o.has("tuning_grid")) {
            const Reader g(o.at("tuning_grid"), where, o.key("tuning_grid"));
            x.tuneRates = g.nums("rates", 10000, false);
            x.tuneFinalMeans = g.nums("final_loss_means", 10000);
            if (x.tuneRates.size() != x.tuneFinalMeans.size())
                g.fail(g.key("final_loss_means"), "must have one entry per rate");
        }
        if (r.hasTestSplit) {
            const double loss = o.num("test_loss_mean"), accuracy = o.num("test_accuracy_mean");
            if (std::isfinite(loss)) x.testLossMean = loss;
            if (std::isfinite(accuracy)) x.testAccuracyMean = accuracy;
        }
        if (!r.testSteps.empty()) {
            x.testLossCurve = o.nums("test_loss_curve", r.testSteps.size());
            x.testAccuracyCurve = o.nums("test_accuracy_curve", r.testSteps.size());
            if (x.testLossCurve.size() != r.testSteps.size() || x.testAccuracyCurve.size() != r.testSteps.size())
                o.fail(o.key("test_loss_curve"), "must have one entry per test_steps entry");
        }
        if (o.has("paired_vs_best")) { // checked against the best of these statistics below
            const Reader c(o.at("paired_vs_best"), where, o.key("paired_vs_best"));
            PairedComparison pc;
            pc.pairs = int(c.integer("pairs", 0, r.config.runs));
            pc.winFraction = c.num("best_wins_fraction", false);
            if (pc.winFraction < 0 || pc.winFraction > 1) c.fail(c.key("best_wins_fraction"), "must be in [0, 1]");
            pc.meanDiff = c.num("mean_difference");
            pc.t = c.num("t");
            pc.p = c.num("p");
            if (pc.p < 0 || pc.p > 1) c.fail(c.key("p"), "must be in [0, 1] or null");
            x.vsBest = pc;
            pairedBest.push_back({i, c.text("best")});
        }
        r.config.optimizers.push_back(x.config.canonical(true));
        r.optimizers.push_back(std::move(x));
    }
    // A pair names the best it was made with: it must be the best of these statistics, never another optimizer.
    const OptimizerResult* best = bestByFinalMean(r);
    for (const auto& [i, name] : pairedBest) {
        const std::string k = d.key("optimizers") + "[" + std::to_string(i) + "].paired_vs_best.best";
        if (!best || &r.optimizers[i] == best)
            d.fail(k, "is a pair with the best, but this optimizer is the best of these statistics");
        if (name != best->displayName())
            d.fail(k, "names '" + name + "', but the best of these statistics is '" + best->displayName() + "'");
    }
    return r;
}

} // namespace l2l
