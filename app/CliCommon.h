#pragma once
// Shared pieces of the `l2l` command line: sub-command registration, output formats, progress.
#include "base/Settings.h"
#include "eval/Evaluation.h"

#include <CLI/CLI.hpp>
#include <QSize>

#include <functional>

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace l2l::cli {

// Set by SIGINT (Ctrl-C) or SIGTERM (kill, a scheduler's time limit): long commands stop at the next step and report
// what they have.
std::atomic<bool>& interrupted();
// For `command`: the first SIGINT or SIGTERM sets interrupted() if the command polls it (eval, tune, train, select,
// transfer, art), else exits at once; a second one always exits at once. Exit status 128 + the signal: 130 for
// SIGINT, 143 for SIGTERM (interruptedStatus).
void installInterruptHandler(const std::string& command);
// The exit status of an interrupted command: 128 + the signal that interrupted it (130 if none was recorded).
int interruptedStatus();

void addProblemsCommand(CLI::App& app);
void addEvalCommand(CLI::App& app);
void addTuneCommand(CLI::App& app);
void addBenchCommand(CLI::App& app);
void addTrainCommand(CLI::App& app);
void addArtCommand(CLI::App& app);
void addFingerprintCommand(CLI::App& app);
void addSelectCommand(CLI::App& app);
void addTransferCommand(CLI::App& app);
void addExportCommand(CLI::App& app);

// The flags of a settings table (fields marked kInCli): help text and accepted values from the table, the
// default shown from `defaults`. `aliases` adds short names ({"problem", "-p"}); `exceptKeys` are left out
// (settings a command does not take). Returns a function to call in
// the command's callback: it sets every flag given on the command line into the struct, with the table's checks
// (l2l::Error naming the flag), and returns the set of flags given.
template <typename S>
std::function<std::vector<std::string>(S&)> addSettingOptions(CLI::App* cmd, const SettingsTable<S>& table,
                                                              const S& defaults,
                                                              const std::map<std::string, std::string>& aliases = {},
                                                              const std::vector<std::string>& exceptKeys = {})
{
    auto texts = std::make_shared<std::map<std::string, std::string>>();
    auto flags = std::make_shared<std::map<std::string, bool>>();
    auto used = [exceptKeys](const Setting<S>& f) {
        return (f.use & kInCli) && !f.flag.empty() && !settingListed(exceptKeys, f.key);
    };
    for (const auto& f : table.fields) {
        if (!used(f)) continue;
        std::string names = "--" + f.flag;
        if (auto a = aliases.find(f.key); a != aliases.end()) names += "," + a->second;
        if (f.kind == SettingKind::Bool) {
            cmd->add_flag(names, (*flags)[f.key], f.help);
        } else {
            const bool ranged =
                f.kind == SettingKind::Int || f.kind == SettingKind::UInt || f.kind == SettingKind::Real;
            cmd->add_option(names, (*texts)[f.key], f.help + (ranged ? " (" + settingRange(settingInfo(f)) + ")" : ""))
                ->default_str(settingText(f.get(defaults)))
                ->type_name(settingTypeName(settingInfo(f)));
        }
    }
    return [cmd, &table, texts, flags, used](S& s) {
        std::vector<std::string> given;
        for (const auto& f : table.fields) {
            if (!used(f) || cmd->count("--" + f.flag) == 0) continue;
            given.push_back(f.key);
            if (f.kind == SettingKind::Bool)
                f.set(s, SettingValue((*flags)[f.key]));
            else
                setSettingText(f, s, (*texts)[f.key], cmd->get_name());
        }
        return given;
    };
}

// A rate search's progress on stderr (eval, tune, art): on a terminal one line redrawn in place ("  tuning adam
// (2 of 4): 35%, about 12 s left") and cleared when the search ends; in a log, a line at each quarter.
TuneProgressFn tuneProgressPrinter();

// A flag's accepted range, stated as the settings tables state it: in --help ("(an integer in [1, 10000])", instead
// of CLI11's "INT:INT in [1 - 10000]") and in the error ("--runs: must be an integer in [1, 10000], got '0'").
CLI::Option* integerIn(CLI::Option* option, long long lo, long long hi);
CLI::Option* numberIn(CLI::Option* option, double lo, double hi);
// A seed: an integer in [0, 2^64 - 1], refused (not wrapped or clamped) outside it, as the settings tables do.
CLI::Option* seedIn(CLI::Option* option);

// The command line as typed (recorded in trained optimizer files).
std::string& commandLine();

// "sgd,adam:lr=0.1,beta1=0.8,nag" -> {"sgd", "adam:lr=0.1,beta1=0.8", "nag"}: a piece with '=' but no
// ':' continues the previous optimizer's options.
std::vector<std::string> splitOptimizerList(const std::string& text);

// The optimizer files that a list of optimizer specs reads ("lstm:PATH"), each as {PATH, "the optimizer file of
// WHAT"}: the inputs an output must not replace (checkOutputsSpareInputs). Specs that do not parse are left out
// (they are refused elsewhere, with their own message).
std::vector<std::pair<std::string, std::string>> optimizerFileInputs(const std::vector<std::string>& specs,
                                                                     const std::string& what);

// Number formatting for tables: 4 significant digits, "-" for NaN.
std::string fmt(double v, int precision = 4);
// A median (which counts diverged runs as the worst): "diverged" for +inf, else fmt.
std::string fmtMedian(double v);

// Output writers (FILE or "-" for stdout); files are written atomically.
std::string evalJson(const EvalResult& r);
std::string evalMarkdown(const EvalResult& r); // a results table with the paired comparison
void writeOutput(const std::string& path, const std::string& contents);
void checkPlotPath(const std::string& path); // throws before a long run if the plot cannot be written
// A file name's extension in lower case (".png" for "a.PNG"), as the writers read it.
std::string lowerExtension(const std::string& path);
// A layout of `size` pixels; a PNG at `scale` pixels per layout pixel (a PDF is vector).
void savePlot(const EvalResult& r, const std::string& path, QSize size = {800, 500}, double scale = 1);
// A QApplication on the offscreen platform (unless QT_QPA_PLATFORM is set), for drawing figures headless.
void ensureGuiApplication();

} // namespace l2l::cli
