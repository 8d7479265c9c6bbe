#include "eval/Tuning.h"

#include "base/DetMath.h"
#include "base/JsonLimits.h"

#include "base/AtomicFile.h"
#include "base/BuildInfo.h"
#include "base/Resources.h"
#include "base/Spec.h"
#include "eval/Lanes.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

namespace l2l {

const SettingsTable<TuneConfig>& tuneSettings()
{
    using T = TuneConfig;
    static const SettingsTable<T> table = [] {
        SettingsTable<T> t{"tune", {}};
        // The grid's settings are the command line's; whether to race is also a row of the studio's Compare form
        // and a key of experiment files (settings version 3: older files do not race).
        const unsigned use = kInCli;
        t.fields.push_back(intSetting<T>(
            "tune_runs", "tune-runs", "Tuning runs", "instances per rate in the tuning search", 1, 1000,
            [](auto& c) -> auto& { return c.runs; }, 1, use));
        t.fields.push_back(uintSetting<T>(
            "tune_seed", "tune-seed", "Tuning seed", "seed of the tuning instances (never used by evaluation)",
            [](auto& c) -> auto& { return c.seed; }, 1, use));
        t.fields.push_back(realSetting<T>(
            "tune_min", "tune-min", "Smallest rate", "smallest rate of the log-spaced grid", 0, 1e4, true,
            [](auto& c) -> auto& { return c.minRate; }, 1, use));
        t.fields.push_back(realSetting<T>(
            "tune_max", "tune-max", "Largest rate", "largest rate of the grid (at least the smallest)", 0, 1e4, true,
            [](auto& c) -> auto& { return c.maxRate; }, 1, use));
        t.fields.push_back(intSetting<T>(
            "tune_per_decade", "tune-per-decade", "Rates per decade", "grid points per factor 10", 1, 20,
            [](auto& c) -> auto& { return c.perDecade; }, 1, use));
        t.fields.push_back(boolSetting<T>(
            "tune_race", "tune-race", "Race the rates",
            "at a quarter and half of the steps keep only the better half of the rates (about half the work; the "
            "full grid when off)",
            [](auto& c) -> auto& { return c.race; }, 3, kInFile | kInCli | kInForm));
        return t;
    }();
    return table;
}

void TuneConfig::validate() const
{
    checkSettings(tuneSettings(), *this, "tune");
    if (!(maxRate >= minRate))
        throw Error(
            "tune: the grid's largest rate tune_max (--tune-max) must be at least its smallest, tune_min, got [" +
            settingText(minRate) + ", " + settingText(maxRate) + "]");
}

std::vector<double> TuneConfig::grid() const
{
    std::vector<double> rates;
    const double lo = std::log10(minRate), hi = std::log10(maxRate);
    const int n = int(std::floor((hi - lo) * perDecade + 1e-9));
    for (int i = 0; i <= n; ++i) rates.push_back(detPow10(lo + double(i) / perDecade));
    return rates;
}

std::vector<int> raceCheckpoints(const TuneConfig& tune, int steps)
{
    std::vector<int> at;
    if (!tune.race) return at;
    for (const int s : {steps / 4, steps / 2})
        if (s >= 1 && s < steps && (at.empty() || s > at.back())) at.push_back(s);
    return at;
}

namespace {
// The rate a search keeps: the first of the lowest finite mean final loss (a NaN mean: a diverged or dropped
// rate). finalMeans.size() when there is none. Also what a cached entry's best_rate must be (readTuneEntry).
size_t bestRateIndex(const std::vector<double>& finalMeans)
{
    size_t best = finalMeans.size();
    for (size_t i = 0; i < finalMeans.size(); ++i)
        if (std::isfinite(finalMeans[i]) && (best == finalMeans.size() || finalMeans[i] < finalMeans[best])) best = i;
    return best;
}
} // namespace

TuneResult tuneRate(const ProblemClass<float>& cls, const UpdateRuleConfig& rule, int steps, const TuneConfig& tune,
                    int threads, const std::atomic<bool>* cancel,
                    const std::function<void(int done, int total)>& onStep)
{
    tune.validate();
    if (rule.learned()) throw Error("the learned optimizer '" + rule.label() + "' has no learning rate to tune");
    TuneResult out;
    out.rates = tune.grid();
    const size_t n = out.rates.size();
    std::vector<RuleFactory> rules;
    for (double lr : out.rates) {
        UpdateRuleConfig r = rule;
        r.lr = lr;
        rules.push_back([r] { return makeUpdateRule<float>(r); });
    }
    LaneConfig lanes = LaneConfig::of(tune.runs, steps, tune.seed, kTuneInstances, threads);
    lanes.waveBytes = tune.waveBytes;
    // Decisions are made between steps on complete steps of every run, so they do not depend on the threads.
    std::vector<char> retired(n, 0);
    out.droppedAt.assign(n, -1);
    const std::vector<int> checkpoints = raceCheckpoints(tune, steps);
    // A search too big for memory runs its instances in waves (Lanes.h). Its decisions are all made in the last
    // wave, where every run has reached the step at hand (the earlier waves' runs are complete): the same numbers,
    // so the same decisions and rate, as in one wave. The earlier waves run every rate to the end.
    const AfterStep after = [&](const LaneStep& at, const std::vector<Curves>& curves) {
        if (onStep) onStep(int(at.done()), int(at.total())); // over all waves
        if (at.wave + 1 < at.waves) return;
        const int step = at.step;
        for (size_t i = 0; i < n; ++i)
            for (const int d : curves[i].divergedAt)
                if (d >= 0 && d <= step) retired[i] = 1; // a diverged run disqualifies its rate
        if (std::find(checkpoints.begin(), checkpoints.end(), step) != checkpoints.end()) {
            // Mean loss now over the runs; the better half of the rates still running goes on.
            std::vector<std::pair<double, size_t>> running;
            for (size_t i = 0; i < n; ++i) {
                if (retired[i]) continue;
                double sum = 0;
                int count = 0;
                for (const auto& run : curves[i].loss)
                    if (std::isfinite(run[size_t(step)])) {
                        sum += run[size_t(step)];
                        ++count;
                    }
                running.emplace_back(count > 0 ? sum / count : std::numeric_limits<double>::infinity(), i);
            }
            std::stable_sort(running.begin(), running.end());
            const size_t keep = std::max<size_t>(kRaceKeep, (running.size() + 1) / 2);
            for (size_t k = keep; k < running.size(); ++k) {
                retired[running[k].second] = 1;
                out.droppedAt[running[k].second] = step;
            }
        }
    };
    const auto curves = runLanes(cls, rules, lanes, cancel, after, &retired).curves;
    for (size_t i = 0; i < n; ++i) {
        // Mean final loss over the tuning runs; a rate with any diverged run is disqualified.
        double sum = 0;
        bool ok = !retired[i];
        for (const auto& run : curves[i].loss) {
            ok = ok && std::isfinite(run[size_t(steps)]);
            sum += run[size_t(steps)];
        }
        const double mean = ok ? sum / double(curves[i].loss.size()) : std::numeric_limits<double>::quiet_NaN();
        out.finalMeans.push_back(mean);
    }
    const size_t best = bestRateIndex(out.finalMeans);
    if (best < n) out.bestRate = out.rates[best];
    if (cancel && cancel->load()) return out;
    if (best == n)
        throw Error("tuning " + rule.name + ": every learning rate in the grid diverged on " + cls.canonicalSpec());
    return out;
}

std::string defaultCachePath()
{
    namespace fs = std::filesystem;
    if (const char* dir = std::getenv("L2L_CACHE_DIR"); dir && *dir) return (fs::path(dir) / "tuning.json").string();
    if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg)
        return (fs::path(xdg) / "l2l-studio" / "tuning.json").string();
    const char* home = std::getenv("HOME");
    return (fs::path(home && *home ? home : ".") / ".cache" / "l2l-studio" / "tuning.json").string();
}

std::string cachePathOr(const std::string& path) { return path.empty() ? defaultCachePath() : path; }

TuningCache::TuningCache(std::string path) : m_path(std::move(path)) { load(); }

std::string TuningCache::key(const std::string& canonicalProblem, const UpdateRuleConfig& rule, int steps,
                             const TuneConfig& tune)
{
    std::ostringstream out;
    out.precision(17);
    out << canonicalProblem << " | " << rule.canonical(false) << " | steps=" << steps << " | grid=" << tune.minRate
        << ".." << tune.maxRate << "/" << tune.perDecade << " | runs=" << tune.runs << " | seed=" << tune.seed;
    if (tune.race) out << " | race"; // the full grid's keys are those written before races existed
    return out.str();
}

namespace {
// One entry of a tuning cache or a shipped table; throws l2l::Error saying what is wrong with it.
TuneResult readTuneEntry(const nlohmann::json& e)
{
    if (!e.is_object()) throw Error("not an object");
    const auto number = [&](const nlohmann::json& v, const char* field) {
        if (!v.is_number()) throw Error(std::string("'") + field + "' holds a non-number");
        return v.get<double>();
    };
    const auto array = [&](const char* field) -> const nlohmann::json& {
        if (!e.contains(field)) throw Error(std::string("no '") + field + "'");
        if (!e.at(field).is_array()) throw Error(std::string("'") + field + "' is not an array");
        return e.at(field);
    };
    TuneResult r;
    if (!e.contains("best_rate")) throw Error("no 'best_rate'");
    r.bestRate = number(e.at("best_rate"), "best_rate");
    for (const auto& v : array("rates")) r.rates.push_back(number(v, "rates"));
    for (const auto& v : array("final_means"))
        r.finalMeans.push_back(v.is_null() ? std::nan("") : number(v, "final_means"));
    r.droppedAt.assign(r.rates.size(), -1);
    if (e.contains("dropped_at")) {
        r.droppedAt.clear();
        for (const auto& v : array("dropped_at")) {
            if (!v.is_number_integer() || v.get<long long>() < -1 || v.get<long long>() > 100000)
                throw Error("'dropped_at' holds " + excerpt(v.dump(), 40) + ", not a step or -1");
            r.droppedAt.push_back(v.get<int>());
        }
    }
    if (r.rates.empty() || r.rates.size() != r.finalMeans.size() || r.droppedAt.size() != r.rates.size())
        throw Error("'rates', 'final_means' and 'dropped_at' differ in length");
    for (const double rate : r.rates)
        if (!(rate > 0 && rate <= 1e4)) throw Error("a rate outside (0, 10000]");
    // The entry's best_rate must be what its own grid gives the search's rule, or it was not found by a search.
    const size_t best = bestRateIndex(r.finalMeans);
    if (best == r.rates.size()) throw Error("no rate with a finite mean final loss");
    if (r.bestRate != r.rates[best])
        throw Error("'best_rate' " + exactNumber(r.bestRate) + " is not the grid's best rate " +
                    exactNumber(r.rates[best]));
    r.fromCache = true;
    return r;
}

// The "entries" object of a tuning cache or a shipped table. With `rejected`, an entry that cannot be used is left
// out and described there (the others are kept); without it, it makes the whole table unreadable.
std::map<std::string, TuneResult> readTuneEntries(const nlohmann::json& doc, std::vector<std::string>* rejected)
{
    if (!doc.contains("entries") || !doc.at("entries").is_object()) throw Error("no object 'entries'");
    std::map<std::string, TuneResult> entries;
    for (const auto& [key, e] : doc.at("entries").items()) {
        try {
            entries[key] = readTuneEntry(e);
        } catch (const Error& error) {
            const std::string why = "entry '" + excerpt(key, 120) + "': " + error.what();
            if (!rejected) throw Error(why);
            rejected->push_back(why);
        }
    }
    return entries;
}
} // namespace

void TuningCache::load()
{
    m_entries.clear();
    m_damaged = false;
    if (!std::filesystem::exists(m_path)) return; // no cache yet
    try {
        const nlohmann::json doc =
            parseJsonLimited(readFile(m_path, kMaxTuningCacheBytes), "tuning cache '" + m_path + "'");
        if (jsonFormatVersion(doc, "it", "l2l-tuning-cache", "an l2l tuning cache") != 1)
            throw Error("not an l2l tuning cache of version 1");
        std::vector<std::string> rejected;
        m_entries = readTuneEntries(doc, &rejected);
        if (!rejected.empty()) {
            m_damaged = true;
            m_warning = "tuning cache '" + m_path + "': " + std::to_string(rejected.size()) + " of " +
                        std::to_string(rejected.size() + m_entries.size()) +
                        " entries cannot be used and are ignored (" + rejected.front() +
                        (rejected.size() > 1 ? "; ..." : "") + "); the file is copied to '" + m_path +
                        ".unreadable' before it is next written";
        }
    } catch (const std::exception& e) {
        m_entries.clear();
        m_damaged = true;
        m_warning = "tuning cache '" + m_path + "' is unreadable (" + e.what() + "); it is copied to '" + m_path +
                    ".unreadable' and a new cache is started when a rate is next tuned";
    }
}

// A cache with unreadable parts is copied aside before it is rewritten (it may hold hours of searches that a
// person can mend); an older copy is kept too (.unreadable.1, .2, ...). False if the copy could not be made.
bool TuningCache::keepDamagedCopy() const
{
    namespace fs = std::filesystem;
    std::string copy = m_path + ".unreadable";
    std::error_code ec;
    for (int i = 1; fs::exists(copy, ec) && i < 1000; ++i) copy = m_path + ".unreadable." + std::to_string(i);
    return !fs::exists(copy, ec) && fs::copy_file(m_path, copy, ec) && !ec;
}

bool TuningCache::lookup(const std::string& key, TuneResult& out) const
{
    const auto it = m_entries.find(key);
    if (it == m_entries.end()) return false;
    out = it->second;
    return true;
}

void TuningCache::store(const std::string& key, const TuneResult& result)
{
    // Merge with what other processes may have written since we loaded.
    const auto mine = m_entries;
    load();
    m_warning.clear();
    if (m_damaged && !keepDamagedCopy()) return; // the file stays as it is; this run still uses the rate
    for (const auto& [k, v] : mine) m_entries.emplace(k, v);
    m_entries[key] = result;
    nlohmann::json entries = nlohmann::json::object();
    for (const auto& [k, r] : m_entries) {
        nlohmann::json finals = nlohmann::json::array();
        for (double v : r.finalMeans) finals.push_back(std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr));
        entries[k] = {{"best_rate", r.bestRate}, {"rates", r.rates}, {"final_means", finals}};
        if (std::any_of(r.droppedAt.begin(), r.droppedAt.end(), [](int at) { return at >= 0; }))
            entries[k]["dropped_at"] = r.droppedAt;
    }
    const nlohmann::json doc = {{"format", "l2l-tuning-cache"}, {"version", 1}, {"entries", entries}};
    writeFileAtomically(m_path, doc.dump(1));
}

std::string ShippedRates::defaultPath()
{
    if (const char* path = std::getenv("L2L_SHIPPED_RATES")) return path; // set empty: none (scripts/ship_rates.sh)
    return resourceDir() + "/tuned-rates.json";
}

std::string ShippedRates::withoutDataPath(const std::string& canonicalProblem)
{
    Spec spec = Spec::parse(canonicalProblem);
    std::erase_if(spec.options, [](const auto& option) { return option.first == "data"; });
    return spec.str();
}

ShippedRates::ShippedRates(std::string path) : m_path(std::move(path))
{
    if (!std::filesystem::exists(m_path)) return;
    try {
        const nlohmann::json doc =
            parseJsonLimited(readFile(m_path, kMaxTuningCacheBytes), "shipped rates '" + m_path + "'");
        if (jsonFormatVersion(doc, "it", "l2l-tuned-rates", "a table of shipped tuned rates") != 1)
            throw Error("not a table of shipped tuned rates of version 1");
        const auto& build = doc.at("build");
        if (!build.is_string()) throw Error("its field 'build' is not a string");
        m_build = build.get<std::string>();
        m_entries = readTuneEntries(doc, nullptr);
        m_applies = m_build == buildInfo();
    } catch (const std::exception& e) {
        m_entries.clear();
        m_warning = "shipped rates '" + m_path + "' are unreadable (" + e.what() + "); rates will be tuned";
    }
}

bool ShippedRates::lookup(const std::string& key, TuneResult& out) const
{
    if (!m_applies) return false;
    const auto it = m_entries.find(key);
    if (it == m_entries.end()) return false;
    out = it->second;
    return true;
}

} // namespace l2l
