// `l2l eval` and `l2l tune`.
#include "CliCommon.h"

#include "base/AtomicFile.h"
#include "base/Stats.h"
#include "eval/Resolve.h"
#include "io/EvalCsv.h"
#include "io/ExperimentFile.h"
#include "problems/Problem.h"

#include <unistd.h>

#include <QSize>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iomanip>
#include <iostream>
#include <memory>

namespace l2l::cli {

namespace {

struct EvalOptions {
    EvalConfig config;
    std::string optimizers = "sgd,nag,rmsprop,adam";
    std::string csv, json, plot, cache, markdown, experiment, plotSize = "800x500";
    double plotScale = 1;
    bool noCache = false, quiet = false;
    std::function<std::vector<std::string>(EvalConfig&)> readSettings; // the table's flags (eval/EvalConfig.cpp)
    CLI::App* cmd = nullptr;
};

// "1200x700" -> 1200 x 700 pixels, each in [200, 8000].
QSize parsePlotSize(const std::string& text)
{
    int w = 0, h = 0;
    char x = 0, rest = 0;
    if (std::sscanf(text.c_str(), "%d%c%d%c", &w, &x, &h, &rest) != 3 || x != 'x' || w < 200 || w > 8000 || h < 200 ||
        h > 8000)
        throw Error("--plot-size '" + excerpt(text, 40) +
                    "' must be WIDTHxHEIGHT in pixels, each in [200, 8000] (e.g. 1200x700)");
    return {w, h};
}

// The settings flags come from the table (eval/EvalConfig.cpp); `except`: settings the command does not take.
void addCommonOptions(CLI::App* cmd, EvalOptions& o, const std::vector<std::string>& except)
{
    o.readSettings = addSettingOptions(cmd, evalSettings(), EvalConfig{},
                                       {{"problem", "-p"}, {"steps", "-t"}, {"runs", "-n"}, {"seed", "-s"}}, except);
    cmd->add_option("--optimizers,-o", o.optimizers,
                    "comma-separated optimizer specs; lr omitted = tuned (e.g. sgd,adam:lr=0.01)")
        ->capture_default_str();
    cmd->add_option("--cache", o.cache, "tuned-rate cache file (default: " + defaultCachePath() + ")");
    cmd->add_flag("--no-cache", o.noCache, "ignore and do not update the tuned-rate cache");
    cmd->add_flag("--quiet,-q", o.quiet, "no progress on stderr");
}

void prepare(EvalOptions& o)
{
    o.config.optimizers = splitOptimizerList(o.optimizers);
    // The same optimizer twice would be compared with itself (same runs, same numbers): on the command line a slip.
    std::vector<std::string> seen;
    for (const auto& spec : o.config.optimizers) {
        std::string canonical;
        try {
            canonical = UpdateRuleConfig::parse(spec).canonical(true);
        } catch (const Error&) {
            continue; // refused where it is resolved, with its own message
        }
        if (std::find(seen.begin(), seen.end(), canonical) != seen.end())
            throw Error("optimizers: '" + spec + "' is given twice (the same optimizer and settings)");
        seen.push_back(canonical);
    }
    o.config.cachePath = o.cache;
    o.config.useCache = !o.noCache;
    o.config.validate();
}

EvalCallbacks progress(const EvalOptions& o)
{
    EvalCallbacks cb;
    if (o.quiet) return cb;
    cb.log = [](const std::string& line) { std::cerr << "l2l: " << line << "\n"; };
    cb.onTune = tuneProgressPrinter();
    if (isatty(STDERR_FILENO)) {
        const int steps = o.config.steps;
        cb.onStep = [steps](const EvalResult& r, int step) {
            if (step % std::max(1, steps / 50) != 0 && step != steps) return;
            std::cerr << "\r  ";
            if (r.waves > 1) std::cerr << "wave " << r.wave + 1 << "/" << r.waves << ", "; // each from step 0
            std::cerr << "step " << step << "/" << steps << (step == steps && r.wave + 1 == r.waves ? "\n" : "")
                      << std::flush;
        };
    }
    return cb;
}

// Paired comparison of every optimizer with the best (bestByFinalMean: fewest diverged runs, then lowest mean).
void printPaired(const EvalResult& r)
{
    const OptimizerResult* best = bestByFinalMean(r);
    if (!best || r.optimizers.size() < 2 || r.config.runs < 2) return;
    // When some diverged, a lower mean over the runs that finished may sit in another row: say why it is not the best.
    const bool anyDiverged = std::any_of(r.optimizers.begin(), r.optimizers.end(),
                                         [](const OptimizerResult& o) { return o.divergedRuns > 0; });
    std::cout << "\npaired with the best, " << best->displayName()
              << (anyDiverged ? " (the lowest mean of those that diverged in the fewest runs, " +
                                    std::to_string(best->divergedRuns) + ")"
                              : std::string(" (the lowest mean)"))
              << " (same runs; final loss):\n";
    for (const auto& o : r.optimizers) {
        if (&o == best) continue;
        const PairedComparison c = o.vsBest.value_or(PairedComparison{});
        if (c.pairs < 2) {
            std::cout << "  " << o.displayName() << ": fewer than 2 runs where both finished, no paired comparison\n";
            continue;
        }
        std::cout << "  " << best->displayName() << " lower than " << o.displayName() << " in "
                  << c.winFraction * c.pairs << "/" << c.pairs << " runs (" << fmt(100 * c.winFraction, 3) << "%)";
        if (c.pairs < r.config.runs) // the runs where either diverged are not in the pairs: say whose
            std::cout << " where both finished (" << o.displayName() << " diverged in " << o.divergedRuns << " of "
                      << r.config.runs << ", " << best->displayName() << " in " << best->divergedRuns << ")";
        std::cout << ", mean difference " << fmt(c.meanDiff);
        if (std::isnan(c.t))
            std::cout << ", the same in every run (no spread: no t-test)\n";
        else
            std::cout << ", paired t = " << fmt(c.t, 3) << ", p = " << fmt(c.p, 2) << "\n";
    }
}

void printTable(const EvalResult& r)
{
    std::cout << "problem " << r.config.problem << "  (" << r.canonicalProblem << ")\n"
              << "runs " << r.config.runs << ", steps " << r.completedSteps << (r.cancelled ? " (interrupted)" : "")
              << ", seed " << r.config.seed
              << "; same instances, initial points and minibatches for every optimizer\n\n";
    size_t width = 10;
    for (const auto& o : r.optimizers) width = std::max(width, o.displayName().size() + 2);
    std::cout << std::left << std::setw(int(width)) << "optimizer" << std::setw(11) << "lr" << std::setw(8) << "rate"
              << std::setw(12) << "final mean" << std::setw(12) << "final std" << std::setw(12) << "median"
              << std::setw(10) << "diverged";
    const bool testColumns = r.hasTestSplit && r.config.testMetrics; // not with --no-test
    if (testColumns)
        std::cout << std::setw(11) << "test loss"
                  << "test acc";
    std::cout << "\n";
    for (const auto& o : r.optimizers) {
        const bool allDiverged = o.divergedRuns == int(o.curves.loss.size());
        std::cout << std::left << std::setw(int(width)) << o.displayName() << std::setw(11) << fmt(o.config.lr, 3)
                  << std::setw(8)
                  << (o.config.learned() ? "learned"
                      : o.tunedRate      ? "tuned"
                                         : "given");
        if (allDiverged)
            std::cout << std::setw(36) << "diverged in every run";
        else
            std::cout << std::setw(12) << fmt(o.finalMean) << std::setw(12) << fmt(o.finalStd) << std::setw(12)
                      << fmtMedian(o.finalMedian);
        std::cout << std::setw(10) << (std::to_string(o.divergedRuns) + "/" + std::to_string(o.curves.loss.size()));
        if (testColumns)
            std::cout << std::setw(11) << fmt(o.testLossMean.value_or(NAN))
                      << (o.testAccuracyMean ? fmt(100 * *o.testAccuracyMean, 4) + "%" : "-");
        std::cout << "\n";
    }
    printPaired(r);
    bool anyTuned = false;
    for (const auto& o : r.optimizers) anyTuned = anyTuned || o.tunedRate;
    if (anyTuned)
        std::cout << "\ntuned: best mean final loss over " << r.config.tune.runs << " tuning instances (seed "
                  << r.config.tune.seed << "), rates " << r.config.tune.minRate << ".." << r.config.tune.maxRate << ", "
                  << r.config.tune.perDecade << " per decade\n";
    for (const auto& o : r.optimizers)
        if (o.config.learned()) std::cout << o.displayName() << ": " << o.config.path << ", " << o.provenance << "\n";
    for (const auto& o : r.optimizers)
        if (o.divergedRuns > 0)
            std::cout << "note: " << o.displayName() << " diverged (loss overflowed) in " << o.divergedRuns
                      << (o.divergedRuns == int(o.curves.loss.size())
                              ? " run(s): every run, so it has no statistics\n"
                              : " run(s); the mean and std are over the remaining runs, the median counts the "
                                "diverged runs as the worst\n");
}

} // namespace

void addEvalCommand(CLI::App& app)
{
    auto o = std::make_shared<EvalOptions>();
    auto* cmd =
        app.add_subcommand("eval", "Compare optimizers on the same sampled instances (paired), with tuned rates.");
    addCommonOptions(cmd, *o, {});
    o->cmd = cmd;
    cmd->add_option("--csv", o->csv, "write per-step mean/std/median to FILE (- for stdout)");
    cmd->add_option("--json", o->json,
                    "write the results as JSON to FILE (- for stdout): per optimizer the per-step mean, std and "
                    "median, its pairs with every other optimizer, and per_run: every run's final loss (null where "
                    "it diverged), the step it diverged at, and with a test split its test loss and accuracy");
    cmd->add_option("--plot", o->plot, "write a log-scale loss plot to FILE.png or FILE.pdf");
    cmd->add_option("--plot-size", o->plotSize,
                    "the plot's layout, WIDTHxHEIGHT in pixels, each in [200, 8000] (default 800x500)");
    cmd->add_option("--plot-scale", o->plotScale,
                    "pixels of the PNG per layout pixel, in [1, 4] (default 1; 2 for print: 1600x1000 at the default "
                    "size); a PDF is vector");
    cmd->add_option("--markdown", o->markdown, "write the results table as Markdown to FILE (- for stdout)");
    cmd->add_flag(
        "--no-test", [o](std::int64_t) { o->config.testMetrics = false; }, "skip the test-split metrics");
    cmd->add_option("--experiment", o->experiment,
                    "take problem, optimizers, runs, steps and seed from an experiment file saved by the studio");
    cmd->callback([o] {
        const std::vector<std::string> given = o->readSettings(o->config);
        const bool testEveryGiven = settingListed(given, "test_every"); // wins over an experiment file's
        if (!o->experiment.empty()) { // the file sets problem, optimizers, runs, steps and seed
            std::vector<std::string> clash;
            for (const char* key : {"problem", "runs", "steps", "seed"})
                if (settingListed(given, key)) clash.push_back("--" + std::string(key));
            if (o->cmd->count("--optimizers")) clash.push_back("--optimizers");
            if (!clash.empty())
                throw Error(joinNames(clash) + (clash.size() > 1 ? " are" : " is") + " set by the experiment file '" +
                            o->experiment + "': edit the file (or leave out --experiment) instead");
            const EvalConfig e = [&] {
                try {
                    return loadExperiment(o->experiment).evalConfig();
                } catch (const Error& error) { // a fault found after reading ("no optimizer is enabled") names it too
                    const std::string what = error.what();
                    if (what.find("'" + o->experiment + "'") != std::string::npos) throw;
                    throw Error("experiment file '" + o->experiment + "': " + what);
                }
            }();
            o->config.problem = e.problem;
            o->config.runs = e.runs;
            o->config.steps = e.steps;
            o->config.seed = e.seed;
            if (!testEveryGiven) o->config.testEvery = e.testEvery;
            o->optimizers = joinNames(e.optimizers, ",");
        }
        prepare(*o);
        if (!o->experiment.empty()) { // exactly the file's specs (a file name may contain commas)
            o->config.optimizers = loadExperiment(o->experiment).evalConfig().optimizers;
            o->config.validate();
            // The file's problem and learned optimizers are checked here, so that a fault names the file.
            try {
                const auto cls = makeProblemClass<float>(o->config.problem);
                for (const auto& spec : o->config.optimizers)
                    if (const UpdateRuleConfig rule = UpdateRuleConfig::parse(spec); rule.learned())
                        (void)makeRuleFactory(rule, o->config.problem);
            } catch (const Error& e) {
                throw Error("experiment file '" + o->experiment + "': " + e.what());
            }
        }
        if (!o->plot.empty()) checkPlotPath(o->plot);
        const QSize plotSize = parsePlotSize(o->plotSize);
        if (!(o->plotScale >= 1 && o->plotScale <= 4))
            throw Error("--plot-scale " + fmt(o->plotScale) + " is out of range: it must be in [1, 4]");
        for (const auto& [path, what] : {std::pair{o->json, "--json"}, {o->csv, "--csv"}, {o->markdown, "--markdown"}})
            if (!path.empty() && path != "-") checkOutputPath(path, what);
        const std::string cache = o->config.useCache ? cachePathOr(o->cache) : std::string(); // written too
        const std::vector<std::pair<std::string, std::string>> outputs{{o->json, "--json"},
                                                                       {o->csv, "--csv"},
                                                                       {o->markdown, "--markdown"},
                                                                       {o->plot, "--plot"},
                                                                       {cache, "--cache"}};
        checkDistinctOutputs(outputs);
        auto inputs = optimizerFileInputs(o->config.optimizers, "--optimizers");
        inputs.emplace_back(o->experiment, "read as the experiment file (--experiment)");
        checkOutputsSpareInputs(outputs, inputs);
        const EvalResult r = evaluate(o->config, progress(*o), &interrupted());
        if (r.optimizers.empty() || (r.cancelled && r.completedSteps == 0)) {
            std::cerr << "l2l: interrupted before any result\n";
            return;
        }
        if (o->config.testEvery > 0 && r.testSteps.empty())
            std::cerr << "l2l: note: --test-every ignored: "
                      << (o->config.testMetrics ? r.canonicalProblem + " has no test split"
                                                : std::string("--no-test was given"))
                      << "\n";
        if (o->json != "-" && o->csv != "-" && o->markdown != "-") printTable(r);
        if (!o->json.empty()) writeOutput(o->json, evalJson(r));
        if (!o->csv.empty()) writeOutput(o->csv, evalCsv(r));
        if (!o->markdown.empty()) writeOutput(o->markdown, evalMarkdown(r));
        if (!o->plot.empty()) savePlot(r, o->plot, plotSize, o->plotScale);
    });
}

void addTuneCommand(CLI::App& app)
{
    auto o = std::make_shared<EvalOptions>();
    auto* cmd = app.add_subcommand("tune", "Search each optimizer's learning rate on a log grid and cache it.");
    addCommonOptions(cmd, *o, {"runs", "seed", "test_every"});
    cmd->callback([o] {
        o->readSettings(o->config);
        prepare(*o);
        auto cls = makeProblemClass<float>(o->config.problem);
        TuningCache cache(cachePathOr(o->config.cachePath));
        if (!cache.warning().empty()) std::cerr << "l2l: warning: " << cache.warning() << "\n";
        std::cout << "problem " << cls->canonicalSpec() << ", " << o->config.steps << " steps, " << o->config.tune.runs
                  << " tuning runs (seed " << o->config.tune.seed << ")\n";
        const TuneProgressFn onTune = o->quiet ? TuneProgressFn() : tuneProgressPrinter();
        const int count = int(o->config.optimizers.size());
        for (int index = 0; index < count; ++index) {
            UpdateRuleConfig rule = UpdateRuleConfig::parse(o->config.optimizers[size_t(index)]);
            const auto onStep = tuneStepReporter(onTune, rule.name, index, count);
            // The search itself (never the shipped table), with its progress on stderr unless --quiet.
            const auto log = [quiet = o->quiet](const std::string& line) {
                if (!quiet) std::cerr << "l2l: " << line << "\n";
            };
            const TuneResult t =
                resolveTunedRate(*cls, cls->canonicalSpec(), rule, o->config.steps, o->config.tune, o->config.threads,
                                 o->config.useCache ? &cache : nullptr, log, &interrupted(), nullptr, onStep);
            if (interrupted()) return;
            std::cout << "\n" << rule.canonical(false) << (t.fromCache ? "  (cached)" : "") << "\n";
            for (size_t i = 0; i < t.rates.size(); ++i)
                std::cout << "  lr " << std::left << std::setw(11) << fmt(t.rates[i], 3) << " "
                          << (std::isfinite(t.finalMeans[i]) ? "mean final loss " + fmt(t.finalMeans[i])
                              : i < t.droppedAt.size() && t.droppedAt[i] >= 0
                                  ? "dropped by the race at step " + std::to_string(t.droppedAt[i])
                                  : std::string("diverged"))
                          << (t.rates[i] == t.bestRate ? "   <- best" : "") << "\n";
        }
        if (o->config.useCache) std::cout << "\ncache: " << cache.path() << "\n";
    });
}

} // namespace l2l::cli
