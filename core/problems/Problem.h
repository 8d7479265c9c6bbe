#pragma once
// The optimizee interface. A ProblemClass is a distribution over functions (e.g. "10-d quadratics",
// "MNIST MLPs with fresh initial weights"); sample(seed) draws one Problem from it. A Problem is a
// deterministic function of (theta, step): `step` selects the minibatch, so that every optimizer in a
// paired comparison sees the same data sequence.
#include "base/Spec.h"
#include "base/Types.h"
#include "nn/ParamBlock.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace l2l {

struct TestMetrics {
    double loss = 0.0;
    double accuracy = 0.0; // fraction in [0, 1]
};

template <typename T>
class Problem {
public:
    virtual ~Problem() = default;
    virtual Index dim() const = 0;
    // f(theta) on the data of `step`; writes the exact gradient into `grad` (same size as theta).
    // Not thread-safe (instances keep scratch buffers); use one instance per thread.
    virtual T valueAndGradient(const CVecRef<T>& theta, VecRef<T> grad, int step) = 0;
    // The starting point theta_0 of this instance.
    virtual Vec<T> initialTheta() const = 0;
    // How theta is laid out: named blocks and their parameter groups (default: one block, group 0).
    virtual std::vector<ParamBlock> paramBlocks() const { return {{"theta", 0, dim(), 0}}; }
    // Threads valueAndGradient() may use inside this instance (default 1; most problems ignore it).
    // Results never depend on it.
    virtual void setThreads(int /*threads*/) {}
    // Loss and accuracy on the held-out test split, where the problem has one.
    virtual std::optional<TestMetrics> testMetrics(const CVecRef<T>& /*theta*/) { return std::nullopt; }
    // Exact Hessian-vector product H(theta) v on the data of `step`, for meta-training with second
    // derivatives. Problems without it return false from hasHessianVector().
    virtual bool hasHessianVector() const { return false; }
    virtual void hessianVector(const CVecRef<T>& /*theta*/, const CVecRef<T>& /*v*/, VecRef<T> /*out*/, int /*step*/)
    {
        throw Error("this problem has no Hessian-vector product");
    }
};

template <typename T>
class ProblemClass {
public:
    virtual ~ProblemClass() = default;
    virtual std::unique_ptr<Problem<T>> sample(std::uint64_t seed) const = 0;
    virtual Index dim() const = 0;
    virtual bool hasTestSplit() const { return false; }
    // The layout of every instance's theta (see Problem::paramBlocks()).
    virtual std::vector<ParamBlock> paramBlocks() const { return {{"theta", 0, dim(), 0}}; }
    // Canonical spec: name plus every option with its effective value (used as a cache key).
    virtual std::string canonicalSpec() const = 0;
    // About the bytes one instance holds (parameters, its data and workspace), for the memory budget; a little
    // over rather than under. Data shared by all instances (a data set) is not counted.
    virtual std::uint64_t instanceBytes() const { return 4096 + 8 * std::uint64_t(dim()) * sizeof(T); }
    // About the bytes of workspace each thread evaluating instances holds once, whatever the number of instances
    // (a network's feature maps kept per thread with base/Parallel.h's perThread); not part of instanceBytes().
    virtual std::uint64_t threadBytes() const { return 0; }
};

// One entry of the problem catalogue (`l2l problems`, the studio's problem list).
struct ProblemInfo {
    std::string name;
    std::string summary;
    std::vector<OptionInfo> options;
    bool twoD = false; // drawable as a 2-d landscape
};

const std::vector<ProblemInfo>& problemCatalog();
std::vector<std::string> problemNames();
// The spec's name is a problem, each of its keys one of that problem's options and each number option's value in
// its range (checkValues; other values and data files are checked when the class is built). Cheap: for files that
// name problems (experiments, lessons), on opening, and the studio's options field as it is typed.
// Throws l2l::Error naming the unknown problem (listing the valid ones) or key.
Spec checkProblemSpec(const std::string& spec);

// Parses and validates a spec ("mnist:hidden=40") and builds its class. Throws l2l::Error naming
// the unknown problem (listing valid ones), the bad option, or the missing/corrupt data file.
template <typename T>
std::unique_ptr<ProblemClass<T>> makeProblemClass(const std::string& spec);

} // namespace l2l
