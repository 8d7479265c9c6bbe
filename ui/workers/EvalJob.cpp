#include "workers/EvalJob.h"

#include <QCoreApplication>

#include <cmath>
#include <exception>

namespace l2l::ui {

QString tuneProgressText(const TuneProgress& p)
{
    QString text = QCoreApplication::translate("l2l", "Tuning %1's rate (%2 of %3): %4%")
                       .arg(QString::fromStdString(p.optimizer))
                       .arg(p.index + 1)
                       .arg(p.count)
                       .arg(tunePercent(p));
    if (const int left = tuneSecondsLeft(p); left >= 0)
        text += QCoreApplication::translate("l2l", ", about %1 s left").arg(left);
    return text;
}

EvalResult withoutRunCurves(const EvalResult& r)
{
    EvalResult out;
    out.config = r.config;
    out.canonicalProblem = r.canonicalProblem;
    out.hasTestSplit = r.hasTestSplit;
    out.testSteps = r.testSteps;
    out.completedSteps = r.completedSteps;
    out.wave = r.wave;
    out.waves = r.waves;
    out.cancelled = r.cancelled;
    for (const auto& opt : r.optimizers) {
        OptimizerResult o;
        o.config = opt.config;
        o.tunedRate = opt.tunedRate;
        o.tuneRates = opt.tuneRates;
        o.tuneFinalMeans = opt.tuneFinalMeans;
        o.curves.divergedAt = opt.curves.divergedAt;
        o.curves.test = opt.curves.test;
        o.stats = opt.stats;
        o.finalMean = opt.finalMean;
        o.finalStd = opt.finalStd;
        o.finalMedian = opt.finalMedian;
        o.divergedRuns = opt.divergedRuns;
        o.testLossMean = opt.testLossMean;
        o.testAccuracyMean = opt.testAccuracyMean;
        o.testLossCurve = opt.testLossCurve;
        o.testAccuracyCurve = opt.testAccuracyCurve;
        o.vsBest = opt.vsBest;
        out.optimizers.push_back(std::move(o));
    }
    return out;
}

Runner::Job evalJob(const EvalConfig& config)
{
    return [config](Runner::Control& control) {
        // The callbacks run on one of the core's threads (whichever reaches the step barrier last).
        EvalCallbacks callbacks;
        callbacks.log = [&control](const std::string& line) { control.log(QString::fromStdString(line)); };
        callbacks.minStepInterval = 1.0 / kSnapshotsPerSecond; // the core skips building snapshots in between
        callbacks.onStep = [&control](const EvalResult& partial, int step) {
            if (step < partial.config.steps && !control.snapshotDue()) return;
            control.send(QVariant::fromValue(withoutRunCurves(partial)), true);
        };
        callbacks.onTune = [&control](const TuneProgress& p) {
            control.send(QVariant::fromValue(p), p.step >= p.steps);
        };
        EvalResult result = evaluate(config, callbacks, control.abortFlag());
        control.send(QVariant::fromValue(withoutRunCurves(result)), true); // the final state, whatever was held back
        return movedIntoVariant(std::move(result));
    };
}

} // namespace l2l::ui
