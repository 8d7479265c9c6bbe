// `l2l select`: choose among candidate optimizer files on selection instances that no report uses.
#include "CliCommon.h"

#include "base/AtomicFile.h"
#include "eval/Selection.h"

#include <chrono>
#include <iomanip>
#include <iostream>
#include <memory>
#include <unistd.h>

namespace l2l::cli {

void addSelectCommand(CLI::App& app)
{
    auto c = std::make_shared<SelectConfig>();
    auto out = std::make_shared<std::string>();
    auto quiet = std::make_shared<bool>(false);
    auto* cmd = app.add_subcommand(
        "select", "Choose the best of several optimizer files on selection instances (a random stream no evaluation "
                  "draws) and write it with the record of how it was chosen.");
    cmd->add_option("--problem", c->problem, "problem class spec to compare the candidates on")->required();
    cmd->add_option("--candidates", c->candidates, "optimizer files to choose from")->required()->expected(1, -1);
    cmd->add_option("--out", *out, "where to write the chosen optimizer (with its selection record)")->required();
    integerIn(cmd->add_option("--runs", c->runs, "selection instances (paired: the same for every candidate)")
                  ->capture_default_str(),
              1, 10000);
    integerIn(cmd->add_option("--steps", c->steps, "optimizer steps per run")->capture_default_str(), 1, 100000);
    seedIn(cmd->add_option("--seed", c->seed, "selection seed (its instances come from the selection stream)")
               ->capture_default_str());
    cmd->add_option("--criterion", c->criterion,
                    "final: the lowest mean final loss; mean: the lowest mean loss over the steps")
        ->capture_default_str()
        ->check(CLI::IsMember({"final", "mean"}));
    integerIn(cmd->add_option("--threads", c->threads, "threads (0 = all cores; results do not depend on it)")
                  ->capture_default_str(),
              0, 256);
    integerIn(cmd->add_option("--memory-limit", c->memoryLimitMiB,
                              "refuse a selection whose estimated memory exceeds this many MiB"),
              0, 1 << 30);
    cmd->add_flag("-q,--quiet", *quiet, "no progress on stderr");
    cmd->callback([=] {
        checkOutputPath(*out, "--out");
        std::vector<std::pair<std::string, std::string>> inputs;
        for (const auto& f : c->candidates) inputs.emplace_back(f, "read as a candidate (--candidates)");
        checkOutputsSpareInputs({{*out, "--out"}}, inputs);
        int lastPercent = -1;
        const bool tty = isatty(STDERR_FILENO) != 0;
        const auto started = std::chrono::steady_clock::now();
        const SelectResult r = selectOptimizer(*c, &interrupted(), [&](int done, int total) {
            const int percent = int(100LL * done / std::max(1, total));
            if (*quiet || percent == lastPercent) return;
            // A log gets a line per 10 %, and none while the run is younger than a second (a quick one prints none).
            if (!tty && (percent % 10 != 0 || std::chrono::steady_clock::now() - started < std::chrono::seconds(1)))
                return;
            lastPercent = percent;
            std::cerr << (tty ? "\r" : "") << "selecting: ";
            if (total == c->steps) // one wave
                std::cerr << "step " << done << "/" << total << " (" << percent << "%)";
            else // in waves (Lanes.h): the share of all of them
                std::cerr << percent << "% (runs in " << total / c->steps << " waves)";
            std::cerr << (tty ? "" : "\n") << std::flush;
        });
        if (!*quiet && tty) std::cerr << "\n";
        if (r.cancelled) throw Error("select: interrupted; nothing written");
        std::cout << c->candidates.size() << (c->candidates.size() == 1 ? " candidate" : " candidates") << " on "
                  << c->runs << " selection runs of " << r.canonicalProblem << " (seed " << c->seed << ", " << c->steps
                  << " steps), criterion: "
                  << (c->criterion == "final" ? "mean final loss" : "mean loss over the steps") << "\n";
        for (size_t i = 0; i < c->candidates.size(); ++i)
            std::cout << (int(i) == r.best ? "* " : "  ") << std::left << std::setw(48) << c->candidates[i] << " "
                      << (std::isfinite(r.scores[i]) ? fmt(r.scores[i])
                                                     : "diverged in " + std::to_string(r.divergedRuns[i]) + " run(s)")
                      << "\n";
        saveOptimizer(*out, selectedFile(*c, r));
        std::cout << "wrote " << *out << " (" << c->candidates[size_t(r.best)] << ")\n";
    });
}

} // namespace l2l::cli
