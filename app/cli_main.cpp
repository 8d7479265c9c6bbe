// `l2l`: the headless command line of L2L Studio.
#include "CliCommon.h"
#include "CliDocs.h"
#include "CliRanks.h"
#include "GitRevision.h"
#include "Version.h"

#include "base/BuildInfo.h"
#include "base/Resources.h"

#include <iostream>
#include <string>
#include <vector>

int main(int argc, char** argv)
{
    CLI::App app{"l2l - learning to learn by gradient descent by gradient descent, headless.\n"
                 "Compare optimizers on problem classes and reproduce the paper's figures."};
    app.require_subcommand(1);
    // The first line is the build description that shipped tuned rates are matched against (scripts/ship_rates.sh).
    const std::string version =
        "l2l " L2L_VERSION " (" + l2l::buildInfo() +
        ")\nrevision: " L2L_GIT_REVISION "\nflags: " L2L_BUILD_FLAGS "\nresources: " + l2l::resourceDir();
    app.set_version_flag("--version", version);
    app.footer(l2l::cli::exitStatusText());
    l2l::cli::addProblemsCommand(app);
    l2l::cli::addTuneCommand(app);
    l2l::cli::addEvalCommand(app);
    l2l::cli::addTrainCommand(app);
    l2l::cli::addSelectCommand(app);
    l2l::cli::addTransferCommand(app);
    l2l::cli::addBenchCommand(app);
    l2l::cli::addArtCommand(app);
    l2l::cli::addFingerprintCommand(app);
    l2l::cli::addExportCommand(app);
    l2l::cli::addCompletionCommand(app);
    l2l::cli::addMpiBenchCommand(app); // hidden, and only in a build with MPI
    // Hidden (no group): the man page, written at build time from these tables.
    app.add_flag_callback(
           "--help-man",
           [&app] {
               std::cout << l2l::cli::manPage(app, "l2l " L2L_VERSION);
               throw CLI::Success();
           },
           "print the man page (troff) and exit")
        ->group("");
    // CLI11's own messages (a missing or unexpected flag, a value out of a flag's range) in the form of ours.
    app.failure_message([](const CLI::App* top, const CLI::Error& e) {
        const auto parsed = top->get_subcommands(); // the command being parsed, if any
        const std::string help =
            parsed.empty() ? std::string("l2l --help") : "l2l " + parsed.front()->get_name() + " --help";
        return std::string("l2l: error: ") + e.what() + "\nRun '" + help + "' for more information.\n";
    });
    std::string line = "l2l";
    for (int i = 1; i < argc; ++i) line += std::string(" ") + argv[i];
    l2l::cli::commandLine() = line;
    l2l::cli::installInterruptHandler(argc > 1 ? argv[1] : "");
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
    // Exit statuses: README "Command line", `l2l --help`, man l2l (app/CliDocs.cpp).
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        app.exit(e);
        return l2l::cli::parseErrorStatus(e);
    } catch (const l2l::Error& e) {
        if (l2l::cli::interrupted()) { // an asked-for stop ("transfer: interrupted after 3 of 16 variants ...")
            std::cerr << "l2l: " << e.what() << "\n";
            return l2l::cli::interruptedStatus();
        }
        std::cerr << "l2l: error: " << e.what() << "\n";
        return 1;
    } catch (const std::exception& e) {
        std::cerr << "l2l: unexpected error: " << e.what() << "\n";
        return l2l::cli::interrupted() ? l2l::cli::interruptedStatus() : 1;
    }
    return l2l::cli::interrupted() ? l2l::cli::interruptedStatus() : 0;
}
