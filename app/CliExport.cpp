// `l2l export`: a trained optimizer for use outside L2L Studio (--torch: a self-contained PyTorch module).
#include "CliCommon.h"

#include "base/AtomicFile.h"
#include "io/TorchExport.h"

#include <cctype>
#include <filesystem>
#include <iostream>
#include <memory>

namespace l2l::cli {

namespace {
bool pythonIdentifier(const std::string& name)
{
    if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) return false;
    for (const char c : name)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
    return true;
}
} // namespace

void addExportCommand(CLI::App& app)
{
    auto torch = std::make_shared<std::string>();
    auto out = std::make_shared<std::string>();
    auto* cmd = app.add_subcommand(
        "export", "Write a trained optimizer file as a self-contained Python module for PyTorch: a "
                  "torch.optim.Optimizer subclass, L2LOptimizer, with the weights embedded and the provenance in its "
                  "docstring. A file using a setting the module cannot reproduce is refused.");
    cmd->add_option("--torch", *torch, "the optimizer file to export (e.g. resources/optimizers/mnist.json)")
        ->required()
        ->type_name("OPTIMIZER.json");
    cmd->add_option("--out", *out, "the Python module to write (e.g. my_optimizer.py), - for standard output")
        ->required()
        ->type_name("FILE.py");
    cmd->callback([=] {
        if (*out == "-") {
            std::cout << torchModule(loadOptimizer(*torch), *torch);
            return;
        }
        checkOutputPath(*out, "--out");
        checkOutputsSpareInputs({{*out, "--out"}}, {{*torch, "read as the optimizer to export (--torch)"}});
        exportTorchModule(*torch, *out);
        const std::filesystem::path path(*out);
        std::cout << "wrote " << *out << ": class L2LOptimizer, from " << *torch << "\n";
        if (path.extension() != ".py" || !pythonIdentifier(path.stem().string()))
            std::cerr << "l2l: note: '" << path.filename().string()
                      << "' cannot be imported by name (a module is NAME.py, NAME a Python identifier); "
                         "importlib can load it from its path\n";
    });
}

} // namespace l2l::cli
