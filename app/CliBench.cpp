// `l2l bench`: kernel timings with the machine's load noted.
#include "CliCommon.h"

#include "base/BuildInfo.h"
#include "measure/Bench.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <ctime>
#include <functional>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <sstream>

#include <fstream>
#include <iomanip>
#include <iostream>
#include <thread>

namespace l2l::cli {

void addBenchCommand(CLI::App& app)
{
    auto* cmd = app.add_subcommand(
        "bench", "Time the MNIST MLP, neural-art and convnet value+gradient, the update rules and the LSTM (medians).");
    auto repeats = std::make_shared<int>(15);
    auto problem = std::make_shared<std::string>("mnist");
    auto dim = std::make_shared<int>(100000);
    auto threads = std::make_shared<int>(2);
    auto peak = std::make_shared<double>(0);
    auto artSize = std::make_shared<int>(128);
    auto json = std::make_shared<std::string>();
    auto only = std::make_shared<std::vector<std::string>>();
    integerIn(cmd->add_option("--repeats", *repeats, "samples per median")->capture_default_str(), 1, 1000);
    cmd->add_option("--problem", *problem, "MLP problem spec to time")->capture_default_str();
    integerIn(cmd->add_option("--rule-dim", *dim, "parameters for the update-rule timing")->capture_default_str(), 1,
              100000000);
    integerIn(
        cmd->add_option("--threads", *threads, "threads for the multi-threaded LSTM timings")->capture_default_str(), 1,
        256);
    integerIn(cmd->add_option("--art-size", *artSize, "image side for the neural-art timing")->capture_default_str(),
              16, 512);
    numberIn(
        cmd->add_option("--peak-gflops", *peak,
                        "fp32 peak per core for the fraction-of-peak column; 0 = measured here by an FMA loop on this "
                        "build's widest SIMD packet")
            ->capture_default_str(),
        0.0, 1e6);
    cmd->add_option("--only", *only,
                    "time only these groups (comma-separated): mlp (the MLP and the update rules), lstm (evaluation "
                    "steps and meta-training episodes), art, convnet; default all")
        ->delimiter(',')
        ->check(CLI::IsMember({"mlp", "lstm", "art", "convnet"}));
    cmd->add_option("--json", *json,
                    "also write every line, the load averages and the peak memory to this JSON file "
                    "(what scripts/make_docs.py reads for the README's speed figures)");
    cmd->callback([=] {
        // The threads a line was measured on, as its note says ("2 threads"); 1 otherwise.
        const auto threadsOf = [&](const BenchLine& line) {
            return line.note.find(std::to_string(*threads) + " thread") != std::string::npos ? *threads : 1;
        };
        std::time_t now = std::time(nullptr);
        char date[32];
        std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
        std::string load = "unknown";
        if (std::ifstream in("/proc/loadavg"); in) std::getline(in, load);
        const std::string loadBefore = load;
        std::cout << "machine: " << std::thread::hardware_concurrency()
                  << " hardware threads; load average before: " << load << "\n";
        const bool measured = *peak <= 0;
        if (measured) *peak = measurePeakGflops();
        // What `threads` threads reach together, measured the same way: the denominator of the multi-threaded
        // lines (a VM's two "cores" may share one core's units).
        const double together = measured && *threads > 1 ? measurePeakGflops(7, *threads) : *peak * *threads;
        std::cout << "fp32 peak per core: " << std::fixed << std::setprecision(1) << *peak << " GFLOP/s ("
                  << (measured ? "measured: fused multiply-adds on independent registers" : "given by --peak-gflops")
                  << "); on " << *threads << " threads together: " << together << " GFLOP/s\n\n";
        std::cout.unsetf(std::ios::fixed);
        const auto peakOf = [&](int cores) { return cores > 1 ? together : *peak; };
        // Each group's peak resident memory: the high-water mark is reset before it runs (Linux: clear_refs 5).
        std::vector<BenchLine> lines;
        struct GroupMemory {
            std::string name;
            double atStart, peak; // MiB
        };
        std::vector<GroupMemory> groupMemory;
        const auto group = [&](const std::string& name, const std::function<std::vector<BenchLine>()>& run) {
            if (!only->empty() && std::find(only->begin(), only->end(), name) == only->end()) return;
#if defined(__GLIBC__)
            malloc_trim(0); // return what the previous group freed, so that it does not count here
#endif
            // Without /proc (not Linux) each group's peak counts from the start of the process.
            if (std::ofstream reset("/proc/self/clear_refs"); reset) reset << "5";
            const double atStart = residentMemoryMiB();
            for (auto& l : run()) lines.push_back(std::move(l));
            groupMemory.push_back({name, atStart, peakMemoryMiB()});
        };
        group("mlp", [&] { return runBenchmarks(*problem, *repeats, *dim); });
        group("lstm", [&] { return runLstmBenchmarks(*problem, *repeats, *threads); });
        group("art", [&] { return std::vector<BenchLine>{runArtBenchmark(*artSize, *repeats)}; });
        group("convnet", [&] { return runConvNetBenchmarks(*threads, *repeats); });
        for (const auto& line : lines) {
            std::cout << std::left << std::setw(70) << line.name << " ";
            if (line.unit == "step" || line.unit == "episode")
                std::cout << std::fixed << std::setprecision(3) << line.median * 1e3 << " ms/" << line.unit;
            else
                std::cout << std::fixed << std::setprecision(3) << line.median * 1e9 << " ns/parameter";
            if (line.flops > 0) {
                const int cores = threadsOf(line);
                const double gflops = line.flops / line.median / 1e9;
                std::cout << "  (" << std::setprecision(1) << line.flops / 1e6 << " MFLOP, " << gflops
                          << " GFLOP/s = " << std::setprecision(0) << 100 * gflops / peakOf(cores) << "% of " << cores
                          << "-thread peak)";
            }
            std::cout << "  [" << line.note << "]\n";
            std::cout.unsetf(std::ios::fixed);
        }
        if (std::ifstream in("/proc/loadavg"); in) std::getline(in, load);
        if (!json->empty()) {
            const auto firstThree = [](const std::string& l) {
                std::istringstream in(l);
                std::string a, b, c;
                in >> a >> b >> c;
                return a + " " + b + " " + c;
            };
            nlohmann::json out = {{"format", "l2l-bench"},
                                  {"version", 1},
                                  {"date", date},
                                  {"tool", "l2l 0.1.0 (" + buildInfo() + ")"},
                                  {"hardware_threads", std::thread::hardware_concurrency()},
                                  {"threads", *threads},
                                  {"repeats", *repeats},
                                  {"peak_gflops_per_core", *peak},
                                  {"peak_measured", measured},
                                  {"peak_gflops_threads_together", together},
                                  {"load_average_before", firstThree(loadBefore)},
                                  {"load_average_after", firstThree(load)},
                                  {"peak_memory_mib", peakMemoryMiB()},
                                  {"group_peak_memory_mib", nlohmann::json::object()},
                                  {"lines", nlohmann::json::array()}};
            for (const auto& g : groupMemory) {
                out["group_peak_memory_mib"][g.name] = g.peak;
                out["group_start_memory_mib"][g.name] = g.atStart;
            }
            for (const auto& line : lines) {
                const int cores = threadsOf(line);
                out["lines"].push_back({{"name", line.name},
                                        {"seconds", line.median},
                                        {"unit", line.unit},
                                        {"flops", line.flops},
                                        {"threads", cores},
                                        {"note", line.note}});
            }
            writeOutput(*json, out.dump(2) + "\n");
        }
        std::cout << "\npeak resident memory of each group (resident at its start, e.g. data sets loaded before):";
        for (const auto& g : groupMemory)
            std::cout << " " << g.name << " " << std::setprecision(0) << std::fixed << g.peak << " MiB (" << g.atStart
                      << ")";
        std::cout << "\nload average after: " << load << "\n";
    });
}

} // namespace l2l::cli
