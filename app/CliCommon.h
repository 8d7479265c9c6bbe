#pragma once
// Shared pieces of the `l2l` command line: sub-command registration, output formats, progress.
#include "Evaluation.h"

#include <CLI/CLI.hpp>

#include <atomic>
#include <string>
#include <vector>

namespace l2l::cli {

// Set by SIGINT: long commands stop at the next step and report what they have.
std::atomic<bool>& interrupted();
void installInterruptHandler();

void addProblemsCommand(CLI::App& app);
void addEvalCommand(CLI::App& app);
void addTuneCommand(CLI::App& app);
void addBenchCommand(CLI::App& app);
void addTrainCommand(CLI::App& app);
void addArtCommand(CLI::App& app);
void addFingerprintCommand(CLI::App& app);

// The command line as typed (recorded in trained optimizer files).
std::string& commandLine();

// "sgd,adam:lr=0.1,beta1=0.8,nag" -> {"sgd", "adam:lr=0.1,beta1=0.8", "nag"}: a piece with '=' but no
// ':' continues the previous optimizer's options.
std::vector<std::string> splitOptimizerList(const std::string& text);

// Number formatting for tables: 4 significant digits, "-" for NaN.
std::string fmt(double v, int precision = 4);

// Output writers (FILE or "-" for stdout); files are written atomically.
std::string evalJson(const EvalResult& r);
std::string evalCsv(const EvalResult& r);
std::string evalMarkdown(const EvalResult& r); // a results table with the paired comparison
void writeOutput(const std::string& path, const std::string& contents);
void checkPlotPath(const std::string& path); // throws before a long run if the plot cannot be written
void savePlot(const EvalResult& r, const std::string& path);

} // namespace l2l::cli
