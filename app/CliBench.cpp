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
    auto* cmd = app.add_subcommand("bench", "Time the MNIST MLP, neural-art and convnet value+gradient, the update rules and the LSTM (medians).");
    auto repeats = std::make_shared<int>(15);
    auto problem = std::make_shared<std::string>("mnist");
    auto dim = std::make_shared<int>(100000);
    auto threads = std::make_shared<int>(2);
    auto peak = std::make_shared<double>(78.4);
    auto artSize = std::make_shared<int>(128);
    cmd->add_option("--repeats", *repeats, "samples per median")->capture_default_str()->check(CLI::Range(1, 1000));
    cmd->add_option("--problem", *problem, "MLP problem spec to time")->capture_default_str();
    cmd->add_option("--rule-dim", *dim, "parameters for the update-rule timing")->capture_default_str()->check(CLI::Range(1, 100000000));
    cmd->add_option("--threads", *threads, "threads for the multi-threaded LSTM timings")->capture_default_str()->check(CLI::Range(1, 256));
    cmd->add_option("--art-size", *artSize, "image side for the neural-art timing")->capture_default_str()->check(CLI::Range(16, 512));
    cmd->add_option("--peak-gflops", *peak, "fp32 peak per core used for the fraction-of-peak column (AVX2+FMA at 2.45 GHz: 78.4)")
        ->capture_default_str();
    cmd->callback([=] {
        std::string load = "unknown";
        if (std::ifstream in("/proc/loadavg"); in) std::getline(in, load);
        std::cout << "machine: " << std::thread::hardware_concurrency() << " hardware threads; load average before: "
                  << load << "\n\n";
        auto lines = runBenchmarks(*problem, *repeats, *dim);
        for (auto& l : runLstmBenchmarks(*problem, *repeats, *threads)) lines.push_back(l);
        lines.push_back(runArtBenchmark(*artSize, *repeats));
        for (auto& l : runConvNetBenchmarks(*threads, *repeats)) lines.push_back(l);
        for (const auto& line : lines) {
            std::cout << std::left << std::setw(70) << line.name << " ";
            if (line.unit == "step" || line.unit == "episode")
                std::cout << std::fixed << std::setprecision(3) << line.median * 1e3 << " ms/" << line.unit;
            else
                std::cout << std::fixed << std::setprecision(3) << line.median * 1e9 << " ns/parameter";
            if (line.flops > 0)
            {
                const int cores = line.note.find(std::to_string(*threads) + " thread") != std::string::npos ? *threads : 1;
                const double gflops = line.flops / line.median / 1e9;
                std::cout << "  (" << std::setprecision(1) << line.flops / 1e6 << " MFLOP, " << gflops << " GFLOP/s = "
                          << std::setprecision(0) << 100 * gflops / (*peak * cores) << "% of " << cores << "-core peak)";
            }
            std::cout << "  [" << line.note << "]\n";
            std::cout.unsetf(std::ios::fixed);
        }
        if (std::ifstream in("/proc/loadavg"); in) std::getline(in, load);
        std::cout << "\npeak resident memory of this benchmark: " << std::setprecision(0) << std::fixed << peakMemoryMiB()
                  << " MiB\nload average after: " << load << "\n";
    });
}

} // namespace l2l::cli
