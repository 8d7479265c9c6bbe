// `l2l problems`: the problem classes and update rules with their options.
#include "CliCommon.h"

#include "optimizers/UpdateRule.h"
#include "problems/Problem.h"

#include <iostream>

namespace l2l::cli {

void addProblemsCommand(CLI::App& app)
{
    auto* cmd =
        app.add_subcommand("problems", "List the problem classes and optimizers with their options.\n"
                                       "Specs read NAME or NAME:key=value,... e.g. mnist:hidden=20-20,activation=relu");
    cmd->callback([] {
        std::cout << "Problems (--problem NAME[:key=value,...]):\n";
        for (const auto& p : problemCatalog()) {
            std::cout << "\n  " << p.name << (p.twoD ? "  [2-d]" : "") << "\n    " << p.summary << "\n";
            for (const auto& o : p.options)
                std::cout << "    " << o.key << "=" << o.defaultValue << "    " << o.help << "\n";
        }
        std::cout << "\nOptimizers (--optimizers NAME[:key=value,...],...; lr omitted = tuned):\n";
        for (const auto& u : updateRuleCatalog()) {
            std::cout << "\n  " << u.name << "    " << u.formula << "\n";
            for (const auto& o : u.options)
                std::cout << "    " << o.key << "=" << o.defaultValue << "    " << o.help << "\n";
        }
    });
}

} // namespace l2l::cli
