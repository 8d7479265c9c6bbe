#pragma once
// The experiment file: everything the studio shows, as one versioned, human-readable JSON document that
// re-opens to the same state and reproduces the same numbers (the seed is part of it). Also read by
// `l2l eval --experiment FILE`.
//
//   {"format": "l2l-experiment", "version": 1,
//    "settings_version": 2, "problem": "mnist:hidden=20",
//    "optimizers": [{"name": "sgd", "enabled": true, "lr": "tuned"},          // or a number, e.g. "0.1"
//                   {"name": "lstm", "enabled": true, "path": ""}],          // "" = bundled for the problem
//    "runs": 20, "steps": 100, "seed": 1,
//    "trajectories": {"function": "rosenbrock", "start": [-1.2, 1.0]},
//    "meta_train": {"epochs": 1000, "horizon": 100, "unroll": 20, "learning_rate": 0.001, ...},
//    "view": "compare", "title": "Paper Fig. 4: MNIST",                    // title optional
//    "results": {...}}          // optional: the comparison's statistics (io/EvalResultJson.h), made with the
//                               // experiment's problem, runs, steps and seed; shown at once when it re-opens
//
// Saving is atomic. Loading checks the format, version and every field, and throws l2l::Error naming
// the file and the bad field; nothing is half-applied because the caller gets a complete value or nothing.
#include "eval/EvalConfig.h"
#include "eval/Summary.h"
#include "meta/MetaTrainer.h"

#include <array>
#include <optional>
#include <string>
#include <vector>

namespace l2l {

struct OptimizerChoice {
    std::string name; // an update rule of updateRuleCatalog()
    bool enabled = true;
    std::string rate;         // hand-designed rules: "" = tuned, else a number in (0, 1e4]
    std::string path;         // lstm: optimizer file, "" = the one bundled for the problem
    std::string spec() const; // "adam", "adam:lr=0.01", "lstm", "lstm:FILE"
};

struct Experiment {
    // problem, runs, steps, seed, test_every (the file's keys of evalSettings()); its optimizer list is
    // `optimizers` below, its threads and tuning search the machine's defaults.
    EvalConfig eval;
    std::vector<OptimizerChoice> optimizers = defaultChoices();
    std::string trajectoryFunction = "rosenbrock"; // the 2-d function of the Trajectories view
    std::array<double, 2> trajectoryStart{-1.2, 1.0};
    MetaTrainConfig metaTrain;
    std::string view = "compare"; // one of experimentViews()
    std::string title; // optional: what the experiment shows, e.g. "Paper Fig. 4: MNIST" (File > Examples lists it)
    // Optional: the comparison's statistics (no per-run curves), made with eval's problem, runs, steps and seed.
    std::optional<EvalResult> results;

    // The comparison it describes (enabled optimizers only). Throws l2l::Error if none is enabled.
    EvalConfig evalConfig() const;
    void validate() const;                                // throws l2l::Error naming the field and its range
    static std::vector<OptimizerChoice> defaultChoices(); // the four baselines tuned + the bundled lstm
};

// `dir`: the folder of the file being written. An optimizer file in it or below is named relative to it (the two
// move and are shared together; the reader resolves it from its own folder); any other keeps its path as is.
std::string experimentToJson(const Experiment& e, const std::string& dir = {});
Experiment experimentFromJson(const std::string& text, const std::string& pathForMessages);
// The studio's views, in its order, as an experiment file names them ("compare", "meta-train", ...).
const std::vector<std::string>& experimentViews();

// Reads every enabled LSTM's optimizer file of `e` (a missing or broken one is named on opening, not when it runs);
// throws l2l::Error naming `where`, the entry and the file.
void checkOptimizerFiles(const Experiment& e, const std::string& where);

void saveExperiment(const std::string& path, const Experiment& e);
Experiment loadExperiment(const std::string& path);

// Which kind of l2l file `text` is ("l2l-experiment", "l2l-optimizer", "l2l-train-checkpoint"), or
// "" if it is not JSON with a "format" field. For drag and drop.
std::string fileFormatOf(const std::string& text);

} // namespace l2l
