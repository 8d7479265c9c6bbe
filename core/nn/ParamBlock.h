#pragma once
// How a flat parameter vector theta splits into named blocks and parameter groups. Kernels (nn/ConvNet)
// describe their layout with it; problems expose it; learned optimizers use the groups.
#include "base/Types.h"

#include <string>
#include <vector>

namespace l2l {

// A named run of consecutive coordinates of theta and the parameter group it belongs to. The paper's
// CIFAR experiment trains one LSTM per group (official code: "conv" = the convolution kernels, "fc" =
// everything else); problems without such a split are one block in group 0.
struct ParamBlock {
    std::string name; // e.g. "conv1/w", "fc1/bn_beta"
    Index offset = 0, size = 0;
    int group = 0;
};

// Group of every coordinate of a dim-sized theta. Throws l2l::Error unless the blocks cover [0, dim)
// exactly once, in order, with groups >= 0.
std::vector<int> coordinateGroups(const std::vector<ParamBlock>& blocks, Index dim);
// 1 + the largest group id.
int groupCount(const std::vector<ParamBlock>& blocks);

} // namespace l2l
