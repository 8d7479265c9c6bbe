#pragma once
// Honest selection (`l2l select`): candidate learned optimizers are compared on instances of the selection stream
// (kSelectInstances), which no evaluation draws, and the winner is written with the record of how it was chosen
// (Provenance::selection). A report therefore never scores an optimizer on the instances it was picked on.
#include "eval/Lanes.h"
#include "optimizers/OptimizerFile.h"

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace l2l {

struct SelectConfig {
    std::string problem;                 // the problem class the candidates are compared on
    std::vector<std::string> candidates; // optimizer files
    int runs = 50, steps = 100;
    std::uint64_t seed = 1;
    std::string criterion = "final"; // "final": mean final loss; "mean": mean of each run's mean loss over steps 1..T
    int threads = 0;
    int memoryLimitMiB = 0;
    void validate() const; // throws l2l::Error naming the field
};

struct SelectResult {
    std::vector<double> scores;     // per candidate, by the criterion; NaN where a run diverged
    std::vector<double> finalMeans; // per candidate
    std::vector<int> divergedRuns;  // per candidate
    int best = -1;                  // index of the chosen candidate
    OptimizerFile chosen;           // its file as it was loaded and run (not read again)
    std::string canonicalProblem;
    bool cancelled = false;
};

// Runs every candidate on config.runs selection instances (paired: run r is the same instance for all). A
// candidate with a diverged run cannot be chosen. Throws l2l::Error if a file does not load or fit the problem, or
// if every candidate diverged. onStep(done, total) reports progress over all waves of runs (Lanes.h LaneStep; with
// one wave, the step and the steps).
SelectResult selectOptimizer(const SelectConfig& config, const std::atomic<bool>* cancel = nullptr,
                             const std::function<void(int done, int total)>& onStep = {});

// The chosen candidate's file with its selection record added (its provenance otherwise as it was).
OptimizerFile selectedFile(const SelectConfig& config, const SelectResult& result);

} // namespace l2l
