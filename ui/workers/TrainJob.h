#pragma once
// Meta-training on a Runner (workers/Runner.h), with pause and resume. A TrainSession keeps the MetaTrainer
// between runs of its job: Pause aborts the job (the core rolls back the epoch in progress), Resume requests a
// job that continues the same trainer, so a paused and resumed run gives the weights of an uninterrupted one.
// The trainer is touched only by the job while one runs, and by this object only while none does. Snapshots
// carry the progress, the history points not sent before, and a copy of the best optimizer when it changed.
#include "eval/Trajectory.h"
#include "meta/MetaTrainer.h"
#include "workers/Runner.h"

#include <QMetaType>
#include <QObject>
#include <QString>

#include <functional>
#include <memory>
#include <optional>
#include <vector>

namespace l2l::ui {

struct TrainSnapshot {
    MetaProgress progress;
    std::vector<MetaHistoryPoint> newPoints;
    std::optional<OptimizerFile> best; // when it changed since the last snapshot (always in a job's result)
    // Watching (TrainSession::setWatch): the learned optimizer's path on the watched function at these epochs
    // (0: before the first update), new since the last snapshot.
    std::vector<TrajectoryPath> paths;
    std::vector<int> pathEpochs;
};

// The `l2l train` command that reproduces a run (recorded as the optimizer's provenance).
std::string trainCommand(const MetaTrainConfig& config);
// The command of a run's latest invocation: the last one its state recorded, else the settings' `l2l train` command.
std::string lastCommand(const MetaTrainState& state);
// A training state's progress (as the trainer reports it; the ETA from the time per epoch so far).
MetaProgress progressOf(const MetaTrainState& state);

} // namespace l2l::ui

Q_DECLARE_METATYPE(l2l::MetaProgress)
Q_DECLARE_METATYPE(l2l::OptimizerFile)
Q_DECLARE_METATYPE(l2l::ui::TrainSnapshot)

namespace l2l::ui {

// A run that stopped (Stop, or all its epochs done) is kept as its training state: continueRun() goes on from it as
// `l2l train --resume` does, giving the weights of a run that never stopped. An opened checkpoint is kept the same
// way (keep()).
class TrainSession : public QObject {
    Q_OBJECT
public:
    enum class State { Idle, Running, Paused };
    explicit TrainSession(QObject* parent = nullptr);

    // Idle only. With `initial`: a fine-tune from its weights (its architecture replaces config's; the run fails
    // with a message if its net count does not fit the problem class).
    // `ancestors`: the lineage a fine-tune records (lineageFrom its file).
    void start(const MetaTrainConfig& config, std::optional<LstmNet<float>> initial = std::nullopt,
               std::vector<Ancestor> ancestors = {});
    // Idle with a kept run: continues it with its own settings up to `epochs` (more than it has done). False, with
    // a message naming Epochs, when there is none or `epochs` is not more.
    bool continueRun(int epochs, QString* error);
    void keep(MetaTrainState state); // Idle only: continueRun() goes on from it (an opened checkpoint)
    const std::optional<MetaTrainState>& kept() const { return m_kept; }
    // The state a checkpoint would hold: the kept run's when Idle, the paused trainer's when Paused; null while
    // a job runs (the trainer is the job's).
    const MetaTrainState* currentState() const;
    // Where the job writes the run's checkpoint, after every validation and when it stops or pauses (empty:
    // nowhere). A failed write is reported in the log; the training goes on.
    void setCheckpointPath(const QString& path) { m_checkpointPath = path; }
    QString checkpointPath() const { return m_checkpointPath; }
    // Before start(): every `every` epochs (and before the first and after the last) the job runs the weights being
    // trained on `function` and sends the path (TrainSnapshot::paths). None: no paths.
    void setWatch(std::optional<TrajectoryConfig> function, int every);
    void pause();  // Running: paused() follows within one optimizee step
    void resume(); // Paused only
    void stop();   // Running or Paused: finished() follows
    State state() const { return m_state; }
    // How far the epoch under way has got (0..1, for a progress display while Running; see EpochWork).
    double epochFraction() const { return m_trainer->work.fraction(); }

signals:
    void snapshot(const l2l::ui::TrainSnapshot& snapshot);
    void bestChanged(const l2l::OptimizerFile& best); // a copy; also on pause and at the end
    void paused(const l2l::MetaProgress& progress);
    void finished(const l2l::MetaProgress& progress);
    void failed(const QString& message);
    void logLine(const QString& line); // from the job: a checkpoint not written, a path not watched

private:
    struct Trainer { // what the job works on
        std::unique_ptr<MetaTrainer> trainer;
        size_t sent = 0; // history points already sent
        EpochWork work;  // written by the job's threads, read by the GUI's
    };
    using Make = std::function<std::unique_ptr<MetaTrainer>()>; // builds a run's trainer, on the runner's thread
    void runJob(Make make);                                     // null: continue the paused trainer
    void end(const MetaProgress& progress);

    Runner* m_runner;
    std::shared_ptr<Trainer> m_trainer;
    std::optional<OptimizerFile> m_best;  // the latest best received
    std::optional<MetaTrainState> m_kept; // the stopped run's state, or an opened checkpoint's
    QString m_checkpointPath;
    std::optional<TrajectoryConfig> m_watch;
    int m_watchEvery = 25;
    State m_state = State::Idle;
    bool m_stopping = false; // stop() was called: the run ends instead of pausing
};

} // namespace l2l::ui
