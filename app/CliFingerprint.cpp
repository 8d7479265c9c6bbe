// `l2l fingerprint`: hashes of a fixed set of small runs, compared with the committed hashes of the
// default build, so a reader can check that their machine computes the published numbers bit for bit.
#include "CliCommon.h"

#include "base/AtomicFile.h"
#include "base/BuildInfo.h"
#include "measure/Fingerprint.h"
#include "optimizers/OptimizerFile.h"

#include <filesystem>
#include <iomanip>
#include <iostream>

namespace l2l::cli {

void addFingerprintCommand(CLI::App& app)
{
    auto* cmd = app.add_subcommand(
        "fingerprint",
        "Run a fixed set of small evaluations and trainings and print a hash of each result's bits; --check compares "
        "them with the committed hashes of this build's instruction-set level (resources/fingerprints/LEVEL.txt).");
    auto threads = std::make_shared<int>(0);
    auto check = std::make_shared<bool>(false);
    auto expected = std::make_shared<std::string>();
    auto write = std::make_shared<std::string>();
    integerIn(cmd->add_option("--threads", *threads, "threads (0 = all cores; the hashes do not depend on it)")
                  ->capture_default_str(),
              0, 256);
    cmd->add_flag("--check", *check, "compare with the expected hashes; exit 1 on any difference");
    cmd->add_option("--expected", *expected,
                    "the expected-hash file for --check (default: resources/fingerprints/LEVEL.txt)");
    cmd->add_option("--write", *write, "write the hashes to this file (the format --check reads)");
    cmd->callback([=] {
        std::string expectedPath = *expected;
        if (*check && expectedPath.empty()) {
            expectedPath = resourceDir() + "/fingerprints/" + archLevel() + ".txt";
            if (!std::filesystem::exists(expectedPath))
                throw Error("no committed fingerprint for a '" + archLevel() + "' build (looked for " + expectedPath +
                            "): only the default x86-64-v3 build has one; its numbers are the published ones");
        }
        // Read the expected file first: a bad one is reported before the runs.
        const auto want = *check ? readFingerprintFile(expectedPath) : std::map<std::string, std::string>{};
        std::cout << "build: " << buildInfo() << "\n";
        if (*check) {
            // The file's first line names the build that made it: hashes can only match a build of that description.
            const std::string text = readFile(expectedPath);
            const std::string head = text.substr(0, text.find('\n'));
            const std::string mine = "# l2l fingerprint of a '" + buildInfo() + "' build";
            if (head != mine)
                std::cerr << "fingerprint: warning: " << expectedPath << " was made by another build ("
                          << head.substr(0, 200) << "); hashes can match only a build of the same description\n";
        }
        const auto items = runFingerprint(*threads, [](const FingerprintItem& i) {
            std::cout << std::left << std::setw(26) << i.name << " " << i.hash << "  " << std::fixed
                      << std::setprecision(1) << std::right << std::setw(5) << i.seconds << " s  " << i.what << "; "
                      << i.summary << std::endl;
        });
        if (!write->empty()) {
            writeFileAtomically(*write,
                                "# l2l fingerprint of a '" + buildInfo() + "' build\n" + fingerprintFileText(items));
            std::cout << "written to " << *write << "\n";
        }
        if (*check) {
            const auto diffs = compareFingerprint(items, want);
            if (diffs.empty()) {
                std::cout << "fingerprint: all " << items.size() << " hashes match " << expectedPath
                          << ": this machine computes the published numbers bit for bit\n";
            } else {
                for (const auto& d : diffs) std::cerr << "fingerprint: differs: " << d << "\n";
                throw Error("fingerprint: " + std::to_string(diffs.size()) + " of " + std::to_string(items.size()) +
                            " hashes differ from " + expectedPath + " (build: " + buildInfo() + ")");
            }
        }
    });
}

} // namespace l2l::cli
