// The catalogue of problem classes and the factory that builds one from its spec.
#include "ConvNetProblem.h"
#include "Functions2d.h"
#include "MlpProblem.h"
#include "NeuralArt.h"
#include "Problem.h"
#include "Quadratic.h"

#include <algorithm>

namespace l2l {

const std::vector<ProblemInfo>& problemCatalog()
{
    static const std::vector<ProblemInfo> catalog = [] {
        std::vector<ProblemInfo> out{QuadraticClass<float>::info(), MlpClass<float>::info("mnist"),
                                     MlpClass<float>::info("fashion-mnist"), NeuralArtClass<float>::info()};
        for (auto& info : Function2dClass<float>::infos()) out.push_back(std::move(info));
        out.push_back(ConvNetClass<float>::info());
        return out;
    }();
    return catalog;
}

std::vector<std::string> problemNames()
{
    std::vector<std::string> names;
    for (const auto& info : problemCatalog()) names.push_back(info.name);
    return names;
}

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

template <typename T>
std::unique_ptr<ProblemClass<T>> makeProblemClass(const std::string& text)
{
    const Spec spec = Spec::parse(text);
    if (spec.name == "quadratic") return std::make_unique<QuadraticClass<T>>(spec);
    if (spec.name == "mnist" || spec.name == "fashion-mnist") return std::make_unique<MlpClass<T>>(spec.name, spec);
    if (spec.name == "neural-art") return std::make_unique<NeuralArtClass<T>>(spec);
    if (spec.name == "convnet") return std::make_unique<ConvNetClass<T>>(spec);
    if (auto kind = function2dKind(spec.name)) return std::make_unique<Function2dClass<T>>(*kind, spec);
    throw Error("unknown problem '" + spec.name + "' (valid problems: " + joinNames(problemNames()) + ")");
}

template std::unique_ptr<ProblemClass<float>> makeProblemClass<float>(const std::string&);
template std::unique_ptr<ProblemClass<double>> makeProblemClass<double>(const std::string&);

} // namespace l2l
