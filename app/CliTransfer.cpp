// `l2l transfer`: each optimizer file on a grid of variants of its problem family, against tuned baselines.
#include "CliCommon.h"

#include "base/AtomicFile.h"
#include "eval/Transfer.h"
#include "optimizers/OptimizerFile.h"
#include "plots/TransferMap.h"
#include "problems/Problem.h"

#include <filesystem>
#include <iomanip>
#include <iostream>
#include <memory>
#include <sstream>
#include <tuple>

namespace l2l::cli {

namespace {

struct TransferOptions {
    TransferConfig config;
    std::string family, variants, baselines = "sgd,nag,rmsprop,adam", json, png, pdf, cache, resume;
    int steps = 100;
    bool noCache = false, quiet = false;
};

std::vector<std::string> splitOn(const std::string& text, char sep)
{
    std::vector<std::string> out;
    std::string cur;
    for (char ch : text) {
        if (ch == sep) {
            if (!cur.empty()) out.push_back(cur);
            cur.clear();
        } else {
            cur += ch;
        }
    }
    if (!cur.empty()) out.push_back(cur);
    return out;
}

std::string cellText(const TransferCell& c)
{
    if (!std::isfinite(c.ratio)) return c.baseline.empty() ? "no baseline finished" : "diverged";
    std::ostringstream out;
    out << fmt(c.ratio, transferRatioDigits(c.ratio)) << "x  " << c.won << "/" << c.pairs << " p=" << fmt(c.p, 2);
    return out.str();
}

void printTransfer(const TransferResult& r)
{
    std::cout << "\nratio of mean final loss to the best tuned baseline's (below 1: ahead); runs won against it; "
                 "paired p\n"
              << r.config.runs << " runs per variant, seed " << r.config.seed << ", baselines "
              << joinNames(r.config.baselines)
              << (r.config.baselinesFrom.empty()
                      ? std::string()
                      : " (each variant's best in " + r.config.baselinesFrom + ", run again at its recorded rate)")
              << "\n\n";
    std::cout << std::left << std::setw(20) << "axis" << std::setw(18) << "variant" << std::setw(16) << "best baseline";
    for (const auto& f : r.config.optimizers)
        std::cout << std::setw(30) << std::filesystem::path(f).filename().string();
    std::cout << "\n";
    for (int v = 0; v < r.completedVariants; ++v) {
        const auto& var = r.config.variants[size_t(v)];
        const auto& row = r.cells[size_t(v)];
        std::cout << std::setw(20) << var.axis << std::setw(18) << var.label << std::setw(16)
                  << (row.empty() || row[0].baseline.empty() ? "-" : row[0].baseline);
        for (const auto& c : row) std::cout << std::setw(30) << cellText(c);
        std::cout << "\n";
    }
    if (r.cancelled)
        std::cout << "(stopped after " << r.completedVariants << " of " << r.config.variants.size() << " variants)\n";
}

} // namespace

void addTransferCommand(CLI::App& app)
{
    auto o = std::make_shared<TransferOptions>();
    auto* cmd = app.add_subcommand(
        "transfer", "Where learned optimizers transfer: each file on a grid of variants of a problem family "
                    "(dimension, scale, width, depth, activation, data, horizon, ...) against tuned baselines.");
    cmd->add_option("--optimizers", o->config.optimizers, "optimizer files (columns of the matrix)")
        ->required()
        ->expected(1, -1);
    cmd->add_option("--family", o->family,
                    "variant grid: " + joinNames(transferFamilies()) +
                        " (default: the family the first optimizer was trained on)");
    cmd->add_option("--variants", o->variants,
                    "instead of a family's grid: problem specs separated by ';' (e.g. \"quadratic:dim=3;mnist\")");
    cmd->add_option("--baselines", o->baselines, "comma-separated hand-designed optimizers, rates tuned per variant")
        ->capture_default_str();
    integerIn(cmd->add_option("--steps", o->steps, "optimizer steps per run (the horizon variant uses twice this)")
                  ->capture_default_str(),
              1, 100000);
    integerIn(cmd->add_option("--runs,-n", o->config.runs, "runs per variant (paired)")->capture_default_str(), 2,
              10000);
    seedIn(cmd->add_option("--seed,-s", o->config.seed, "evaluation seed")->capture_default_str());
    integerIn(cmd->add_option("--threads", o->config.threads, "threads (0 = all cores; results do not depend on it)")
                  ->capture_default_str(),
              0, 256);
    integerIn(cmd->add_option("--memory-limit", o->config.memoryLimitMiB,
                              "refuse a variant whose memory exceeds this many MiB"),
              0, 1 << 30);
    // The rate search of every variant's baselines (the conv net's grid is only affordable with a smaller one).
    auto readTune = addSettingOptions(cmd, tuneSettings(), TuneConfig{});
    cmd->add_option("--json", o->json,
                    "write every cell as JSON ('-' = stdout); a file is rewritten after every finished variant, so "
                    "an interrupted run can be resumed from it");
    cmd->add_option("--resume", o->resume,
                    "go on from the JSON of an interrupted run of the same transfer (same files as given, unchanged "
                    "since, grid, runs, seed and rate search): its finished variants are kept, the others run");
    cmd->add_option("--baselines-from", o->config.baselinesFrom,
                    "search no rate: compare each variant with the best baseline of this finished transfer (JSON of "
                    "the same grid, runs, seed, baselines and rate search) at its recorded rate, run again and "
                    "checked to end within 1 % of it (to add an optimizer to a matrix whose searches took hours)");
    cmd->add_option("--png", o->png, "write the heat map as PNG (at twice its layout's pixels)");
    cmd->add_option("--pdf", o->pdf, "write the heat map as a vector PDF");
    cmd->add_option("--cache", o->cache, "tuned-rate cache file (default: " + defaultCachePath() + ")");
    cmd->add_flag("--no-cache", o->noCache, "ignore and do not update the tuned-rate cache");
    cmd->add_flag("-q,--quiet", o->quiet, "no progress on stderr");
    cmd->callback([o, readTune] {
        TransferConfig& c = o->config;
        readTune(c.tune);
        c.tune.validate();
        c.baselines = splitOptimizerList(o->baselines);
        c.cachePath = o->cache;
        c.useCache = !o->noCache;
        if (!o->variants.empty() && !o->family.empty()) throw Error("transfer: give --family or --variants, not both");
        if (!o->variants.empty()) {
            for (const auto& spec : splitOn(o->variants, ';')) c.variants.push_back({"given", spec, spec, o->steps});
            // Every spec is checked (and its data read) before the first variant runs, not when its turn comes.
            for (size_t i = 0; i < c.variants.size(); ++i) {
                try {
                    (void)makeProblemClass<float>(c.variants[i].problem);
                } catch (const Error& e) {
                    throw Error("transfer: --variants: variant " + std::to_string(i + 1) + " of " +
                                std::to_string(c.variants.size()) + " ('" + c.variants[i].problem + "'): " + e.what());
                }
            }
        } else {
            std::string family = o->family;
            if (family.empty()) {
                const Provenance p = loadOptimizer(c.optimizers.front()).provenance;
                if (!p.known)
                    throw Error("transfer: '" + c.optimizers.front() +
                                "' does not record the problem it was trained on; give --family or --variants");
                family = transferFamilyOf(p.training.problem);
            }
            c.variants = transferGrid(family, o->steps);
        }
        for (const auto& f : c.optimizers) (void)loadOptimizer(f); // a bad file is refused before any run
        c.validate();
        if (!o->json.empty() && o->json != "-") checkOutputPath(o->json, "--json");
        for (const auto& [path, flag, ext] : {std::tuple{o->png, "--png", ".png"}, {o->pdf, "--pdf", ".pdf"}}) {
            if (path.empty()) continue;
            checkOutputPath(path, flag);
            if (lowerExtension(path) != ext) // before the runs, not after hours of them
                throw Error(std::string(flag) + " '" + path + "': the file name must end in " + ext);
        }
        const std::string cache = c.useCache ? cachePathOr(o->cache) : std::string();
        // the cache is written too; the --baselines-from file is read again by --resume, so it is not replaced
        checkDistinctOutputs({{o->json, "--json"},
                              {o->png, "--png"},
                              {o->pdf, "--pdf"},
                              {cache, "--cache"},
                              {c.baselinesFrom, "--baselines-from"}});
        // (--resume may name the --json file: the run goes on in it)
        std::vector<std::pair<std::string, std::string>> inputs;
        for (const auto& f : c.optimizers) inputs.emplace_back(f, "read as an optimizer file of --optimizers");
        checkOutputsSpareInputs({{o->json, "--json"}, {o->png, "--png"}, {o->pdf, "--pdf"}, {cache, "--cache"}},
                                inputs);
        std::function<void(const std::string&)> log;
        if (!o->quiet) log = [](const std::string& line) { std::cerr << "l2l: " << line << "\n"; };
        TransferResult done;
        if (!o->resume.empty()) done = resumeTransfer(o->resume, c);
        // The JSON after every variant: a run killed outright keeps what it finished (--resume goes on from it).
        std::function<void(const TransferResult&)> onVariantDone;
        if (!o->json.empty() && o->json != "-")
            onVariantDone = [&](const TransferResult& partial) {
                TransferResult copy = partial;
                copy.cancelled = partial.completedVariants < int(c.variants.size());
                writeOutput(o->json, transferJson(copy));
            };
        const TransferResult r =
            computeTransfer(c, log, {}, onVariantDone, &interrupted(), o->resume.empty() ? nullptr : &done);
        if (o->json != "-") printTransfer(r); // standard output is the JSON's alone
        if (!o->json.empty()) writeOutput(o->json, transferJson(r));
        std::string title = "transfer";
        for (const auto& f : c.optimizers) title += " " + std::filesystem::path(f).filename().string();
        title += " (" + std::to_string(c.runs) + " runs per variant, seed " + std::to_string(c.seed) + ")";
        for (const std::string& figure : {o->png, o->pdf}) {
            if (figure.empty()) continue;
            ensureGuiApplication();
            ui::saveTransferMap(r, QString::fromStdString(figure), QString::fromStdString(title));
            if (!o->quiet) std::cerr << "l2l: wrote " << figure << "\n";
        }
        if (r.cancelled)
            throw Error("transfer: interrupted after " + std::to_string(r.completedVariants) + " of " +
                        std::to_string(c.variants.size()) + " variants (what finished is written)");
    });
}

} // namespace l2l::cli
