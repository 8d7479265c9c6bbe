#pragma once
// `l2l export --torch`: a learned optimizer as a self-contained Python module for PyTorch. The module defines
// `L2LOptimizer`, a torch.optim.Optimizer subclass that runs the optimizer file's LSTM coordinatewise on any
// model's parameters (one net for all of them, or net k for the param groups marked "net": k), with the file's
// weights embedded bit for bit (base64 of little-endian float32) and its provenance in the docstring and in
// PROVENANCE. It computes in float32 the formulas of core/optimizers/LstmNet.h and LstmOptimizer.cpp in the same
// form (the sigmoid gates as (1 + tanh(z / 2)) / 2, ELU as exp(z) - 1, RNNprop's bias corrections rounded from
// double), so it agrees with `l2l` to float rounding (tests/test_torch_export.cpp measures it).
//
// Every architecture setting of an optimizer file (lstmArchSettings()) changes the update; the module reproduces
// those of torchExportableArchKeys(). A file using anything else is refused, naming the setting: never
// approximated.
#include "optimizers/OptimizerFile.h"

#include <string>
#include <vector>

namespace l2l {

// The architecture settings whose every value the module reproduces: layers, hidden, preprocess, p, output_scale,
// input_layer, output_activation.
const std::vector<std::string>& torchExportableArchKeys();

// Why `file` cannot be exported, or "" if it can. A setting of lstmArchSettings() missing from `known` is accepted
// only at its default value: a setting's default is what files written before it existed do (base/Settings.h),
// which is what the module computes. (`known` is a parameter so that tests can check the refusal.)
std::string torchExportRefusal(const OptimizerFile& file,
                               const std::vector<std::string>& known = torchExportableArchKeys());

// The module's Python source. `source` names the optimizer file (docstring, SOURCE), `moduleName` is what the
// docstring's example imports. Throws l2l::Error naming the file and the setting if torchExportRefusal() refuses it.
std::string torchModule(const OptimizerFile& file, const std::string& source,
                        const std::string& moduleName = "my_optimizer");

// Loads the optimizer file (its checks and messages), writes the module to `outPath` atomically.
void exportTorchModule(const std::string& optimizerPath, const std::string& outPath);

} // namespace l2l
