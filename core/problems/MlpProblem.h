#pragma once
// Softmax cross-entropy of an MLP classifier on minibatches of a labelled image set (paper Sec. 3.2):
// default 784-20-10 with sigmoid hidden units, batch 128, weights and biases N(0, 0.01^2) as in the
// official code. theta packs, layer by layer, W (out x in, column-major) then b (out).
#include "data/Dataset.h"
#include "nn/Mlp.h"
#include "problems/Problem.h"

namespace l2l {

struct MlpShape {
    std::vector<int> sizes; // input, hidden..., classes
    Activation activation = Activation::Sigmoid;
    Index paramCount() const;
    Index unitsAbove() const; // the units of every layer but the input (hidden..., classes)
};

// Examples per forward pass of the test split (testMetrics).
inline constexpr int kMlpTestChunk = 1000;

// The examples of one forward pass (pixels, B) and their labels, and per layer the activations and their
// gradients: an instance keeps one for its minibatch; the test split's chunks use one per thread.
template <typename T>
struct MlpScratch {
    Mat<T> x;
    std::vector<Mat<T>> act, delta;
    std::vector<std::uint8_t> labels;
    // What one holds for `examples` examples of `shape`.
    static std::uint64_t bytes(const MlpShape& shape, int examples)
    {
        return (std::uint64_t(shape.sizes.front()) + 2 * std::uint64_t(shape.unitsAbove())) * std::uint64_t(examples) *
                   sizeof(T) +
               std::uint64_t(examples);
    }
};

template <typename T>
class MlpProblem : public Problem<T> {
public:
    MlpProblem(std::shared_ptr<const Dataset> data, MlpShape shape, int batch, std::uint64_t seed, double initStd);
    Index dim() const override { return m_shape.paramCount(); }
    T valueAndGradient(const CVecRef<T>& theta, VecRef<T> grad, int step) override;
    Vec<T> initialTheta() const override { return m_theta0; }
    std::optional<TestMetrics> testMetrics(const CVecRef<T>& theta) override;
    // Exact H(theta) v on the minibatch of `step` (Pearlmutter's R-operator: one forward and one backward
    // pass of directional derivatives beside the ordinary ones).
    bool hasHessianVector() const override { return true; }
    void hessianVector(const CVecRef<T>& theta, const CVecRef<T>& v, VecRef<T> out, int step) override;
    // Train-split indices of the minibatch used at `step` (a pure function of seed and step).
    std::vector<int> batchIndices(int step) const;

private:
    // Forward over the examples already in s.x/s.labels, then (if grad) backward. Returns mean loss.
    T forwardBackward(const CVecRef<T>& theta, MlpScratch<T>& s, T* gradOut, int* correct);
    static void loadBatch(MlpScratch<T>& s, const ImageSet& set, const std::vector<int>& indices);

    std::shared_ptr<const Dataset> m_data;
    MlpShape m_shape;
    int m_batch;
    std::uint64_t m_seed;
    Vec<T> m_theta0;
    MlpScratch<T> m_scratch;                    // the current minibatch's
    std::vector<Mat<T>> m_rz, m_ract, m_rdelta; // R{.} of pre-activations, activations, deltas (hessianVector)
};

template <typename T>
class MlpClass : public ProblemClass<T> {
public:
    // `name` is "mnist" or "fashion-mnist": it picks the default data directory.
    MlpClass(const std::string& name, const Spec& spec);
    std::unique_ptr<Problem<T>> sample(std::uint64_t seed) const override;
    Index dim() const override { return m_shape.paramCount(); }
    bool hasTestSplit() const override { return true; }
    std::string canonicalSpec() const override;
    // The initial parameters, the minibatch's scratch and the three R{.} copies of its activations
    // (hessianVector, counted whether or not it is used).
    std::uint64_t instanceBytes() const override
    {
        return 4096 + std::uint64_t(dim()) * sizeof(T) + MlpScratch<T>::bytes(m_shape, m_batch) +
               3 * std::uint64_t(m_shape.unitsAbove()) * std::uint64_t(m_batch) * sizeof(T);
    }
    // The test split's chunk scratch, one per thread (testMetrics).
    std::uint64_t threadBytes() const override { return 4096 + MlpScratch<T>::bytes(m_shape, kMlpTestChunk); }
    const MlpShape& shape() const { return m_shape; }
    int batch() const { return m_batch; }
    static ProblemInfo info(const std::string& name);

private:
    std::string m_name, m_dataDir;
    std::shared_ptr<const Dataset> m_data;
    MlpShape m_shape;
    int m_batch;
    double m_initStd;
};

} // namespace l2l
