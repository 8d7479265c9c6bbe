// `l2l`: the headless command line of L2L Studio.
#include "CliCommon.h"

#include "base/BuildInfo.h"

#include <iostream>
#include <string>
#include <vector>

int main(int argc, char** argv)
{
    CLI::App app{"l2l - learning to learn by gradient descent by gradient descent, headless.\n"
                 "Compare optimizers on problem classes and reproduce the paper's figures."};
    app.require_subcommand(1);
    app.set_version_flag("--version", "l2l 0.1.0 (" + l2l::buildInfo() + ")");
    l2l::cli::addProblemsCommand(app);
    l2l::cli::addTuneCommand(app);
    l2l::cli::addEvalCommand(app);
    l2l::cli::addTrainCommand(app);
    l2l::cli::addSelectCommand(app);
    l2l::cli::addTransferCommand(app);
    l2l::cli::addBenchCommand(app);
    l2l::cli::addArtCommand(app);
    l2l::cli::addFingerprintCommand(app);
    std::string line = "l2l";
    for (int i = 1; i < argc; ++i) line += std::string(" ") + argv[i];
    l2l::cli::commandLine() = line;
    l2l::cli::installInterruptHandler();
    if (argc > 1 && argv[1][0] != '-') { // CLI11 would only say "A subcommand is required"
        std::vector<std::string> names;
        bool known = false;
        for (const auto* sub : app.get_subcommands({})) {
            names.push_back(sub->get_name());
            known = known || sub->get_name() == argv[1];
        }
        if (!known) {
            std::cerr << "l2l: unknown command '" << argv[1] << "' (valid commands: " << l2l::joinNames(names) << ")\n";
            return 2;
        }
    }
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    } catch (const l2l::Error& e) {
        std::cerr << "l2l: error: " << e.what() << "\n";
        return 1;
    } catch (const std::exception& e) {
        std::cerr << "l2l: unexpected error: " << e.what() << "\n";
        return 1;
    }
    return l2l::cli::interrupted() ? 130 : 0;
}
