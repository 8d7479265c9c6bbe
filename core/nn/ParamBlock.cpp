// Checks and expands the parameter blocks of a theta (see ParamBlock.h).
#include "nn/ParamBlock.h"

#include <algorithm>
#include <string>

namespace l2l {

std::vector<int> coordinateGroups(const std::vector<ParamBlock>& blocks, Index dim)
{
    std::vector<int> groups;
    groups.reserve(size_t(dim));
    for (const ParamBlock& b : blocks) {
        if (b.offset != Index(groups.size()) || b.size < 0 || b.group < 0)
            throw Error("parameter block '" + b.name + "' (offset " + std::to_string(b.offset) + ", size " +
                        std::to_string(b.size) + ", group " + std::to_string(b.group) +
                        ") does not continue the blocks before it at " + std::to_string(groups.size()));
        groups.insert(groups.end(), size_t(b.size), b.group);
    }
    if (Index(groups.size()) != dim)
        throw Error("parameter blocks cover " + std::to_string(groups.size()) + " coordinates of a " +
                    std::to_string(dim) + "-dimensional theta");
    return groups;
}

int groupCount(const std::vector<ParamBlock>& blocks)
{
    int count = 0;
    for (const ParamBlock& b : blocks) count = std::max(count, b.group + 1);
    return count;
}

} // namespace l2l
