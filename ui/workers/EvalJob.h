#pragma once
// The Compare view's job: l2l::evaluate on a Runner (workers/Runner.h). Snapshots are the statistics so far
// (an EvalResult without per-run curves, at a cost independent of the number of runs); the result is the
// complete EvalResult; log lines are the core's progress lines. While a rate is tuned, snapshots are TuneProgress.
#include "eval/Evaluation.h"
#include "workers/Runner.h"

#include <QMetaType>

Q_DECLARE_METATYPE(l2l::EvalResult)
Q_DECLARE_METATYPE(l2l::TuneProgress)

namespace l2l::ui {

Runner::Job evalJob(const EvalConfig& config);

// "Tuning adam's rate (2 of 4): 35%, about 12 s left": the progress line of a rate search (Compare, Art).
QString tuneProgressText(const TuneProgress& p);

// A copy of `r` without the per-run curves (statistics, summaries and test metrics only).
EvalResult withoutRunCurves(const EvalResult& r);

} // namespace l2l::ui
