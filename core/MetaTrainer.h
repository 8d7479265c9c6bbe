#pragma once
// Meta-training of the LSTM optimizer (paper Sec. 2-3): every epoch a fresh optimizee from the class,
// an episode of `horizon` steps cut into truncated-BPTT windows of `unroll` steps, one Adam step on phi
// per window; every `validateEvery` epochs the mean loss over fixed held-out instances, keeping the
// best phi (early stopping). Cancellable at any window, resumable from a checkpoint.
#include "Bptt.h"
#include "OptimizerFile.h"

#include <atomic>
#include <functional>
#include <limits>

namespace l2l {

constexpr std::uint64_t kTrainDomain = 0x7A1;
constexpr std::uint64_t kValidDomain = 0x7A11D;

// How many nets the optimizer has: one shared by every coordinate (the paper's default), or one per
// parameter group of the problem class (the paper's CIFAR set-up: conv kernels / the rest).
enum class ParamGroups { Shared, PerBlock };
std::string paramGroupsName(ParamGroups g);          // "shared", "per-block"
ParamGroups paramGroupsFromName(const std::string& name); // throws l2l::Error

// The Adam learning rate over the run: constant, or a cosine decay from the set rate at epoch 0 to
// zero at the last epoch (factor (1 + cos(pi e / epochs)) / 2 during epoch e, counted from 0).
enum class LrSchedule { Constant, Cosine };
std::string lrScheduleName(LrSchedule s);            // "constant", "cosine"
LrSchedule lrScheduleFromName(const std::string& name); // throws l2l::Error
double lrScheduleFactor(LrSchedule s, int epoch, int epochs);

struct MetaTrainConfig {
    std::string problem = "quadratic"; // problem class spec
    LstmArch arch;                     // 2 layers of 20, log-sign preprocessing (p = 10), scale 0.1
    ParamGroups groups = ParamGroups::Shared; // one net for all of theta, or one per parameter group
    int epochs = 1000;                 // fresh optimizees, in [1, 10^7]
    int horizon = 100;                 // T: optimizee steps per episode, in [1, 100000]
    int unroll = 20;                   // K: truncated-BPTT window, in [1, horizon]
    double learningRate = 1e-3;        // Adam on phi, in (0, 1]
    LrSchedule lrSchedule = LrSchedule::Constant;
    double clipNorm = 0;               // > 0: a window's meta-gradient longer than this (2-norm) is scaled to it
    int validateEvery = 50;            // epochs between validations, in [1, epochs]
    int validationRuns = 10;           // held-out instances, in [1, 1000]
    bool validateOnFinalLoss = false;  // select by the loss at the last step instead of the horizon mean
    bool secondDerivatives = false;    // follow d grad / d phi through Hessian-vector products
    MetaLoss metaLoss = MetaLoss::Sum; // the paper's sum of losses, or the sum of their logs
    std::uint64_t seed = 1;            // initial phi, training and validation instances
    int threads = 0;                   // 0 = all cores; results do not depend on it
    void validate() const;             // throws l2l::Error naming the field and range
};

struct MetaHistoryPoint {
    int epoch = 0;
    double metaLoss = 0;                                              // mean f over the episode
    double validationLoss = std::numeric_limits<double>::quiet_NaN(); // where validated
};

struct MetaProgress {
    int epoch = 0, epochs = 0;  // epochs done, total
    double metaLoss = 0;
    double validationLoss = std::numeric_limits<double>::quiet_NaN();
    double bestValidation = std::numeric_limits<double>::quiet_NaN();
    int bestEpoch = -1;
    double elapsedSeconds = 0, etaSeconds = 0;
    int skippedUpdates = 0;     // windows whose meta-gradient was not finite (no step taken)
    int clippedUpdates = 0;     // windows whose meta-gradient was scaled down to clipNorm
};

// Everything needed to continue a run where it stopped.
struct MetaTrainState {
    MetaTrainConfig config;
    LstmNet<float> net, best;
    Vec<float> adamM, adamV;
    long adamT = 0;
    int epoch = 0;
    double bestValidation = std::numeric_limits<double>::infinity();
    int bestEpoch = -1;
    double elapsedSeconds = 0;
    int skippedUpdates = 0;
    int clippedUpdates = 0;
    std::vector<MetaHistoryPoint> history;
};

class MetaTrainer {
public:
    explicit MetaTrainer(const MetaTrainConfig& config);
    // Starts from `initial` (e.g. a trained optimizer to fine-tune) instead of random weights; its
    // architecture replaces config.arch, and a several-net `initial` implies per-block groups. Throws
    // l2l::Error if its net count does not fit the problem class.
    MetaTrainer(MetaTrainConfig config, const LstmNet<float>& initial);
    explicit MetaTrainer(MetaTrainState state); // resume
    // Trains until config.epochs are done or *cancel becomes true (checked before every optimizee step of
    // training and validation, so a stop takes effect within one step). An epoch cut short by a stop,
    // in its episode or its validation, is rolled back: a resumed run gives the weights of an uninterrupted one.
    void run(const std::function<void(const MetaProgress&)>& progress, const std::atomic<bool>* cancel);
    // Mean over the validation instances of the mean loss over the horizon (or of the final loss).
    double validate(const LstmNet<float>& net) const;
    const MetaTrainState& state() const { return m_state; }
    // The best optimizer so far (the current one if never validated), with its provenance.
    OptimizerFile bestOptimizer(const std::string& command) const;

private:
    double episode(const std::atomic<bool>* cancel, bool* aborted);
    double validate(const LstmNet<float>& net, const std::atomic<bool>* cancel, bool* aborted) const;
    void adamStep(Vec<float> grad);

    MetaTrainState m_state;
    std::unique_ptr<ProblemClass<float>> m_class;
};

// Checkpoints: the training state as JSON (atomic save; validated load).
void saveCheckpoint(const std::string& path, const MetaTrainState& state);
MetaTrainState loadCheckpoint(const std::string& path);

} // namespace l2l
