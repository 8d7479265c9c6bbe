#include "workers/TrainJob.h"

#include <cmath>

namespace l2l::ui {

std::string trainCommand(const MetaTrainConfig& c)
{
    return "l2l train" + settingsCommand(metaTrainSettings(), c, MetaTrainConfig{}) + "  (l2l-studio)";
}

std::string lastCommand(const MetaTrainState& state)
{
    return state.commands.empty() ? trainCommand(state.config) : state.commands.back();
}

MetaProgress progressOf(const MetaTrainState& s)
{
    MetaProgress p;
    p.epoch = s.epoch;
    p.epochs = s.config.epochs;
    if (!s.history.empty()) {
        p.metaLoss = s.history.back().metaLoss;
        p.gradientNoise = s.history.back().gradientNoise;
        p.imitation = s.history.back().imitation;
    }
    p.bestValidation = std::isfinite(s.bestValidation) ? s.bestValidation : NAN;
    p.bestEpoch = s.bestEpoch;
    p.elapsedSeconds = s.elapsedSeconds;
    p.etaSeconds = s.epoch > 0 ? s.elapsedSeconds / s.epoch * (s.config.epochs - s.epoch) : NAN;
    p.skippedUpdates = s.skippedUpdates;
    return p;
}

TrainSession::TrainSession(QObject* parent)
    : QObject(parent), m_runner(new Runner(QStringLiteral("l2l-train"), this)), m_trainer(std::make_shared<Trainer>())
{
    connect(m_runner, &Runner::snapshot, this, [this](const QVariant& v) {
        const auto s = v.value<TrainSnapshot>();
        if (s.best) {
            m_best = s.best;
            emit bestChanged(*s.best);
        }
        emit snapshot(s);
    });
    connect(m_runner, &Runner::finished, this, [this](const QVariant& v, bool) {
        const auto s = v.value<TrainSnapshot>(); // the job has returned: the trainer is ours until the next one
        if (s.best) m_best = s.best;
        if (m_stopping || s.progress.epoch >= s.progress.epochs) {
            end(s.progress);
            return;
        }
        m_state = State::Paused;
        if (m_best) emit bestChanged(*m_best);
        emit paused(s.progress);
    });
    connect(m_runner, &Runner::logLine, this, &TrainSession::logLine);
    connect(m_runner, &Runner::failed, this, [this](const QString& message) {
        m_trainer->trainer.reset();
        m_state = State::Idle;
        m_stopping = false;
        emit failed(message);
    });
}

void TrainSession::start(const MetaTrainConfig& config, std::optional<LstmNet<float>> initial,
                         std::vector<Ancestor> ancestors)
{
    if (m_state != State::Idle) return;
    m_stopping = false;
    m_best.reset();
    m_kept.reset();
    m_state = State::Running;
    runJob([config, initial = std::move(initial), ancestors = std::move(ancestors)] {
        auto t = initial ? std::make_unique<MetaTrainer>(config, *initial) : std::make_unique<MetaTrainer>(config);
        t->setAncestors(ancestors);
        t->recordCommand(trainCommand(config));
        return t;
    });
}

bool TrainSession::continueRun(int epochs, QString* error)
{
    auto fail = [&](const QString& message) {
        if (error) *error = message;
        return false;
    };
    if (m_state != State::Idle) return fail(tr("meta-training is under way: Resume or Stop it first"));
    if (!m_kept) return fail(tr("no run to continue: start one, or open a checkpoint"));
    if (epochs <= m_kept->epoch)
        return fail(tr("Epochs %1: the run to continue has done %2 epochs already; set Epochs to more to go on")
                        .arg(epochs)
                        .arg(m_kept->epoch));
    // A copy: m_kept stays what Continue goes on from if this run fails to start (its data gone, say); end()
    // replaces it with the state the run reached.
    MetaTrainState state = *m_kept;
    state.config.epochs = epochs; // as `l2l train --resume --epochs` (a cosine schedule is stretched to them)
    m_stopping = false;
    m_best.reset();
    if (state.bestEpoch >= 0) m_best = bestOptimizerOf(state, lastCommand(state));
    m_state = State::Running;
    runJob([state = std::move(state)] {
        auto t = std::make_unique<MetaTrainer>(state);
        t->recordCommand("l2l-studio: Continue from epoch " + std::to_string(state.epoch) + " to " +
                         std::to_string(state.config.epochs));
        return t;
    });
    return true;
}

const MetaTrainState* TrainSession::currentState() const
{
    if (m_state == State::Paused && m_trainer->trainer) return &m_trainer->trainer->state();
    return m_state == State::Idle && m_kept ? &*m_kept : nullptr;
}

void TrainSession::keep(MetaTrainState state)
{
    if (m_state == State::Idle) m_kept = std::move(state);
}

void TrainSession::setWatch(std::optional<TrajectoryConfig> function, int every)
{
    m_watch = std::move(function);
    m_watchEvery = std::max(1, every);
}

void TrainSession::pause()
{
    if (m_state == State::Running) m_runner->abort();
}

void TrainSession::resume()
{
    if (m_state != State::Paused) return;
    m_state = State::Running;
    runJob(nullptr);
}

void TrainSession::stop()
{
    if (m_state == State::Idle || m_stopping) return;
    m_stopping = true;
    if (m_state == State::Running) {
        m_runner->abort(); // finished() follows and ends the run
        return;
    }
    end(progressOf(m_trainer->trainer->state())); // paused: no job runs
}

void TrainSession::end(const MetaProgress& progress)
{
    if (m_best) emit bestChanged(*m_best);
    if (m_trainer->trainer) m_kept = m_trainer->trainer->state(); // a copy: the trainer's caches are freed
    m_trainer->trainer.reset();
    m_state = State::Idle;
    m_stopping = false;
    emit finished(progress);
}

// Builds the trainer (make given: a new, fine-tuned or continued run; it validates and loads the problem's data, on
// the runner's thread) or continues the paused one, and runs it until done or aborted.
void TrainSession::runJob(Make make)
{
    auto t = m_trainer;
    m_runner->request([t, make = std::move(make), watch = m_watch, every = m_watchEvery,
                       checkpoint = m_checkpointPath.toStdString()](Runner::Control& control) {
        if (make) {
            t->trainer = make();
            t->sent = t->trainer->state().history.size(); // a continued run's history is drawn already
        }
        MetaTrainer& trainer = *t->trainer;
        trainer.setEpochWork(&t->work);
        // The provenance's command: the one recorded for this invocation (a start's settings, or a Continue).
        const auto command = [&] { return lastCommand(trainer.state()); };
        bool checkpointFailed = false; // said once
        auto writeCheckpoint = [&] {
            if (checkpoint.empty()) return;
            try {
                saveCheckpoint(checkpoint, trainer.state());
            } catch (const std::exception& e) {
                if (!checkpointFailed)
                    control.log(QString::fromStdString(std::string("the checkpoint is not written: ") + e.what()));
                checkpointFailed = true;
            }
        };
        int lastBest = trainer.state().bestEpoch;
        auto take = [&](const MetaProgress& p) {
            const auto& history = trainer.state().history;
            TrainSnapshot s{p, {history.begin() + long(t->sent), history.end()}, std::nullopt, {}, {}};
            t->sent = history.size();
            return s;
        };
        bool sentAny = false;
        // The watched paths not sent yet (sent with the next snapshot, which they make due).
        std::vector<TrajectoryPath> paths;
        std::vector<int> pathEpochs;
        bool watching = watch.has_value();
        auto watchAt = [&](int epoch) {
            try {
                paths.push_back(learnedPath(*watch, trainer.state().net, "lstm, epoch " + std::to_string(epoch),
                                            control.abortFlag()));
                pathEpochs.push_back(epoch);
            } catch (const Error& e) { // a function the paths cannot be drawn on: train without watching
                watching = false;
                control.log(QString::fromStdString(std::string("not watching the path: ") + e.what()));
            }
        };
        auto attachPaths = [&](TrainSnapshot& s) {
            s.paths = std::move(paths);
            s.pathEpochs = std::move(pathEpochs);
            paths.clear();
            pathEpochs.clear();
        };
        if (watching && make && trainer.state().epoch == 0) watchAt(0); // a new run's untrained path
        trainer.run(
            [&](const MetaProgress& p) {
                if (!std::isnan(p.validationLoss)) writeCheckpoint();
                if (watching && (p.epoch % every == 0 || p.epoch == p.epochs)) watchAt(p.epoch);
                const bool bestChanged = p.bestEpoch != lastBest;
                const bool always =
                    !std::isnan(p.validationLoss) || p.epoch == p.epochs || !sentAny || bestChanged || !paths.empty();
                if (!always && !control.snapshotDue()) return;
                TrainSnapshot s = take(p);
                attachPaths(s);
                if (bestChanged) {
                    lastBest = p.bestEpoch;
                    s.best = trainer.bestOptimizer(command());
                }
                control.send(QVariant::fromValue(s), always);
                sentAny = true;
            },
            control.abortFlag());
        writeCheckpoint(); // where it stopped, paused or ended (an epoch cut short is rolled back)
        TrainSnapshot last = take(progressOf(trainer.state())); // with what the throttle held back
        attachPaths(last);
        if (!last.newPoints.empty() || !last.paths.empty() || !sentAny) control.send(QVariant::fromValue(last), true);
        last.newPoints.clear();
        last.paths.clear();
        last.pathEpochs.clear();
        // Only validated weights, as `l2l train` writes to --out: a stop before the first validation leaves nothing to
        // save (a stop inside the first epoch offered the random initial weights as "epochs": 0).
        if (trainer.state().bestEpoch >= 0) last.best = trainer.bestOptimizer(command());
        return QVariant::fromValue(last);
    });
}

} // namespace l2l::ui
