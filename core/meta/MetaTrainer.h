#pragma once
// Meta-training of the LSTM optimizer (paper Sec. 2-3): every epoch a fresh optimizee from the class,
// an episode of `horizon` steps cut into truncated-BPTT windows of `unroll` steps, one Adam step on phi
// per window; every `validateEvery` epochs the mean loss over fixed held-out instances, keeping the
// best phi (early stopping). Cancellable at any window, resumable from a checkpoint.
#include "meta/Bptt.h"
#include "meta/MemberExchange.h"
#include "optimizers/AdamState.h"
#include "optimizers/MetaTrainConfig.h"
#include "optimizers/OptimizerFile.h"

#include <algorithm>
#include <atomic>
#include <functional>
#include <limits>
#include <memory>

namespace l2l {

struct MetaHistoryPoint {
    int epoch = 0;
    double metaLoss = 0; // mean f over the episode (over the meta-batch's members)
    // With a meta-batch of B > 1: the noise of the averaged meta-gradient the update uses, relative to its size:
    // the estimated variance of the mean, sum_b |g_b - mean|^2 / ((B - 1) B), over |mean|^2, averaged over the
    // episode's windows (NaN for B = 1). Near or above 1 the update's direction is mostly noise; for a given spread
    // between members it falls as 1/B.
    double gradientNoise = std::numeric_limits<double>::quiet_NaN();
    double validationLoss = std::numeric_limits<double>::quiet_NaN(); // where validated
    int stage = 0; // the curriculum stage the epoch trained in (0 without a curriculum)
    // With imitation: the imitation term lambda/2 |u - a|^2 per step, on the scale of metaLoss (mean f per step),
    // averaged over the members; NaN where the epoch did not imitate (no teacher, or its weight fell to 0).
    double imitation = std::numeric_limits<double>::quiet_NaN();
};

struct MetaProgress {
    int epoch = 0, epochs = 0; // epochs done, total
    double metaLoss = 0;
    double gradientNoise = std::numeric_limits<double>::quiet_NaN(); // see MetaHistoryPoint
    double imitation = std::numeric_limits<double>::quiet_NaN();     // see MetaHistoryPoint
    double validationLoss = std::numeric_limits<double>::quiet_NaN();
    double bestValidation = std::numeric_limits<double>::quiet_NaN();
    int bestEpoch = -1;
    double elapsedSeconds = 0, etaSeconds = 0;
    int skippedUpdates = 0;    // windows whose meta-gradient was not finite (no step taken)
    int clippedUpdates = 0;    // windows whose meta-gradient was scaled down to clipNorm
    int stage = 0, stages = 1; // the curriculum stage under way and their number (1 without a curriculum)
    int horizon = 0;           // of the stage's episodes
};

// Everything needed to continue a run where it stopped.
struct MetaTrainState {
    MetaTrainConfig config;
    LstmNet<float> net, best;
    AdamState<float> adam; // Adam on the weights phi
    int epoch = 0;
    double bestValidation = std::numeric_limits<double>::infinity();
    int bestEpoch = -1;
    double elapsedSeconds = 0;
    int skippedUpdates = 0;
    int clippedUpdates = 0;
    // Curriculum: the stage under way and the validations since the last improvement in it. The best weights
    // and validation are those of the stage (validation horizons differ between stages).
    int stage = 0;
    int stageStale = 0;
    // A fine-tune (--init) whose starting weights are still to be validated, before its first epoch; kept in the
    // checkpoint so that a fine-tune stopped before then still validates them when resumed.
    bool validateStart = false;
    std::vector<MetaHistoryPoint> history;
    // The lineage, kept in checkpoints: every command that worked on this run (started it, resumed it), the one
    // under way last (MetaTrainer::recordCommand); and what a fine-tune started from (Provenance::ancestors).
    std::vector<std::string> commands;
    std::vector<Ancestor> ancestors;
};

// How far the epoch under way has got, for a progress display on another thread (an MNIST epoch with a meta-batch
// of 1000 takes minutes). Units: optimizee steps, three for a training step (forward and backward) and one for a
// validation step; `total` is set when an epoch starts, `done` counts up from 0.
struct EpochWork {
    std::atomic<long> done{0}, total{0};
    double fraction() const
    {
        const long t = total.load(std::memory_order_relaxed);
        return t > 0 ? std::min(1.0, double(done.load(std::memory_order_relaxed)) / double(t)) : 0.0;
    }
};

class MetaTrainer {
public:
    explicit MetaTrainer(const MetaTrainConfig& config);
    // Starts from `initial` (e.g. a trained optimizer to fine-tune) instead of random weights; its
    // architecture replaces config.arch, and a several-net `initial` implies per-block groups. Throws
    // l2l::Error if its net count does not fit the problem class.
    // Its validation before the first epoch is the best so far (best epoch 0) until an epoch validates lower.
    MetaTrainer(MetaTrainConfig config, const LstmNet<float>& initial);
    explicit MetaTrainer(MetaTrainState state); // resume
    // Trains until config.epochs are done or *cancel becomes true (checked before every optimizee step of
    // training and validation, so a stop takes effect within one step). An epoch cut short by a stop,
    // in its episode or its validation, is rolled back: a resumed run gives the weights of an uninterrupted one.
    void run(const std::function<void(const MetaProgress&)>& progress, const std::atomic<bool>* cancel);
    // Mean over the validation instances of the mean loss over the horizon (or of the final loss); with a
    // curriculum, over the next stage's horizon.
    double validate(const LstmNet<float>& net) const;
    int trainingHorizon() const;   // of this stage's episodes (config.horizon without a curriculum)
    int validationHorizon() const; // the next stage's (the last stage's in the last one)
    const MetaTrainState& state() const { return m_state; }
    // Several processes (MPI ranks) sharing this training (meta/MemberExchange.h): this one runs its share of every
    // meta-batch and of the validation runs; the weights stay bit-identical to one process's. Null: one process
    // (the default). Not owned. Throws l2l::Error if there are more ranks than meta-batch members.
    void setExchange(MemberExchange* exchange);
    const MemberExchange& exchange() const { return *m_exchange; }
    // The best optimizer so far (the current one if never validated), with its provenance.
    OptimizerFile bestOptimizer(const std::string& command) const;
    // The command of the invocation that is about to run this training (`l2l train ...`): the optimizer's provenance
    // gives it as its command and the ones recorded before it as its earlier commands.
    void recordCommand(const std::string& command) { m_state.commands.push_back(command); }
    // What a fine-tune starts from (lineageFrom of the --init file), recorded in its provenance.
    void setAncestors(std::vector<Ancestor> ancestors) { m_state.ancestors = std::move(ancestors); }
    // Where run() reports the epoch's progress (null: nowhere, the default). Not owned.
    void setEpochWork(EpochWork* work) { m_work = work; }

private:
    // One epoch: config.metaBatch fresh optimizees through the horizon, one Adam step per window on the mean of
    // their meta-gradients. Returns the mean loss; writes the meta-gradient noise and the imitation term (see
    // MetaHistoryPoint).
    double episode(const std::atomic<bool>* cancel, bool* aborted, double* gradientNoise, double* imitation);
    double validate(const LstmNet<float>& net, const std::atomic<bool>* cancel, bool* aborted) const;
    void adamStep(Vec<float> grad);
    // Whether any rank was asked to stop (Ctrl-C) before `epoch`: every rank must stop at the same point.
    bool stopAgreed(const std::atomic<bool>* cancel, int epoch);

    MetaTrainState m_state;
    MemberExchange* m_exchange;
    EpochWork* m_work = nullptr;
    std::unique_ptr<ProblemClass<float>> m_class;
    // Kept from one episode to the next: their window caches (about 260 MB each on MNIST) are then allocated
    // once, not paged in afresh every episode. They hold no state between windows.
    // One per thread that runs meta-batch members (member b on thread b % threads), or one running the LSTM on
    // every thread when the batch has a single member.
    std::vector<std::unique_ptr<Unroller<float>>> m_unrollers;
    // The problem class the training instances come from: m_class, or with random scaling its scaled variant
    // (validation always draws from m_class).
    std::unique_ptr<ProblemClass<float>> m_trainClass;
    const ProblemClass<float>& trainingClass() const { return m_trainClass ? *m_trainClass : *m_class; }
    void makeClasses();
};

// The instance seed of meta-batch member `member` in epoch `epoch` (counted from 0) of a training seeded `seed`.
std::uint64_t trainingInstanceSeed(std::uint64_t seed, int epoch, int member);

// The best optimizer of a training state (MetaTrainer::bestOptimizer; `ranks`: the processes that trained it).
OptimizerFile bestOptimizerOf(const MetaTrainState& state, const std::string& command, int ranks = 1);

// Checkpoints: the training state as JSON (atomic save; validated load).
void saveCheckpoint(const std::string& path, const MetaTrainState& state);
MetaTrainState loadCheckpoint(const std::string& path);
// About the bytes a training allocates (the unrolled window's caches dominate), for the memory budget.
std::uint64_t estimateTrainingBytes(const MetaTrainConfig& config, const ProblemClass<float>& cls);

MetaTrainState checkpointFromJson(const std::string& text, const std::string& pathForMessages);

} // namespace l2l
