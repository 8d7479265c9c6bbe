#pragma once
// "Watch it learn" (lecture issue, item 2): beside the meta-loss curve of a run on a 2-d function class, the learned
// optimizer's path on one fixed function of the class, redrawn every N epochs from the weights being trained, with
// the earlier snapshots as fading trails and the tuned hand-designed optimizers' paths for reference. The caption
// says when the learned path first beats Adam's on this function (by the meta-training measure, the mean of f over
// the horizon). The same optimizers' levels on the run's validation instances are computed here too (levelsReady),
// for the view to draw on its curve.
//
// The fixed function is the class's evaluation instance 0 (seed 1), as the Trajectories view draws it: never one
// the run trains on (training instances come from another seed stream, base/SeedStreams.h).
#include "eval/MetaBaselines.h"
#include "eval/Trajectory.h"
#include "optimizers/MetaTrainConfig.h"
#include "workers/Runner.h"

#include <QWidget>

#include <optional>
#include <vector>

class QLabel;

namespace l2l::ui {

class LandscapeWidget;

// The computed reference: the function with the baselines' paths on it, and their validation levels.
struct WatchReference {
    TrajectoryResult paths;
    std::vector<BaselineLevel> levels;
};

class WatchPanel : public QWidget {
    Q_OBJECT
public:
    explicit WatchPanel(QWidget* parent = nullptr);

    static bool watches(const QString& problemSpec); // a 2-d function class
    // The function snapshots are drawn on: the run's class, instance of seed 1, `horizon` steps.
    static TrajectoryConfig watchedFunction(const MetaTrainConfig& config);
    static const std::vector<std::string>& baselines(); // sgd, nag, rmsprop, adam (tuned)

    // A new run: clears the snapshots and computes the reference (in the panel's runner).
    void begin(const MetaTrainConfig& config);
    // A run without a watched function: stops the reference job, if any, and forgets the reference.
    void stop();
    // Snapshots of the learned path, in epoch order; `epochs` gives their epochs.
    void addSnapshots(const std::vector<TrajectoryPath>& paths, const std::vector<int>& epochs);
    bool isComputing() const { return m_runner->isBusy(); }
    const std::optional<WatchReference>& reference() const { return m_reference; }
    int snapshotCount() const { return int(m_learned.size()); }
    const std::vector<TrajectoryPath>& snapshots() const { return m_learned; }
    const std::vector<int>& snapshotEpochs() const { return m_epochs; }
    // The epoch of the first snapshot whose mean loss on the function is below tuned Adam's; -1 if none yet.
    int beatsAdamSince() const { return m_beatsSince; }
    QString caption() const;
    LandscapeWidget* landscape() const { return m_landscape; }

signals:
    void referenceReady(); // reference() is set
    void failed(const QString& message);

private:
    void redraw();
    LandscapeWidget* m_landscape;
    QLabel* m_caption;
    Runner* m_runner;
    std::optional<WatchReference> m_reference;
    std::vector<TrajectoryPath> m_learned;
    std::vector<int> m_epochs;
    int m_beatsSince = -1;
};

double meanLossOverSteps(const TrajectoryPath& path); // mean of f at steps 1..T (infinity if diverged)

} // namespace l2l::ui

Q_DECLARE_METATYPE(l2l::ui::WatchReference)
