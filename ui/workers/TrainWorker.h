#pragma once
// Meta-training off the GUI thread. A TrainWorker lives in its own QThread and owns the MetaTrainer;
// only copyable values cross threads: throttled snapshots of the progress with the history points that
// are new since the last one, and copies of the best optimizer. Pause and Stop set an atomic flag that
// the core polls before every optimizee step (not through the event queue, which is blocked while the
// trainer runs); the epoch in progress is rolled back, so Resume continues exactly where it stopped.
#include "meta/MetaTrainer.h"

#include <QObject>
#include <QString>
#include <QThread>

#include <atomic>
#include <memory>
#include <vector>

namespace l2l::ui {

// What the view draws: the latest progress and the history points it has not seen yet.
struct TrainSnapshot {
    MetaProgress progress;
    std::vector<MetaHistoryPoint> newPoints;
};

} // namespace l2l::ui

Q_DECLARE_METATYPE(l2l::MetaTrainConfig)
Q_DECLARE_METATYPE(l2l::MetaProgress)
Q_DECLARE_METATYPE(l2l::OptimizerFile)
Q_DECLARE_METATYPE(l2l::ui::TrainSnapshot)

namespace l2l::ui {

// Registers the types above for queued signals and invokeMethod by name. Idempotent.
void registerTrainMetaTypes();

// Snapshots are limited to this many per second; those with a validation, the first and the last of a
// run are always sent.
constexpr int kTrainSnapshotsPerSecond = 20;

// The `l2l train` command that reproduces a run (recorded as the optimizer's provenance).
std::string trainCommand(const MetaTrainConfig& config);

class TrainWorker : public QObject {
    Q_OBJECT
public:
    explicit TrainWorker(std::atomic<bool>* cancel, std::atomic<bool>* stop, QObject* parent = nullptr);

public slots:
    // Builds a trainer for `config` and runs it (failed() if the config or the problem is bad).
    void start(const l2l::MetaTrainConfig& config);
    // Runs the paused trainer again from where it stopped.
    void resume();
    // Ends a paused run: emits the best and finished().
    void finish();

signals:
    void snapshot(const l2l::ui::TrainSnapshot& snapshot);
    void bestChanged(const l2l::OptimizerFile& best); // a copy; also sent on pause and at the end
    void paused(const l2l::MetaProgress& progress);
    void finished(const l2l::MetaProgress& progress);
    void failed(const QString& message);

private:
    void runTrainer();
    MetaProgress currentProgress() const;

    std::atomic<bool>* m_cancel; // polled by the core: pause or stop
    std::atomic<bool>* m_stop;   // set with m_cancel when the run should end rather than pause
    std::unique_ptr<MetaTrainer> m_trainer;
    size_t m_sent = 0;           // history points already sent
};

// Owns the thread with a TrainWorker in it and relays its signals into the owner's thread. RAII:
// destruction stops the training and waits for the thread. All methods are called from the owner's thread.
class TrainRunner : public QObject {
    Q_OBJECT
public:
    enum class State { Idle, Running, Paused };
    explicit TrainRunner(QObject* parent = nullptr);
    ~TrainRunner() override;

    void start(const MetaTrainConfig& config); // Idle only
    void pause();                              // Running: paused() follows within one optimizee step
    void resume();                             // Paused only
    void stop();                               // Running or Paused: finished() follows
    State state() const { return m_state; }

signals:
    void snapshot(const l2l::ui::TrainSnapshot& snapshot);
    void bestChanged(const l2l::OptimizerFile& best);
    void paused(const l2l::MetaProgress& progress);
    void finished(const l2l::MetaProgress& progress);
    void failed(const QString& message);

private:
    std::atomic<bool> m_cancel{false}, m_stop{false};
    QThread m_thread;
    TrainWorker* m_worker; // lives in m_thread, deleted there when the thread finishes
    State m_state = State::Idle;
    bool m_stopping = false; // stop() was called; a paused() still in the queue turns into finish()
};

} // namespace l2l::ui
