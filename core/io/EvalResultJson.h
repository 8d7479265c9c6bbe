#pragma once
// An evaluation's statistics as JSON, written by `l2l eval --json` (which adds the paired comparisons) and kept
// under "results" in an experiment file saved with its results, so that it re-opens showing them at once:
//
//   {"problem": "mnist", "canonical_problem": "...", "steps": 100, "runs": 20, "seed": 1,
//    "completed_steps": 100, "cancelled": false, "has_test_split": true, "test_steps": [0, 25, ...],
//    "tuning": {"min_rate": ..., "max_rate": ..., "per_decade": ..., "runs": ..., "seed": ...},
//    "optimizers": [{"name": "adam", "spec": "adam:lr=0.01,...", "learning_rate": 0.01, "tuned": true,
//                    "loss_mean": [...], "loss_std": [...], "loss_median": [...], "runs_counted": [...],
//                    "final_loss_mean": ..., "final_loss_std": ..., "final_loss_median": ..., "diverged_runs": 0,
//                    "median_diverged_from_step": 40,         // when half the runs had diverged (medians +inf)
//                    "tuning_grid": {"rates": [...], "final_loss_means": [...]},            // tuned rates only
//                    "test_loss_mean": ..., "test_accuracy_mean": ...,                      // with a test split
//                    "test_loss_curve": [...], "test_accuracy_curve": [...],               // with test_steps
//                    "paired_vs_best": {"best": "lstm", "pairs": 20, "best_wins_fraction": 0.85,
//                                       "mean_difference": ..., "t": ..., "p": ...}}]}   // all but the best
//
// Undefined statistics (NaN) are null. The mean and std are over the runs that never diverged; the median counts a
// diverged run as the worst (+inf), so it is +inf, written as null, from median_diverged_from_step on. Per-run curves are not part of it: a result read back has statistics and
// the pairs with the best only, like the studio's (enough for the plot and the table, not for new paired tests).
#include "eval/Summary.h"

#include <nlohmann/json.hpp>

#include <string>

namespace l2l {

nlohmann::json evalStatsToJson(const EvalResult& r);

// Reads what evalStatsToJson wrote, checking every field (types, ranges, lengths against steps and runs) and
// throwing l2l::Error("WHERE: results.optimizers[2].loss_mean[7] must be a number or null") on the first bad one.
// `where` names the file, `prefix` the object's key path in it ("results").
EvalResult evalStatsFromJson(const nlohmann::json& doc, const std::string& where, const std::string& prefix);

} // namespace l2l
