#pragma once
// The documentation `l2l` writes about itself, from its own option tables: the man page (`l2l --help-man`),
// the bash completion script (`l2l completion bash`) and the exit statuses (--help's footer, the man page).
#include <CLI/CLI.hpp>

#include <string>
#include <utility>
#include <vector>

namespace l2l::cli {

// The exit statuses of `l2l` and what each means.
const std::vector<std::pair<int, std::string>>& exitStatuses();
std::string exitStatusText(); // "Exit status:\n  0    success ...", for --help

// Exit status for a CLI11 parse error: 0 for --help and --version, 1 for a bad value (a failed check or
// conversion), 2 for other misuse (unknown flag, missing required flag or value, extra arguments).
int parseErrorStatus(const CLI::ParseError& e);

std::string manPage(const CLI::App& app, const std::string& version); // troff, man(7)
std::string bashCompletion(const CLI::App& app);

void addCompletionCommand(CLI::App& app); // `l2l completion bash`

} // namespace l2l::cli
