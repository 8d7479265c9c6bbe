#pragma once
// The hand-designed optimizers' level on a meta-training run's own validation measure, for the Meta-train view's
// reference lines ("watch it learn"): each optimizer, at its rate tuned on the training class for the horizon (or
// at the rate given), runs on the run's validation instances exactly as MetaTrainer::validate runs the learned one:
// the mean of f(theta_1..theta_T) over the horizon T (or f(theta_T) with validate_on_final_loss), averaged over the
// validation runs. With a curriculum, validation measures on a different horizon in each stage
// (MetaTrainConfig::validationHorizons), so there is a level per stage, all from the same runs at the rate tuned for
// the last horizon (the longest).
#include "optimizers/MetaTrainConfig.h"
#include "optimizers/UpdateRule.h"

#include <atomic>
#include <string>
#include <vector>

namespace l2l {

struct BaselineLevel {
    std::string optimizer;           // as given ("adam", "sgd:lr=0.1")
    double rate = 0;                 // the rate used
    bool tuned = false;              // the rate came from the tuning search
    double level = 0;                // the validation measure at the last stage's horizon (infinity if a run diverged)
    std::vector<double> stageLevels; // per curriculum stage (one without a curriculum); the last is `level`
};

// Throws l2l::Error for an unknown optimizer or problem. Cancelled: returns what was finished.
std::vector<BaselineLevel> validationBaselines(const MetaTrainConfig& config,
                                               const std::vector<std::string>& optimizers,
                                               const std::atomic<bool>* cancel = nullptr);

} // namespace l2l
