#include "CliCommon.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "base/AtomicFile.h"
#include "base/Stats.h"
#include "io/EvalCsv.h"
#include "io/EvalResultJson.h"
#include "plots/LossPlot.h"

#include <QApplication>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <csignal>
#include <filesystem>
#include <iostream>
#include <limits>
#include <memory>
#include <sstream>

namespace l2l::cli {

std::string& commandLine()
{
    static std::string line;
    return line;
}

std::atomic<bool>& interrupted()
{
    static std::atomic<bool> flag{false};
    return flag;
}

namespace {
std::atomic<int>& interruptSignal()
{
    static std::atomic<int> signal{0};
    return signal;
}
bool stopsAtNextStep = false;

void onInterrupt(int signal)
{
    if (interrupted() || !stopsAtNextStep) std::_Exit(128 + signal); // a second one, or nothing would notice the first
    interruptSignal() = signal;
    interrupted() = true;
}
} // namespace

void installInterruptHandler(const std::string& command)
{
    // The commands whose loops check interrupted() at every step; any other leaves at the first signal.
    static const char* const polling[] = {"eval", "tune", "train", "select", "transfer", "art"};
    stopsAtNextStep = std::find(std::begin(polling), std::end(polling), command) != std::end(polling);
    interrupted() = false; // both statics made here, not first in the handler (their guarded initialisation is not
    interruptSignal() = 0; // safe in a signal handler)
    std::signal(SIGINT, onInterrupt);
    std::signal(SIGTERM, onInterrupt);
}

int interruptedStatus() { return interruptSignal() > 0 ? 128 + interruptSignal() : 130; }

std::vector<std::pair<std::string, std::string>> optimizerFileInputs(const std::vector<std::string>& specs,
                                                                     const std::string& what)
{
    std::vector<std::pair<std::string, std::string>> files;
    for (const auto& spec : specs) {
        try {
            if (const UpdateRuleConfig rule = UpdateRuleConfig::parse(spec); rule.learned() && !rule.path.empty())
                files.emplace_back(rule.path, "read as the optimizer file of " + what);
        } catch (const Error&) {
        }
    }
    return files;
}

std::vector<std::string> splitOptimizerList(const std::string& text)
{
    std::vector<std::string> out;
    std::stringstream in(text);
    std::string piece;
    while (std::getline(in, piece, ',')) {
        if (piece.empty())
            throw Error("optimizer list '" + excerpt(text, 80) + "' has an empty item (two commas, or one at an end)");
        if (!out.empty() && piece.find('=') != std::string::npos && piece.find(':') == std::string::npos)
            out.back() += "," + piece;
        else
            out.push_back(piece);
    }
    return out;
}

std::string fmt(double v, int precision)
{
    if (!std::isfinite(v)) return "-";
    std::ostringstream out;
    out.precision(precision);
    out << v;
    return out.str();
}

std::string fmtMedian(double v) { return v == std::numeric_limits<double>::infinity() ? "diverged" : fmt(v); }

namespace {
nlohmann::json number(double x) { return std::isfinite(x) ? nlohmann::json(x) : nlohmann::json(nullptr); }
} // namespace

std::string evalJson(const EvalResult& r)
{
    // The statistics, as an experiment file keeps them, with each optimizer's pair with the best (paired_vs_best),
    // its pairs with every other optimizer (paired_with) and every run's own numbers (per_run).
    nlohmann::json doc = evalStatsToJson(r);
    nlohmann::json& opts = doc["optimizers"];
    // And with every other optimizer (a report may need a pair that does not involve the best): this one's final
    // losses minus the other's, on the same runs.
    for (size_t i = 0; i < r.optimizers.size(); ++i) {
        nlohmann::json pairs = nlohmann::json::array();
        for (size_t k = 0; k < r.optimizers.size(); ++k) {
            if (k == i) continue;
            const PairedComparison c = pairedCompare(finalLosses(r, r.optimizers[i]), finalLosses(r, r.optimizers[k]));
            pairs.push_back({{"with", r.optimizers[k].displayName()},
                             {"pairs", c.pairs},
                             {"wins_fraction", c.winFraction},
                             {"mean_difference", number(c.meanDiff)},
                             {"t", number(c.t)},
                             {"p", number(c.p)}});
        }
        opts[i]["paired_with"] = pairs;
        // Every run's own numbers, run k on the same instance for every optimizer, for statistics of one's own (box
        // plots, another test, pooling seeds): the final loss (null where it diverged) and the step it diverged at.
        const OptimizerResult& o = r.optimizers[i];
        nlohmann::json finals = nlohmann::json::array(), diverged = nlohmann::json::array();
        for (const double f : finalLosses(r, o)) finals.push_back(number(f));
        for (const int at : o.curves.divergedAt) diverged.push_back(at >= 0 ? nlohmann::json(at) : nlohmann::json());
        nlohmann::json runs = {{"final_loss", finals}, {"diverged_at", diverged}};
        if (std::any_of(o.curves.test.begin(), o.curves.test.end(), [](const auto& t) { return t.has_value(); })) {
            nlohmann::json loss = nlohmann::json::array(), accuracy = nlohmann::json::array();
            for (const auto& t : o.curves.test) {
                loss.push_back(t ? number(t->loss) : nlohmann::json());
                accuracy.push_back(t ? number(t->accuracy) : nlohmann::json());
            }
            runs["test_loss"] = loss;
            runs["test_accuracy"] = accuracy;
        }
        opts[i]["per_run"] = runs;
    }
    return doc.dump(2) + "\n";
}

std::string evalMarkdown(const EvalResult& r)
{
    std::ostringstream out;
    const int T = r.completedSteps;
    const OptimizerResult* best = bestByFinalMean(r);
    out << "| optimizer | learning rate | mean loss at step " << T << " | std | median | diverged runs |";
    if (r.hasTestSplit) out << " test loss | test accuracy |";
    out << " paired with " << (best ? best->displayName() : std::string("-")) << ": best lower in | t | p |\n";
    out << "|---|---|---|---|---|---|" << (r.hasTestSplit ? "---|---|" : "") << "---|---|---|\n";
    for (const auto& o : r.optimizers) {
        const bool isBest = &o == best;
        const std::string b = isBest ? "**" : "";
        out << "| " << b << o.displayName() << b << " | "
            << (o.config.learned() ? "learned" : fmt(o.config.lr, 3) + (o.tunedRate ? " (tuned)" : "")) << " | " << b
            << fmt(o.finalMean) << b << " | " << fmt(o.finalStd) << " | " << fmtMedian(o.finalMedian) << " | "
            << o.divergedRuns << "/" << o.curves.loss.size() << " |";
        if (r.hasTestSplit)
            out << " " << fmt(o.testLossMean.value_or(NAN)) << " | "
                << (o.testAccuracyMean ? fmt(100 * *o.testAccuracyMean, 4) + "%" : "-") << " |";
        if (isBest || !best) {
            out << " - | - | - |\n";
            continue;
        }
        const PairedComparison c = o.vsBest.value_or(PairedComparison{});
        out << " " << int(std::lround(c.winFraction * c.pairs)) << "/" << c.pairs << " | " << fmt(c.t, 3) << " | "
            << fmt(c.p, 2) << " |\n";
    }
    if (r.cancelled) // never to be taken for a finished run
        out << "\n*Interrupted at step " << T << " of " << r.config.steps << ": partial results.*\n";
    return out.str();
}

TuneProgressFn tuneProgressPrinter()
{
    const bool tty = isatty(STDERR_FILENO) != 0;
    auto lastQuarter = std::make_shared<int>(0);
    return [tty, lastQuarter](const TuneProgress& p) {
        const int percent = tunePercent(p), left = tuneSecondsLeft(p);
        std::ostringstream line;
        line << "tuning " << p.optimizer << " (" << p.index + 1 << " of " << p.count << "): " << percent << "%";
        if (left >= 0) line << ", about " << left << " s left";
        if (tty) {
            std::cerr << "\r  " << line.str() << "\033[K" << (p.step >= p.steps ? "\r\033[K" : "") << std::flush;
            return;
        }
        const int quarter = percent / 25;
        if (p.step >= p.steps || quarter <= 0) {
            *lastQuarter = 0; // the next search starts again
            return;
        }
        if (quarter == *lastQuarter) return;
        *lastQuarter = quarter;
        std::cerr << "l2l: " << line.str() << "\n";
    };
}

namespace {
CLI::Option* ranged(CLI::Option* option, SettingKind kind, double lo, double hi)
{
    const SettingInfo info{"value", "", kind, lo, hi, false, {}};
    const std::string range = settingRange(info);
    option->description(option->get_description() + " (" + range + ")");
    option->type_name(settingTypeName(info));
    option->check(CLI::Validator(
        [info, range](std::string& text) -> std::string {
            try {
                parseSettingText(info, text, "value");
                return "";
            } catch (const Error&) {
                return "must be " + range + ", got '" + text + "'";
            }
        },
        "", "range"));
    return option;
}
} // namespace

CLI::Option* integerIn(CLI::Option* option, long long lo, long long hi)
{
    return ranged(option, SettingKind::Int, double(lo), double(hi));
}

CLI::Option* numberIn(CLI::Option* option, double lo, double hi) { return ranged(option, SettingKind::Real, lo, hi); }

CLI::Option* seedIn(CLI::Option* option) { return ranged(option, SettingKind::UInt, 0, 18446744073709551615.0); }

void writeOutput(const std::string& path, const std::string& contents)
{
    if (path == "-") {
        std::cout << contents << std::flush;
        return;
    }
    writeFileAtomically(path, contents);
}

std::string lowerExtension(const std::string& path)
{
    std::string ext = std::filesystem::path(path).extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return char(std::tolower(c)); });
    return ext;
}

void checkPlotPath(const std::string& path)
{
    const std::string ext = lowerExtension(path);
    if (ext != ".png" && ext != ".pdf") throw Error("--plot '" + path + "': the file name must end in .png or .pdf");
    checkOutputPath(path, "--plot"); // a missing folder is created when the plot is saved
}

void ensureGuiApplication()
{
    if (QApplication::instance()) return;
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) qputenv("QT_QPA_PLATFORM", "offscreen");
    if (qEnvironmentVariableIsEmpty("XDG_RUNTIME_DIR")) {
        // Qt wants a private runtime directory and warns on stderr without one (e.g. as root under a plain shell).
        const std::string dir = "/tmp/l2l-runtime-" + std::to_string(getuid());
        if ((mkdir(dir.c_str(), 0700) == 0 || errno == EEXIST) && chmod(dir.c_str(), 0700) == 0)
            qputenv("XDG_RUNTIME_DIR", QByteArray::fromStdString(dir));
    }
    static int argc = 1;
    static char name[] = "l2l";
    static char* argv[] = {name, nullptr};
    new QApplication(argc, argv); // lives until exit
}

void savePlot(const EvalResult& r, const std::string& path, QSize size, double scale)
{
    ensureGuiApplication();
    ui::saveEvalPlot(r, QString::fromStdString(path), size.width(), size.height(), scale);
    if (!r.testSteps.empty()) {
        const std::string test = ui::testPlotPath(QString::fromStdString(path)).toStdString();
        ui::saveTestPlot(r, QString::fromStdString(test), size.width(), size.height(), scale);
        std::cerr << "l2l: wrote test-split curves to " << test << "\n";
    }
}

} // namespace l2l::cli
