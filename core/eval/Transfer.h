#pragma once
// Where a learned optimizer transfers (`l2l transfer`, the studio's Transfer view): every optimizer file is run on
// a grid of variants of a problem family (dimension, objective scale, coordinate scaling, width, depth, activation,
// data set, classes, image size and style, a longer horizon), each variant a paired evaluation against the tuned
// hand-designed baselines. A cell is the ratio of the optimizer's mean final loss to the best baseline's (below 1:
// the learned optimizer is ahead), with the runs it won against that baseline and the paired p.
#include "eval/Evaluation.h"

#include <atomic>
#include <functional>
#include <string>
#include <vector>

namespace l2l {

struct TransferVariant {
    std::string axis;    // what is varied: "base", "dimension", "scale", "width", ...
    std::string label;   // the column's name: "dim=50", "x100", ...
    std::string problem; // the problem spec evaluated
    int steps = 100;
    bool operator==(const TransferVariant&) const = default;
};

// The default grid of a family: "quadratic", "mnist", "convnet", "neural-art" or "2d" (every 2-d function).
// `steps`: the horizon of every variant but the "horizon" one (twice it). Throws l2l::Error naming the valid
// families.
std::vector<TransferVariant> transferGrid(const std::string& family, int steps);
std::vector<std::string> transferFamilies();
// The family of a training problem spec ("mnist:hidden=40" -> "mnist", "rosenbrock" -> "2d").
std::string transferFamilyOf(const std::string& problemSpec);

struct TransferConfig {
    std::vector<std::string> optimizers;                                    // optimizer files
    std::vector<TransferVariant> variants;                                  // the grid (see transferGrid)
    std::vector<std::string> baselines = {"sgd", "nag", "rmsprop", "adam"}; // rates tuned per variant
    int runs = 20;
    // Evaluation seed of every variant: by default 101, which no bundled optimizer was selected on, as in
    // docs/results and the studio's Transfer view (the command line's default was 1, so the same settings gave
    // another map there).
    std::uint64_t seed = 101;
    int threads = 0;
    int memoryLimitMiB = 0;
    TuneConfig tune;
    std::string cachePath;
    bool useCache = true;
    // With the JSON of a finished transfer of the same grid, runs, seed, baselines and rate search, no rate is
    // searched: each variant is compared with that file's best baseline at its recorded rate, run again on the same
    // instances, and that run must end within 1 % of the file's mean final loss (else the file came from other data
    // or code, and its rates do not carry over). It adds an optimizer to a matrix whose searches took hours.
    std::string baselinesFrom;
    void validate() const; // throws l2l::Error naming the field
};

struct TransferCell {
    double ratio = 0;         // optimizer's mean final loss / best baseline's (NaN: not comparable)
    double learnedFinal = 0;  // mean final loss
    double baselineFinal = 0; // the best baseline's
    std::string baseline;     // its name
    double baselineRate = 0;  // its tuned rate
    int won = 0, pairs = 0;   // runs where the optimizer's final loss is below the baseline's / runs both finished
    double p = 1;             // paired t test, two-sided
    int diverged = 0;         // runs where the optimizer diverged
};

struct TransferResult {
    TransferConfig config;
    std::vector<std::string> canonicalProblems;   // per variant
    std::vector<std::vector<TransferCell>> cells; // [variant][optimizer]
    int completedVariants = 0;                    // < variants.size() if stopped
    bool cancelled = false;
    // Per optimizer file, the digest of its bytes when the run started (optimizerFileDigest); empty in a file
    // written before digests were recorded.
    std::vector<std::string> optimizerDigests;
    std::string baselinesFromDigest; // optimizerFileDigest of config.baselinesFrom when the run started
    // Per optimizer file, where its provenance says it was trained: the canonical spec and the horizon (empty, 0:
    // not recorded, or a file written before this was kept). A variant of that spec and steps is "trained here".
    std::vector<std::string> trainedOn;
    std::vector<int> trainedSteps;
    bool trainedHere(size_t variant, size_t optimizer) const;
};

struct TransferProgress {
    int variant = 0, variants = 0; // the variant under way (0-based) and their count
    std::string label;             // the variant's
    std::string detail;            // "tuning adam (rate search 2 of 4), step 40 of 100" or "evaluating, step 30 of 100"
    double share = 0;              // of the whole grid done, in [0, 1]
};

// Runs the variants in order; log lines go through `log`, progress (at each variant's start, and during its
// tuning and evaluation) through `onProgress`, and `onVariantDone` receives the result after every finished
// variant (for a live heat map, or to write it). With `done` (see resumeTransfer), its finished variants are taken
// as they are and the run starts after them. Throws l2l::Error on a bad file or a problem an optimizer does not
// fit.
TransferResult computeTransfer(const TransferConfig& config, const std::function<void(const std::string&)>& log = {},
                               const std::function<void(const TransferProgress&)>& onProgress = {},
                               const std::function<void(const TransferResult&)>& onVariantDone = {},
                               const std::atomic<bool>* cancel = nullptr, const TransferResult* done = nullptr);

// The finished variants of an earlier run of the same transfer, read from its JSON (transferJson) at `path`, to go
// on from where it stopped. Every setting must be the config's: the optimizer files (as given, and their bytes by
// digest where the file records them), baselines, runs, seed, the rate search, and each finished variant's axis,
// label, problem, steps and canonical problem; a file from strangers is checked field by field. Throws l2l::Error
// naming the file and the field that differs or is malformed.
TransferResult resumeTransfer(const std::string& path, const TransferConfig& config);

// A transfer file read to be shown (the studio's Transfer view opens what `l2l transfer --json` wrote): its settings,
// its grid (the finished variants, then "pending") and its cells, every field checked as for resumeTransfer; the
// canonical problems are kept as written. Throws l2l::Error naming the file and the field.
TransferResult readTransfer(const std::string& path);

// Whether a run of `b` can go on from a stopped run of `a` (computeTransfer's `done`): the same optimizer files (as
// given), baselines, runs, seed, rate search, grid and baselinesFrom. Threads, memory limit and cache do not change a cell.
bool sameTransfer(const TransferConfig& a, const TransferConfig& b);

// The cell of optimizer `learned` against the best (lowest mean final loss) of the baselines in `r`.
// Significant digits to print a ratio with: 3, but 4 within 0.5 % of 1, so that 1.002 does not read as 1 (which
// side of the baseline a cell is on is the point of the matrix).
inline int transferRatioDigits(double ratio) { return ratio > 0.995 && ratio < 1.005 ? 4 : 3; }

TransferCell transferCell(const EvalResult& r, const OptimizerResult& learned,
                          const std::vector<const OptimizerResult*>& baselines);

// JSON of a result (every cell and the settings), for RESULTS.md.
std::string transferJson(const TransferResult& r);

} // namespace l2l
