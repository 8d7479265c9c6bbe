#include "workers/TrainWorker.h"

#include "workers/ThreadPriority.h"

#include <QElapsedTimer>
#include <QMetaType>

#include <cmath>
#include <exception>
#include <mutex>
#include <sstream>

namespace l2l::ui {

void registerTrainMetaTypes()
{
    static std::once_flag once;
    std::call_once(once, [] {
        qRegisterMetaType<l2l::MetaTrainConfig>("l2l::MetaTrainConfig");
        qRegisterMetaType<l2l::MetaProgress>("l2l::MetaProgress");
        qRegisterMetaType<l2l::OptimizerFile>("l2l::OptimizerFile");
        qRegisterMetaType<l2l::ui::TrainSnapshot>("l2l::ui::TrainSnapshot");
    });
}

std::string trainCommand(const MetaTrainConfig& c)
{
    return "l2l train" + settingsCommand(metaTrainSettings(), c, MetaTrainConfig{}) + "  (l2l-studio)";
}

TrainWorker::TrainWorker(std::atomic<bool>* cancel, std::atomic<bool>* stop, QObject* parent)
    : QObject(parent), m_cancel(cancel), m_stop(stop)
{
    registerTrainMetaTypes();
}

void TrainWorker::start(const l2l::MetaTrainConfig& config)
{
    m_trainer.reset();
    m_sent = 0;
    try {
        m_trainer = std::make_unique<MetaTrainer>(config); // validates; loads the problem's data
    } catch (const std::exception& e) { // l2l::Error names the bad field, problem or data file
        emit failed(QString::fromStdString(e.what()));
        return;
    }
    runTrainer();
}

void TrainWorker::resume()
{
    if (m_trainer) runTrainer();
}

void TrainWorker::finish()
{
    if (!m_trainer) return;
    const MetaProgress p = currentProgress();
    emit bestChanged(m_trainer->bestOptimizer(trainCommand(m_trainer->state().config)));
    m_trainer.reset();
    emit finished(p);
}

MetaProgress TrainWorker::currentProgress() const
{
    const MetaTrainState& s = m_trainer->state();
    MetaProgress p;
    p.epoch = s.epoch;
    p.epochs = s.config.epochs;
    if (!s.history.empty()) p.metaLoss = s.history.back().metaLoss;
    p.bestValidation = std::isfinite(s.bestValidation) ? s.bestValidation : NAN;
    p.bestEpoch = s.bestEpoch;
    p.elapsedSeconds = s.elapsedSeconds;
    p.etaSeconds = s.epoch > 0 ? s.elapsedSeconds / s.epoch * (s.config.epochs - s.epoch) : NAN;
    p.skippedUpdates = s.skippedUpdates;
    return p;
}

void TrainWorker::runTrainer()
{
    // The callback runs on this thread after every epoch; receivers live in other threads (queued).
    QElapsedTimer sinceSnapshot;
    int lastBest = m_trainer->state().bestEpoch;
    auto send = [&](const MetaProgress& p) {
        const auto& history = m_trainer->state().history;
        TrainSnapshot s{p, {history.begin() + long(m_sent), history.end()}};
        m_sent = history.size();
        sinceSnapshot.start();
        emit snapshot(s);
    };
    auto progress = [&](const MetaProgress& p) {
        if (p.bestEpoch != lastBest) {
            lastBest = p.bestEpoch;
            emit bestChanged(m_trainer->bestOptimizer(trainCommand(m_trainer->state().config)));
        }
        const bool always = !std::isnan(p.validationLoss) || p.epoch == p.epochs || !sinceSnapshot.isValid();
        if (always || sinceSnapshot.elapsed() >= 1000 / kTrainSnapshotsPerSecond) send(p);
    };
    try {
        m_trainer->run(progress, m_cancel);
    } catch (const std::exception& e) {
        m_trainer.reset();
        emit failed(QString::fromStdString(e.what()));
        return;
    }
    const MetaProgress p = currentProgress();
    if (m_sent < m_trainer->state().history.size() || !sinceSnapshot.isValid()) send(p); // what the throttle held back
    if (m_stop->load() || p.epoch >= p.epochs) {
        finish();
    } else {
        emit bestChanged(m_trainer->bestOptimizer(trainCommand(m_trainer->state().config)));
        emit paused(p);
    }
}

TrainRunner::TrainRunner(QObject* parent) : QObject(parent), m_worker(new TrainWorker(&m_cancel, &m_stop))
{
    m_thread.setObjectName(QStringLiteral("l2l-train"));
    m_worker->moveToThread(&m_thread);
    connect(&m_thread, &QThread::finished, m_worker, &QObject::deleteLater);
    connect(m_worker, &TrainWorker::snapshot, this, &TrainRunner::snapshot, Qt::QueuedConnection);
    connect(m_worker, &TrainWorker::bestChanged, this, &TrainRunner::bestChanged, Qt::QueuedConnection);
    connect(m_worker, &TrainWorker::paused, this, [this](const MetaProgress& p) {
        if (m_stopping) { // Stop came after the worker had decided to pause: end the run now
            QMetaObject::invokeMethod(m_worker, "finish", Qt::QueuedConnection);
            return;
        }
        m_state = State::Paused;
        emit paused(p);
    }, Qt::QueuedConnection);
    connect(m_worker, &TrainWorker::finished, this, [this](const MetaProgress& p) {
        m_state = State::Idle;
        m_stopping = false;
        emit finished(p);
    }, Qt::QueuedConnection);
    connect(m_worker, &TrainWorker::failed, this, [this](const QString& message) {
        m_state = State::Idle;
        m_stopping = false;
        emit failed(message);
    }, Qt::QueuedConnection);
    lowerPriorityOnStart(m_thread);
    m_thread.start();
}

TrainRunner::~TrainRunner()
{
    m_stop.store(true);
    m_cancel.store(true);
    m_thread.quit();
    m_thread.wait();
}

// The flags are reset only here, while the worker is idle (Idle or Paused: it has returned from run),
// before the next run is queued, so that a Stop pressed right after Start is never lost.
void TrainRunner::start(const MetaTrainConfig& config)
{
    if (m_state != State::Idle) return;
    m_cancel.store(false);
    m_stop.store(false);
    m_stopping = false;
    m_state = State::Running;
    QMetaObject::invokeMethod(m_worker, "start", Qt::QueuedConnection, Q_ARG(l2l::MetaTrainConfig, config));
}

void TrainRunner::pause()
{
    if (m_state == State::Running) m_cancel.store(true);
}

void TrainRunner::resume()
{
    if (m_state != State::Paused) return;
    m_cancel.store(false);
    m_state = State::Running;
    QMetaObject::invokeMethod(m_worker, "resume", Qt::QueuedConnection);
}

void TrainRunner::stop()
{
    if (m_state == State::Idle || m_stopping) return;
    m_stopping = true;
    m_stop.store(true);
    m_cancel.store(true);
    if (m_state == State::Paused) QMetaObject::invokeMethod(m_worker, "finish", Qt::QueuedConnection);
}

} // namespace l2l::ui
