// The catalogue of problem classes and the factory that builds one from its spec.
#include "problems/ConvNetProblem.h"
#include "problems/Functions2d.h"
#include "problems/MlpProblem.h"
#include "problems/NeuralArt.h"
#include "problems/Problem.h"
#include "problems/Quadratic.h"
#include "problems/Scaled.h"

#include <algorithm>

namespace l2l {

const std::vector<ProblemInfo>& problemCatalog()
{
    static const std::vector<ProblemInfo> catalog = [] {
        std::vector<ProblemInfo> out{QuadraticClass<float>::info(), MlpClass<float>::info("mnist"),
                                     MlpClass<float>::info("fashion-mnist"), NeuralArtClass<float>::info()};
        for (auto& info : Function2dClass<float>::infos()) out.push_back(std::move(info));
        out.push_back(ConvNetClass<float>::info());
        for (auto& info : out)
            for (auto& option : scalingOptions()) info.options.push_back(option);
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

namespace {
template <typename T>
std::unique_ptr<ProblemClass<T>> makeUnscaledClass(const Spec& spec)
{
    if (spec.name == "quadratic") return std::make_unique<QuadraticClass<T>>(spec);
    if (spec.name == "mnist" || spec.name == "fashion-mnist") return std::make_unique<MlpClass<T>>(spec.name, spec);
    if (spec.name == "neural-art") return std::make_unique<NeuralArtClass<T>>(spec);
    if (spec.name == "convnet") return std::make_unique<ConvNetClass<T>>(spec);
    if (auto kind = function2dKind(spec.name)) return std::make_unique<Function2dClass<T>>(*kind, spec);
    throw Error("internal: problem '" + spec.name + "' is catalogued but not built");
}
} // namespace

Spec checkProblemSpec(const std::string& text)
{
    Spec spec = Spec::parse(text);
    const auto names = problemNames();
    if (std::find(names.begin(), names.end(), spec.name) == names.end())
        throw Error("unknown problem '" + spec.name + "' (valid problems: " + joinNames(names) + ")");
    // Unknown keys are named against every option, the scaling ones (taken off before the class sees the spec)
    // included.
    for (const auto& info : problemCatalog())
        if (info.name == spec.name) {
            checkKeys(spec, info.options, "problem '" + spec.name + "'");
            checkValues(spec, info.options, "problem '" + spec.name + "'");
        }
    return spec;
}

template <typename T>
std::unique_ptr<ProblemClass<T>> makeProblemClass(const std::string& text)
{
    Spec spec = checkProblemSpec(text);
    const Scaling scaling = takeScaling(spec, "problem '" + spec.name + "'");
    return makeScaledClass<T>(makeUnscaledClass<T>(spec), scaling);
}

template std::unique_ptr<ProblemClass<float>> makeProblemClass<float>(const std::string&);
template std::unique_ptr<ProblemClass<double>> makeProblemClass<double>(const std::string&);

} // namespace l2l
