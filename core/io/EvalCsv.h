#pragma once
// The CSV of an evaluation's loss curves, written by `l2l eval --csv` and the studio's Export Data alike:
//   optimizer,learning_rate,step,loss_mean,loss_std,loss_median,runs_counted
// one row per optimizer and step up to the last completed one; numbers with 9 significant digits, an empty
// field where a statistic is undefined (NaN: no run counted), "inf" for a median once half the runs diverged (the
// mean and std are over the runs that never diverged, the median over all, a diverged run counted as the worst),
// "learned" as the rate of a learned optimizer, names with a
// comma quoted (RFC 4180). A stopped run's CSV starts with one comment line, "# interrupted at step T of N: partial
// results", so that it is never taken for a finished run (readers that skip '#' lines read the same columns).
#include "eval/Summary.h"
#include "eval/Transfer.h"

#include <string>

namespace l2l {

std::string evalCsv(const EvalResult& r);

// The cells of a transfer matrix (the studio's Transfer view, Export Data), one row per variant and optimizer:
//   axis,variant,problem,steps,optimizer,ratio,final_loss_mean,baseline,baseline_rate,baseline_final_loss_mean,
//   runs_won,pairs,p,diverged_runs
// with the same number and text fields as evalCsv.
std::string transferCsv(const TransferResult& r);

} // namespace l2l
