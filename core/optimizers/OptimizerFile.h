#pragma once
// The file format of a trained optimizer: versioned, human-readable JSON (format "l2l-optimizer",
// version 1) holding the architecture, preprocessing, output scale, the weights and their provenance.
//
//   {"format": "l2l-optimizer", "version": 1,
//    "architecture": {"type": "coordinatewise-lstm", "layers": 2, "hidden": 20,
//                     "preprocess": "log-sign", "p": 10, "output_scale": 0.1},
//    "weights": [...],                 // LstmNet::params, see LstmNet.h for the layout
//    "provenance": {"settings_version": 2, "problem": ..., "epochs": ..., "horizon": ..., ...,
//                   "best_epoch": ..., "validation_loss": ...,
//                   "command": "l2l train ...", "created": "2026-11-28T03:40:00Z", "tool": "l2l 0.1.0",
//                   "earlier_commands": [...], "ancestors": [{"problem": ..., "epochs": ..., "commands": [...],
//                                                             "created": ..., "digest": ...}, ...]}}
// ("earlier_commands": the commands before "command" that trained the run, when it was resumed; "ancestors": what
// a fine-tune started from, nearest first; both only when there are any)
//
// The provenance holds the training settings of optimizers/MetaTrainConfig.h (their table decides the keys,
// types and ranges) except the architecture (above), the thread count and the epochs set ("epochs" counts those done).
//
// An optimizer of several nets (one per parameter group, LstmNet::nets > 1) is version 2: "weights" is
// replaced by the net count and one entry per net naming the group it serves (version 1 files, one net,
// load unchanged and a one-net optimizer is still written as version 1):
//
//   {"format": "l2l-optimizer", "version": 2, "architecture": {...}, "provenance": {...},
//    "groups": 2, "nets": [{"group": 0, "weights": [...]}, {"group": 1, "weights": [...]}]}
//
// Saving is atomic (temp file + rename). Loading checks format, version, shapes and finiteness and
// throws l2l::Error naming the file and what is wrong.
#include "base/Resources.h"
#include "optimizers/LstmNet.h"
#include "optimizers/MetaTrainConfig.h"

#include <nlohmann/json_fwd.hpp>

#include <string>
#include <utility>
#include <vector>

namespace l2l {

// How an optimizer file was chosen among candidates by `l2l select`: on instances of the selection stream
// (kSelectInstances), which no evaluation ever draws, so a report never scores an optimizer on the instances it was
// picked on.
struct Selection {
    bool known = false;
    std::string problem;   // canonical spec of the selection problem
    std::string criterion; // "final" (mean final loss) or "mean" (mean loss over the steps)
    std::uint64_t seed = 0;
    int runs = 0, steps = 0;
    double score = 0;                                       // the chosen one's, by the criterion
    std::vector<std::pair<std::string, double>> candidates; // every candidate's file name and score (NaN: diverged)
};

// An optimizer a training started from (`l2l train --init FILE`, the studio's fine-tune), as its file recorded it.
struct Ancestor {
    std::string problem;               // what it was trained on
    int epochsDone = 0;                // its epochs
    std::vector<std::string> commands; // the commands that trained it (started, resumed), in order
    std::string created;
    std::string digest; // 16 hex digits of the file's bytes (fileDigest) when the training started from it
    bool operator==(const Ancestor&) const = default;
};

struct Provenance {
    bool known = false;       // false: the file has no provenance (the fields below are defaults)
    MetaTrainConfig training; // the settings it was trained with (its epochs: those set, not kept in the file)
    int epochsDone = 0;
    int bestEpoch = -1;
    double validationLoss = 0;
    int ranks = 1; // the processes (MPI ranks) that shared the training; "ranks" in the file, written when > 1
    std::string command, created, tool = "l2l 0.1.0";
    // The commands before `command` that trained this run (the one that started it, those that resumed it), in
    // order: "earlier_commands" in the file, when there are any.
    std::vector<std::string> earlierCommands;
    // The optimizers it was fine-tuned from, nearest first (the --init file, then the one that one started from,
    // ...): "ancestors" in the file, when there are any.
    std::vector<Ancestor> ancestors;
    Selection selection; // known only for a file written by `l2l select`
    // Read from a file written before some settings existed: the keys it did not record (their values in
    // `training` are defaults, not what the run used) and its settings version (-1: none, a legacy file). Written
    // back the same way, so that re-saving (l2l select) never records a default as the run's setting.
    std::vector<std::string> unrecorded;
    int recordedVersion = 0;
};

struct OptimizerFile {
    LstmNet<float> net;
    Provenance provenance;
};

// 16 hex digits (BitHash, 64-bit FNV-1a) of a file's bytes: a resumed transfer refuses an optimizer file that has changed
// since the stopped run, wherever the file now is; a fine-tune records its start's. Throws l2l::Error naming a
// missing or unreadable file.
std::string optimizerFileDigest(const std::string& path);

// The lineage a training started from `file` (read from bytes whose fileDigest is `digest`) records: `file` itself,
// then its own ancestors.
std::vector<Ancestor> lineageFrom(const OptimizerFile& file, const std::string& digest);
// "fine-tuned from an optimizer trained for 600 epochs on mnist", for reports; empty without ancestors.
std::string lineageSummary(const std::vector<Ancestor>& ancestors);
// The JSON of a lineage (optimizer files' provenance and checkpoints), and its validated reading (throws l2l::Error
// naming `what` and the field).
nlohmann::json ancestorsJson(const std::vector<Ancestor>& ancestors);
std::vector<Ancestor> readAncestors(const nlohmann::json& j, const std::string& what);
nlohmann::json commandsJson(const std::vector<std::string>& commands);
std::vector<std::string> readCommands(const nlohmann::json& j, const std::string& what);

void saveOptimizer(const std::string& path, const OptimizerFile& file);
OptimizerFile loadOptimizer(const std::string& path);
std::string optimizerToJson(const OptimizerFile& file);
OptimizerFile optimizerFromJson(const std::string& text, const std::string& pathForMessages);

// The bundled optimizer for a problem family ("quadratic", "mnist", 2-d functions, ...):
// <resources>/optimizers/<family>.json. Throws l2l::Error if none is bundled for that family.
std::string bundledOptimizerPath(const std::string& problemSpec);

} // namespace l2l
