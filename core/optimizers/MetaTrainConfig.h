#pragma once
// The settings of meta-training, defined once (see base/Settings.h): the struct, its enums, and the table from
// which come its validation, its JSON in experiment files, checkpoints and optimizer provenance, the flags of
// `l2l train` and their --help, the command line the studio records, and the rows of the studio's form.
// Here in the optimizers layer because an optimizer file's provenance keeps the settings it was trained with.
//
// To add a training setting: a member below, a row in metaTrainSettings() (MetaTrainConfig.cpp) with
// `since` = the next settings version, and the code in meta/ that uses it.
#include "base/Settings.h"
#include "optimizers/LstmNet.h"

#include <cstdint>
#include <string>
#include <vector>

namespace l2l {

// How many nets the optimizer has: one shared by every coordinate (the paper's default), or one per
// parameter group of the problem class (the paper's CIFAR set-up: conv kernels / the rest).
enum class ParamGroups { Shared, PerBlock };
const EnumNames<ParamGroups>& paramGroupsNames(); // "shared", "per-block"
std::string paramGroupsName(ParamGroups g);
ParamGroups paramGroupsFromName(const std::string& name); // throws l2l::Error

// The Adam learning rate over the run: constant, or a cosine decay from the set rate at epoch 0 to
// zero at the last epoch (factor (1 + cos(pi e / epochs)) / 2 during epoch e, counted from 0).
enum class LrSchedule { Constant, Cosine };
const EnumNames<LrSchedule>& lrScheduleNames(); // "constant", "cosine"
std::string lrScheduleName(LrSchedule s);
LrSchedule lrScheduleFromName(const std::string& name); // throws l2l::Error
double lrScheduleFactor(LrSchedule s, int epoch, int epochs);

// The meta-objective of an episode (paper: w_t = 1).
//   Sum: L = sum_t f(theta_t).
//   Log: L = sum_t log(f(theta_t) + 1e-8) -- scale-free: a halving of the loss counts the same early and
//        late, so the late steps (small f) weigh 1/f times more than with Sum. For non-negative losses
//        (cross-entropy, quadratics); the 1e-8 bounds the weight where f reaches 0.
enum class MetaLoss { Sum, Log };
const EnumNames<MetaLoss>& metaLossNames(); // "sum", "log"
std::string metaLossName(MetaLoss m);
MetaLoss metaLossFromName(const std::string& name); // throws l2l::Error naming the valid ones

// Ranges and help texts are in the table (metaTrainSettings()), not here.
struct MetaTrainConfig {
    std::string problem = "quadratic"; // problem class spec
    int epochs = 1000;                 // fresh optimizees
    int horizon = 100;                 // T: optimizee steps per episode
    int unroll = 20;                   // K: truncated-BPTT window, at most the horizon
    double learningRate = 1e-3;        // Adam on phi
    LrSchedule lrSchedule = LrSchedule::Constant;
    double clipNorm = 0;                      // > 0: a window's meta-gradient longer than this (2-norm) is scaled to it
    int metaBatch = 1;                        // optimizees per meta-update (their meta-gradients averaged)
    double randomScale = 0;                   // > 0: training instances get the problem option xscale=this
    std::string curriculum;                   // "100,200,500": horizons of curriculum stages (empty = off)
    int curriculumPatience = 3;               // validations without improvement before the next stage
    std::string imitate;                      // "adam:lr=0.01": the hand-designed rule imitated (empty = off)
    double imitationWeight = 1;               // lambda of the imitation term
    int imitationEpochs = 0;                  // > 0: lambda falls linearly to 0 over this many epochs
    int validateEvery = 50;                   // epochs between validations
    int validationRuns = 10;                  // held-out instances
    bool validateOnFinalLoss = false;         // select by the loss at the last step instead of the horizon mean
    bool secondDerivatives = false;           // follow d grad / d phi through Hessian-vector products
    ParamGroups groups = ParamGroups::Shared; // one net for all of theta, or one per parameter group
    MetaLoss metaLoss = MetaLoss::Sum;        // the paper's sum of losses, or the sum of their logs
    std::uint64_t seed = 1;                   // initial phi, training and validation instances
    int threads = 0;                          // 0 = all cores; results do not depend on it
    int memoryLimitMiB = 0;                   // the memory budget (base/Memory.h); 0 = what is available at start
    LstmArch arch;                            // 2 layers of 20, log-sign preprocessing (p = 10), scale 0.1
    void validate() const;                    // throws l2l::Error naming the field and range
    // The curriculum's horizons, increasing (empty without one). Throws l2l::Error on a malformed list.
    std::vector<int> curriculumHorizons() const;
    // The horizon validation measures on, per curriculum stage: the next stage's horizon (the last stage's own), as
    // curriculum training validates whether a stage's weights are ready for the next; {horizon} without one.
    std::vector<int> validationHorizons() const;
    // The weight of the imitation term during epoch `epoch` (counted from 0): 0 without imitation, else
    // imitationWeight, falling linearly to 0 at epoch imitationEpochs when that is set.
    double imitationWeightAt(int epoch) const;
};

const SettingsTable<MetaTrainConfig>& metaTrainSettings();

// Keys of the table that some formats keep elsewhere: the architecture (an optimizer file's "architecture",
// a checkpoint's weights), the thread count (not a property of the result).
const std::vector<std::string>& metaTrainArchKeys();

} // namespace l2l
