// `l2l bench`: kernel timings with the machine's load noted.
#include "CliCommon.h"

#include "Bench.h"

#include <fstream>
#include <iomanip>
#include <iostream>
#include <thread>

namespace l2l::cli {

void addBenchCommand(CLI::App& app)
{
    auto* cmd = app.add_subcommand("bench", "Time the MNIST MLP value+gradient and the update rules (medians).");
    auto repeats = std::make_shared<int>(15);
    auto problem = std::make_shared<std::string>("mnist");
    auto dim = std::make_shared<int>(100000);
    cmd->add_option("--repeats", *repeats, "samples per median")->capture_default_str()->check(CLI::Range(1, 1000));
    cmd->add_option("--problem", *problem, "MLP problem spec to time")->capture_default_str();
    cmd->add_option("--rule-dim", *dim, "parameters for the update-rule timing")->capture_default_str()->check(CLI::Range(1, 100000000));
    cmd->callback([=] {
        std::string load = "unknown";
        if (std::ifstream in("/proc/loadavg"); in) std::getline(in, load);
        std::cout << "machine: " << std::thread::hardware_concurrency() << " hardware threads; load average before: "
                  << load << "\n\n";
        for (const auto& line : runBenchmarks(*problem, *repeats, *dim)) {
            std::cout << std::left << std::setw(70) << line.name << " ";
            if (line.unit == "step")
                std::cout << std::fixed << std::setprecision(3) << line.median * 1e3 << " ms/step";
            else
                std::cout << std::fixed << std::setprecision(3) << line.median * 1e9 << " ns/parameter";
            if (line.flops > 0)
                std::cout << "  (" << std::setprecision(1) << line.flops / 1e6 << " MFLOP, " << line.flops / line.median / 1e9
                          << " GFLOP/s)";
            std::cout << "  [" << line.note << "]\n";
            std::cout.unsetf(std::ios::fixed);
        }
        if (std::ifstream in("/proc/loadavg"); in) std::getline(in, load);
        std::cout << "\nload average after: " << load << "\n";
    });
}

} // namespace l2l::cli
