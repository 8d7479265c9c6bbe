// `l2l train`: meta-train an LSTM optimizer with a progress bar; Ctrl-C keeps the best so far.
#include "CliCommon.h"
#include "CliRanks.h"

#include "base/AtomicFile.h"
#include "measure/Bench.h"
#include "meta/MetaTrainer.h"

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <condition_variable>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>

namespace l2l::cli {

namespace {

struct TrainOptions {
    MetaTrainConfig config;
    std::string out, checkpoint, resume, init;
    bool quiet = false, rnnprop = false;
    double rankTimeout = 600;
};

// A hidden hook for tests of the failure behaviour over MPI (tests/test_mpi_train.cpp): L2L_TEST_RANK_FAILURE=die:E
// or hang:E makes the last rank kill itself (SIGKILL) or stop responding after epoch E.
void testRankFailure(const Ranks& ranks, int epoch)
{
    const char* spec = std::getenv("L2L_TEST_RANK_FAILURE");
    if (!spec || ranks.size() < 2 || ranks.rank() != ranks.size() - 1) return;
    const std::string s = spec;
    const size_t colon = s.find(':');
    if (colon == std::string::npos || std::atoi(s.c_str() + colon + 1) != epoch) return;
    if (s.compare(0, colon, "die") == 0) std::raise(SIGKILL);
    if (s.compare(0, colon, "hang") == 0)
        for (;;) pause();
}

std::string duration(double seconds)
{
    if (!std::isfinite(seconds)) return "?";
    std::ostringstream s;
    const long t = long(std::lround(seconds));
    if (t >= 3600)
        s << t / 3600 << "h" << std::setw(2) << std::setfill('0') << (t % 3600) / 60 << "m";
    else if (t >= 60)
        s << t / 60 << "m" << std::setw(2) << std::setfill('0') << t % 60 << "s";
    else
        s << std::fixed << std::setprecision(seconds < 10 ? 1 : 0) << seconds << "s";
    return s.str();
}

// The progress bar's text (on a terminal), for EpochTicker to redraw with the epoch under way.
std::string& lastBar()
{
    static std::string bar;
    return bar;
}

void printProgress(const MetaProgress& p, bool tty)
{
    if (!std::isnan(p.validationLoss)) {
        if (tty) std::cerr << "\r\033[K";
        std::cerr << "epoch " << p.epoch << "/" << p.epochs << ": meta-loss " << fmt(p.metaLoss)
                  << (std::isfinite(p.gradientNoise) ? ", meta-gradient noise " + fmt(p.gradientNoise) : std::string())
                  << (std::isfinite(p.imitation) ? ", imitation term " + fmt(p.imitation) : std::string())
                  << (p.stages > 1 ? ", stage " + std::to_string(p.stage + 1) + "/" + std::to_string(p.stages) +
                                         " (horizon " + std::to_string(p.horizon) + ")"
                                   : std::string())
                  << ", validation "
                  << (std::isfinite(p.validationLoss) ? fmt(p.validationLoss) : std::string("diverged"))
                  << (p.bestEpoch == p.epoch ? " (best)" : "") << ", elapsed " << duration(p.elapsedSeconds) << ", ETA "
                  << duration(p.etaSeconds) << "\n";
    }
    if (!tty) {
        // A log (stderr not a terminal) gets a plain line about every 10 s between validations, so a long wait
        // for the next validation still shows progress and the time left.
        using Clock = std::chrono::steady_clock;
        static Clock::time_point last = Clock::now();
        const auto now = Clock::now();
        if (!std::isnan(p.validationLoss) || p.epoch >= p.epochs) {
            last = now;
        } else if (now - last >= std::chrono::seconds(10)) {
            last = now;
            std::cerr << "epoch " << p.epoch << "/" << p.epochs << ": meta-loss " << fmt(p.metaLoss)
                      << (std::isfinite(p.bestValidation) ? ", best validation " + fmt(p.bestValidation)
                                                          : std::string(", no validation yet"))
                      << ", elapsed " << duration(p.elapsedSeconds) << ", ETA " << duration(p.etaSeconds) << "\n";
        }
        return;
    }
    const int width = 30, filled = int(double(width) * p.epoch / p.epochs);
    std::ostringstream bar;
    bar << "[" << std::string(size_t(filled), '#') << std::string(size_t(width - filled), ' ') << "] " << p.epoch << "/"
        << p.epochs << "  meta-loss " << fmt(p.metaLoss) << "  best " << fmt(p.bestValidation) << "  ETA "
        << duration(p.etaSeconds);
    lastBar() = bar.str();
    std::cerr << "\r" << lastBar() << "\033[K" << std::flush;
}

// While an epoch lasts (MNIST with a meta-batch of 1000 takes minutes; nothing moved until it ended), how far it has
// got, from the trainer's EpochWork: on a terminal after the bar every second, in a log a line every 30 s. It and the
// epoch callback print under one mutex.
class EpochTicker {
public:
    EpochTicker(const EpochWork& work, int epoch, bool tty) : m_work(work), m_epoch(epoch), m_tty(tty)
    {
        m_thread = std::thread([this] { loop(); });
    }
    ~EpochTicker()
    {
        {
            const std::lock_guard<std::mutex> lock(m_mutex);
            m_stop = true;
        }
        m_wake.notify_all();
        m_thread.join();
    }
    EpochTicker(const EpochTicker&) = delete;
    EpochTicker& operator=(const EpochTicker&) = delete;
    std::mutex& mutex() { return m_mutex; }
    void epochEnded(int epoch) // under mutex()
    {
        m_epoch = epoch + 1;
        m_since = Clock::now();
    }

private:
    using Clock = std::chrono::steady_clock;
    void loop()
    {
        // L2L_TEST_EPOCH_TICK=1 (tests/test_cli.cpp): from the epoch's start, every 0.1 s, so that a short epoch on a
        // fast machine still shows it.
        const bool test = std::getenv("L2L_TEST_EPOCH_TICK") != nullptr;
        const auto every = test ? std::chrono::milliseconds(100) : std::chrono::milliseconds(1000);
        const auto after = test ? std::chrono::milliseconds(0) : std::chrono::milliseconds(2000);
        std::unique_lock<std::mutex> lock(m_mutex);
        Clock::time_point lastLine = Clock::now();
        while (!m_stop) {
            m_wake.wait_for(lock, every);
            const auto now = Clock::now();
            if (m_stop || now - m_since < after) continue;
            const int percent = int(100 * m_work.fraction());
            if (m_tty) {
                std::cerr << "\r" << lastBar() << (lastBar().empty() ? "" : "  ") << "epoch " << m_epoch << ": "
                          << percent << " % done\033[K" << std::flush;
            } else if (now - lastLine >= std::chrono::seconds(30)) {
                lastLine = now;
                std::cerr << "epoch " << m_epoch << " under way: " << percent << " % done\n";
            }
        }
    }

    const EpochWork& m_work;
    int m_epoch;
    const bool m_tty;
    Clock::time_point m_since = Clock::now();
    bool m_stop = false;
    std::mutex m_mutex;
    std::condition_variable m_wake;
    std::thread m_thread;
};

} // namespace

void addTrainCommand(CLI::App& app)
{
    auto o = std::make_shared<TrainOptions>();
    auto* cmd =
        app.add_subcommand("train", "Meta-train an LSTM optimizer on a problem class (truncated BPTT, Adam on phi).");
    cmd->add_option("--out", o->out, "optimizer file to write (the best by validation)")->required();
    // Every training setting comes from its table (optimizers/MetaTrainConfig.cpp).
    auto readSettings = addSettingOptions(cmd, metaTrainSettings(), MetaTrainConfig{},
                                          {{"problem", "-p"}, {"epochs", "-e"}, {"seed", "-s"}});
    cmd->add_option("--checkpoint", o->checkpoint, "training state file (default: OUT with .checkpoint.json)");
    cmd->add_option("--resume", o->resume,
                    "continue from a checkpoint (its settings win; --epochs may extend it, which stretches a cosine "
                    "schedule to the new end; --threads may change it)");
    cmd->add_option("--init", o->init,
                    "start from the weights of this optimizer file (fine-tuning); its architecture wins; they are "
                    "validated before the first epoch and kept (best epoch 0) unless an epoch validates lower");
    cmd->add_flag("--quiet,-q", o->quiet, "no progress output");
    numberIn(cmd->add_option(
                 "--rank-timeout", o->rankTimeout,
                 "under mpirun: end the job, naming the rank, when a rank has not reached a meta-update this many "
                 "seconds after another did (0 = wait forever)"),
             0.0, 1e7)
        ->capture_default_str();
    cmd->add_flag(
        "--rnnprop", o->rnnprop,
        "the RNNprop architecture (Lv et al. 2017): --preprocess rnnprop --input-layer 20 --output-activation "
        "tanh (each may still be given)");
    cmd->callback([o, cmd, readSettings] {
        readSettings(o->config);
        if (o->rnnprop) {
            LstmArch& a = o->config.arch;
            if (!cmd->count("--preprocess")) a.preprocess = Preprocess::Rnnprop;
            if (!cmd->count("--input-layer")) a.inputLayer = 20;
            if (!cmd->count("--output-activation")) a.output = OutputActivation::Tanh;
            o->config.validate();
        }
        std::unique_ptr<MetaTrainer> trainer;
        if (!o->resume.empty()) {
            MetaTrainState s = loadCheckpoint(o->resume);
            if (cmd->count("--epochs")) {
                if (o->config.epochs <= s.epoch)
                    throw Error("--epochs " + std::to_string(o->config.epochs) + ": the checkpoint '" + o->resume +
                                "' has done " + std::to_string(s.epoch) +
                                " epochs already; give more to extend the training (nothing was written)");
                s.config.epochs = o->config.epochs;
            } else if (s.epoch >= s.config.epochs) {
                throw Error("the checkpoint '" + o->resume + "' has done all its " + std::to_string(s.config.epochs) +
                            " epochs; give --epochs with more to extend the training (nothing was written)");
            }
            if (cmd->count("--threads")) s.config.threads = o->config.threads; // results do not depend on it
            trainer = std::make_unique<MetaTrainer>(std::move(s));
        } else if (!o->init.empty()) {
            const OptimizerFile start = loadOptimizer(o->init);
            trainer = std::make_unique<MetaTrainer>(o->config, start.net);
            trainer->setAncestors(lineageFrom(start, optimizerFileDigest(o->init)));
        } else {
            trainer = std::make_unique<MetaTrainer>(o->config);
        }
        trainer->recordCommand(commandLine()); // with the ones a resumed checkpoint holds: the provenance's lineage
        const std::string checkpoint = o->checkpoint.empty() ? o->out + ".checkpoint.json" : o->checkpoint;
        checkOutputPath(o->out, "--out");
        checkOutputPath(checkpoint, "--checkpoint");
        checkDistinctOutputs({{o->out, "--out"}, {checkpoint, "--checkpoint"}});
        // Under mpirun: this process runs its share of every meta-batch; rank 0 alone prints and writes files.
        Ranks ranks(o->rankTimeout);
        trainer->setExchange(&ranks.exchange());
        const bool writer = ranks.rank() == 0;
        if (!writer) o->quiet = true;
        if (ranks.size() > 1) // mpirun forwards SIGUSR1: every rank stops at the same meta-update, keeping the work
            std::signal(SIGUSR1, [](int) { interrupted() = true; });
        const bool tty = isatty(STDERR_FILENO) && !o->quiet;
        const MetaTrainConfig& cfg = trainer->state().config;
        const int nets = trainer->state().net.nets;
        if (!o->quiet && ranks.size() > 1)
            std::cerr << "l2l: " << ranks.size() << " MPI ranks share each meta-batch of " << cfg.metaBatch << " ("
                      << shareOf(cfg.metaBatch, ranks.size() - 1, ranks.size()).size()
                      << (cfg.metaBatch % ranks.size() ? " or " + std::to_string(cfg.metaBatch / ranks.size()) : "")
                      << " optimizees per rank)\n";
        if (!o->quiet)
            std::cerr << "l2l: training " << (nets > 1 ? std::to_string(nets) + " (one per parameter group) " : "a ")
                      << cfg.arch.layers << "x" << cfg.arch.hidden << " LSTM" << (nets > 1 ? "s" : "") << " ("
                      << nets * cfg.arch.paramCount() << " weights) on " << cfg.problem << ": epochs "
                      << trainer->state().epoch << " -> " << cfg.epochs << ", horizon " << cfg.horizon << ", unroll "
                      << cfg.unroll << (cfg.secondDerivatives ? ", second derivatives" : "")
                      << (cfg.metaLoss != MetaLoss::Sum ? ", meta-loss " + metaLossName(cfg.metaLoss) : std::string())
                      << (cfg.lrSchedule != LrSchedule::Constant ? ", lr schedule " + lrScheduleName(cfg.lrSchedule)
                                                                 : std::string())
                      << (cfg.clipNorm > 0 ? ", clip " + fmt(cfg.clipNorm) : std::string()) << "\n";
        int lastBest = trainer->state().bestEpoch;
        OptimizerFile best;
        EpochWork work;
        trainer->setEpochWork(&work);
        std::optional<EpochTicker> ticker;
        if (!o->quiet) ticker.emplace(work, trainer->state().epoch + 1, tty);
        try {
            trainer->run(
                [&](const MetaProgress& p) {
                    if (ticker) {
                        const std::lock_guard<std::mutex> lock(ticker->mutex());
                        printProgress(p, tty);
                        ticker->epochEnded(p.epoch);
                    }
                    if (writer && (p.epoch % trainer->state().config.validateEvery == 0 || p.epoch == p.epochs))
                        saveCheckpoint(checkpoint, trainer->state());
                    if (writer && p.bestEpoch != lastBest) { // keep the best on disk as soon as it exists
                        saveOptimizer(o->out, trainer->bestOptimizer(commandLine()));
                        lastBest = p.bestEpoch;
                    }
                    testRankFailure(ranks, p.epoch);
                },
                &interrupted());
            ticker.reset();
            if (tty) std::cerr << "\n";
            best = trainer->bestOptimizer(commandLine());
            if (writer) saveCheckpoint(checkpoint, trainer->state());
        } catch (const std::exception& e) {
            // One rank's error (a full disk on rank 0, memory on another) must end them all, not leave them waiting.
            if (ranks.size() > 1) ranks.abort(std::string("error: ") + e.what());
            throw;
        }
        if (!writer) return;
        // Only a validated optimizer goes to --out: before the first validation (a Ctrl-C) or when every
        // validation diverged there is none, and a good file already at --out must not be replaced by it.
        if (trainer->state().bestEpoch < 0) {
            const std::string kept = std::filesystem::exists(o->out) ? "'" + o->out + "' is left as it was"
                                                                     : "'" + o->out + "' is not written";
            if (interrupted())
                throw Error("interrupted after " + countOf(trainer->state().epoch, "epoch") +
                            ", before any validation: no optimizer to keep (" + kept + "); the checkpoint '" +
                            checkpoint + "' resumes it (--resume)");
            throw Error("no validation was finite (every validation run diverged): no optimizer to keep (" + kept +
                        "); the checkpoint '" + checkpoint + "' has the state");
        }
        saveOptimizer(o->out, best);
        std::cout << (interrupted() ? "interrupted after " : "trained ") << countOf(trainer->state().epoch, "epoch")
                  << " in " << duration(trainer->state().elapsedSeconds) << "; best validation "
                  << fmt(best.provenance.validationLoss) << " at epoch " << best.provenance.bestEpoch
                  << "; peak memory " << int(peakMemoryMiB()) << " MiB"
                  << (cfg.clipNorm > 0
                          ? "; " + std::to_string(trainer->state().clippedUpdates) + " meta-updates clipped"
                          : std::string())
                  << (trainer->state().skippedUpdates > 0
                          ? "; " + std::to_string(trainer->state().skippedUpdates) + " skipped (not finite)"
                          : std::string())
                  << "\n"
                  << "wrote " << o->out << " and checkpoint " << checkpoint << "\n";
    });
}

} // namespace l2l::cli
