// `l2l train`: meta-train an LSTM optimizer with a progress bar; Ctrl-C keeps the best so far.
#include "CliCommon.h"

#include "base/AtomicFile.h"
#include "measure/Bench.h"
#include "meta/MetaTrainer.h"

#include <unistd.h>

#include <cmath>
#include <iomanip>
#include <iostream>
#include <sstream>

namespace l2l::cli {

namespace {

struct TrainOptions {
    MetaTrainConfig config;
    std::string out, checkpoint, resume, init;
    bool quiet = false, rnnprop = false;
};

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

void printProgress(const MetaProgress& p, bool tty)
{
    if (!std::isnan(p.validationLoss)) {
        if (tty) std::cerr << "\r\033[K";
        std::cerr << "epoch " << p.epoch << "/" << p.epochs << ": meta-loss " << fmt(p.metaLoss)
                  << (std::isfinite(p.gradientNoise) ? ", meta-gradient noise " + fmt(p.gradientNoise) : std::string())
                  << (p.stages > 1 ? ", stage " + std::to_string(p.stage + 1) + "/" + std::to_string(p.stages) +
                                         " (horizon " + std::to_string(p.horizon) + ")"
                                   : std::string())
                  << ", validation "
                  << (std::isfinite(p.validationLoss) ? fmt(p.validationLoss) : std::string("diverged"))
                  << (p.bestEpoch == p.epoch ? " (best)" : "") << ", elapsed " << duration(p.elapsedSeconds) << ", ETA "
                  << duration(p.etaSeconds) << "\n";
    }
    if (!tty) return;
    const int width = 30, filled = int(double(width) * p.epoch / p.epochs);
    std::cerr << "\r[" << std::string(size_t(filled), '#') << std::string(size_t(width - filled), ' ') << "] "
              << p.epoch << "/" << p.epochs << "  meta-loss " << fmt(p.metaLoss) << "  best " << fmt(p.bestValidation)
              << "  ETA " << duration(p.etaSeconds) << "\033[K" << std::flush;
}

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
                    "start from the weights of this optimizer file (fine-tuning); its architecture wins");
    cmd->add_flag("--quiet,-q", o->quiet, "no progress output");
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
            if (cmd->count("--epochs")) s.config.epochs = o->config.epochs;
            if (cmd->count("--threads")) s.config.threads = o->config.threads; // results do not depend on it
            trainer = std::make_unique<MetaTrainer>(std::move(s));
        } else if (!o->init.empty()) {
            trainer = std::make_unique<MetaTrainer>(o->config, loadOptimizer(o->init).net);
        } else {
            trainer = std::make_unique<MetaTrainer>(o->config);
        }
        const std::string checkpoint = o->checkpoint.empty() ? o->out + ".checkpoint.json" : o->checkpoint;
        checkOutputPath(o->out, "--out");
        checkOutputPath(checkpoint, "--checkpoint");
        const bool tty = isatty(STDERR_FILENO) && !o->quiet;
        const MetaTrainConfig& cfg = trainer->state().config;
        const int nets = trainer->state().net.nets;
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
        trainer->run(
            [&](const MetaProgress& p) {
                if (!o->quiet) printProgress(p, tty);
                if (p.epoch % trainer->state().config.validateEvery == 0 || p.epoch == p.epochs)
                    saveCheckpoint(checkpoint, trainer->state());
                if (p.bestEpoch != lastBest) { // keep the best on disk as soon as it exists
                    saveOptimizer(o->out, trainer->bestOptimizer(commandLine()));
                    lastBest = p.bestEpoch;
                }
            },
            &interrupted());
        if (tty) std::cerr << "\n";
        saveCheckpoint(checkpoint, trainer->state());
        const OptimizerFile best = trainer->bestOptimizer(commandLine());
        saveOptimizer(o->out, best);
        std::cout << (interrupted() ? "interrupted at epoch " : "trained ") << trainer->state().epoch << " epochs in "
                  << duration(trainer->state().elapsedSeconds) << "; best validation "
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
