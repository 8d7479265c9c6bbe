#pragma once
// Learning-rate tuning as in the paper: a log-spaced grid; the rate with the best mean final loss over
// several instances drawn with a tuning seed (in a stream evaluation never uses). Results are cached in
// a JSON file shared by the CLI and the studio, keyed by everything that determines them.
#include "base/Settings.h"
#include "optimizers/UpdateRule.h"
#include "problems/Problem.h"

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace l2l {

struct TuneConfig {
    double minRate = 1e-4; // grid from minRate to maxRate, log-spaced
    double maxRate = 10.0;
    int perDecade = 3;           // grid points per factor of 10
    int runs = 5;                // instances per rate
    std::uint64_t seed = 271828; // the tuning seed (used in the tuning stream only)
    // Race the rates: at a quarter and at half of the steps, only the better half of the rates still running (at
    // least kRaceKeep) by mean loss goes on. About half the work of the full grid; whether it picks the grid's
    // rate is measured, not guaranteed (scripts/race_check.sh). Off: every rate runs to the end.
    bool race = false;
    // Lanes alive at once (0 = kLaneWaveBytes); a search too big for it runs its instances in waves, the race
    // deciding in the last one on all runs (the same rate as in one wave). Not a user setting: tests set it to force
    // waves.
    std::uint64_t waveBytes = 0;
    void validate() const; // throws l2l::Error naming the field and range (tuneSettings(), min <= max)
    std::vector<double> grid() const;
    bool operator==(const TuneConfig&) const = default; // every field changes which rate is picked
};
// Ranges, help texts and flags of the tuning search (see base/Settings.h).
const SettingsTable<TuneConfig>& tuneSettings();

// Rates a race keeps at each of its checkpoints, at least.
constexpr int kRaceKeep = 3;
// The steps at which a race drops rates (empty when tune.race is off or the steps are too few).
std::vector<int> raceCheckpoints(const TuneConfig& tune, int steps);

struct TuneResult {
    double bestRate = 0;
    std::vector<double> rates, finalMeans; // finalMeans NaN where any run diverged or the race dropped the rate
    std::vector<int> droppedAt;            // per rate: the step at which the race dropped it, or -1
    bool fromCache = false;
};

// Runs the search for one rule (its own lr ignored). Throws l2l::Error if every rate diverges.
// A rate is disqualified by its first diverged run, and its other runs stop there (the result is the same as
// running them to the end). With tune.race, the worse rates are also dropped at raceCheckpoints().
// onStep(done, total) is called after every complete step of the search (all rates and runs in lock-step), for
// progress: total = steps times the number of waves (see TuneConfig::waveBytes; one wave: done = the step), done
// counts the earlier waves' steps too, so it never goes back, and ends at total.
TuneResult tuneRate(const ProblemClass<float>& cls, const UpdateRuleConfig& rule, int steps, const TuneConfig& tune,
                    int threads, const std::atomic<bool>* cancel,
                    const std::function<void(int done, int total)>& onStep = {});

// $L2L_CACHE_DIR/tuning.json, else $XDG_CACHE_HOME/l2l-studio/tuning.json, else ~/.cache/l2l-studio/tuning.json.
std::string defaultCachePath();
// `path` (a --cache flag, an EvalConfig's cachePath), or defaultCachePath() when it is empty.
std::string cachePathOr(const std::string& path);

// The tuned-rate cache. A missing file is empty; a corrupt one is reported through `warning` and
// treated as empty (it is replaced on the next save, never half-written: saves go through a temp file + rename).
class TuningCache {
public:
    explicit TuningCache(std::string path);
    static std::string key(const std::string& canonicalProblem, const UpdateRuleConfig& rule, int steps,
                           const TuneConfig& tune);
    bool lookup(const std::string& key, TuneResult& out) const;
    void store(const std::string& key, const TuneResult& result); // saves at once
    const std::string& warning() const { return m_warning; }
    const std::string& path() const { return m_path; }

private:
    void load();
    bool keepDamagedCopy() const;
    std::string m_path, m_warning;
    bool m_damaged = false; // the file on disk has parts load() could not read
    std::map<std::string, TuneResult> m_entries;
};

// Rates tuned ahead of time for the bundled problems on their default data, shipped in resources/tuned-rates.json
// (scripts/ship_rates.sh writes it by tuning from an empty cache). They are used only by a build with the same
// description (buildInfo()) as the one that tuned them -- whose own search gives the same bits -- so a first run
// starts at once; any other build tunes. Keys are TuningCache::key() of the problem without its data path.
class ShippedRates {
public:
    explicit ShippedRates(std::string path = defaultPath());
    static std::string defaultPath(); // $L2L_SHIPPED_RATES if set (empty: none), else resourceDir()/tuned-rates.json
    // The canonical spec without its `data=` option (the key of the default data, wherever it is installed).
    static std::string withoutDataPath(const std::string& canonicalProblem);
    bool lookup(const std::string& key, TuneResult& out) const; // false unless the build matches
    bool applies() const { return m_applies; }                  // the file is readable and its build is this one
    const std::string& build() const { return m_build; }        // the build that tuned them
    const std::string& warning() const { return m_warning; }    // why nothing is shipped (a missing file is silent)
    const std::string& path() const { return m_path; }

private:
    std::string m_path, m_build, m_warning;
    bool m_applies = false;
    std::map<std::string, TuneResult> m_entries;
};

} // namespace l2l
