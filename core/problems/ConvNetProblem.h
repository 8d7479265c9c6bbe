#pragma once
// The convnet problem class (paper Sec. 3.3): softmax cross-entropy of a small convolutional net
// (ConvNet.h) on minibatches sampled from the training split of Fashion-MNIST (default), MNIST or
// CIFAR-10, optionally restricted to a subset of the classes ("CIFAR-5", "CIFAR-2"), whose labels are
// then renumbered 0..k-1 in increasing order and the net has k outputs.
#include "data/Dataset.h"
#include "nn/ConvNet.h"
#include "problems/Problem.h"

#include <array>

namespace l2l {

// A data set restricted to some of its classes: the examples kept and their new labels.
struct ClassSubset {
    std::shared_ptr<const Dataset> data;
    std::vector<int> classes;        // original labels kept, increasing
    std::array<int, 256> newLabel{}; // original label -> 0..k-1, or -1 if dropped
    std::vector<int> train, test;    // indices of the kept examples of each split
    // Keeps the examples whose label is in `classes` (increasing, each < 10).
    ClassSubset(std::shared_ptr<const Dataset> data, std::vector<int> classes);
};

// "all" or items joined by '+', each a class or a range a-b, e.g. "0-4", "0+1", "0-2+7" (the spec syntax
// already uses ',' between options). Returns the increasing, distinct classes; throws l2l::Error naming
// `what` and the option for bad text, classes outside [0, classes), or fewer than two classes.
std::vector<int> parseClassList(const std::string& text, int classes, const std::string& what);
// The canonical text of a class list: "all", or ranges joined by '+'.
std::string classListText(const std::vector<int>& list, int classes);

template <typename T>
class ConvNetProblem : public Problem<T> {
public:
    ConvNetProblem(std::shared_ptr<const ClassSubset> data, const ConvNetShape& shape, int batch, std::uint64_t seed,
                   double initStd);
    Index dim() const override { return m_shape.paramCount(); }
    T valueAndGradient(const CVecRef<T>& theta, VecRef<T> grad, int step) override;
    Vec<T> initialTheta() const override { return m_theta0; }
    std::vector<ParamBlock> paramBlocks() const override { return m_shape.paramBlocks(); }
    void setThreads(int threads) override { m_threads = threads; }
    // Over the test split (of the kept classes), in chunks of the batch size: batch norm keeps training-mode
    // statistics, so every chunk is normalised with its own.
    std::optional<TestMetrics> testMetrics(const CVecRef<T>& theta) override;
    // Train-split indices of the minibatch of `step` (a pure function of seed and step).
    std::vector<int> batchIndices(int step) const;
    // The net's input and (renumbered) labels for these examples of `set`.
    void loadBatch(const ImageSet& set, const std::vector<int>& indices);
    const Mat<T>& batchInput() const { return m_input; }
    const std::vector<std::uint8_t>& batchLabels() const { return m_labels; }

private:
    // The net (its scratch is about 40 MB at batch 128: ConvNetShape::scratchValues) belongs to the calling thread, not to the
    // instance: an evaluation holds one instance per optimizer and run (60 or more), but a thread runs one
    // of them at a time and lossAndGradient() keeps nothing between calls. One net per thread and shape.
    ConvNet<T>& net() const;

    std::shared_ptr<const ClassSubset> m_data;
    ConvNetShape m_shape;
    int m_threads = 1;
    int m_batch;
    std::uint64_t m_seed;
    Vec<T> m_theta0;
    Mat<T> m_input; // (B*H*W x channels), pixels / 255
    std::vector<std::uint8_t> m_labels;
};

template <typename T>
class ConvNetClass : public ProblemClass<T> {
public:
    explicit ConvNetClass(const Spec& spec);
    std::unique_ptr<Problem<T>> sample(std::uint64_t seed) const override;
    Index dim() const override { return m_shape.paramCount(); }
    bool hasTestSplit() const override { return true; }
    std::string canonicalSpec() const override;
    std::vector<ParamBlock> paramBlocks() const override { return m_shape.paramBlocks(); }
    // Parameters (theta_0 and the evaluation's copies) and the batch's input images and labels (a test-split chunk
    // is at most one example larger); the network's feature maps live per thread (threadBytes).
    std::uint64_t instanceBytes() const override
    {
        const std::uint64_t input = std::uint64_t(m_shape.gridHeight(0)) * std::uint64_t(m_shape.gridWidth(0)) *
                                    std::uint64_t(m_shape.layerInChannels(0));
        return 4096 + (8 * std::uint64_t(dim()) + std::uint64_t(m_batch + 1) * (input + 1)) * sizeof(T);
    }
    // The network's scratch (ConvNetShape::scratchValues), one network per thread (ConvNetProblem::net()), sized
    // for a test chunk (a batch plus one), an eighth over for the per-chunk weight gradients (one thread's share of
    // l2l eval's peak on the default conv net, the peak with --threads 2 less that with --threads 1: measured 38 MB,
    // counted 40 MB).
    std::uint64_t threadBytes() const override
    {
        const std::uint64_t values = m_shape.scratchValues(m_batch + 1);
        return 4096 + (values + values / 8) * sizeof(T);
    }
    const ConvNetShape& shape() const { return m_shape; }
    const ClassSubset& data() const { return *m_data; }
    int batch() const { return m_batch; }
    static ProblemInfo info();

private:
    std::string m_dataset, m_dataDir;
    std::shared_ptr<const ClassSubset> m_data;
    ConvNetShape m_shape;
    int m_batch;
    double m_initStd;
};

} // namespace l2l
