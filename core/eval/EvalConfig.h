#pragma once
// The settings of an evaluation, defined once (see base/Settings.h): the struct and the table from which come
// its validation, the flags of `l2l eval` / `l2l tune` and their --help, the experiment file's run settings and
// the rows of the studio's Runs box.
#include "base/Settings.h"
#include "eval/Tuning.h"

#include <cstdint>
#include <string>
#include <vector>

namespace l2l {

struct EvalConfig {
    std::string problem = "quadratic";                                       // problem spec
    std::vector<std::string> optimizers = {"sgd", "nag", "rmsprop", "adam"}; // update rule specs
    int runs = 20;                                                           // instances
    int steps = 100;                                                         // optimization steps per run
    std::uint64_t seed = 1;                                                  // evaluation seed
    int threads = 0;         // 0 = all cores; results do not depend on it
    int memoryLimitMiB = 0;  // the memory budget; 0 = the memory available when the run starts
    bool testMetrics = true; // evaluate the test split at the end, where there is one
    int testEvery = 0;       // > 0: also every testEvery steps (test-split curves)
    TuneConfig tune;
    std::string cachePath; // tuned-rate cache file; empty = defaultCachePath()
    bool useCache = true;
    std::uint64_t waveBytes = 0; // lanes alive at once stay under this (0: Lanes.h's kLaneWaveBytes); for tests
    void validate() const;       // throws l2l::Error naming the field and range
};

// problem, runs, steps, seed, test_every, threads and the tuning search ("tune_runs", flag --tune-runs, ...).
// The optimizer list, the cache and --no-test are not scalar settings and stay with their command.
const SettingsTable<EvalConfig>& evalSettings();

} // namespace l2l
