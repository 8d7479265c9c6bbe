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
    // Forward over the examples already in m_x/m_labels, then (if grad) backward. Returns mean loss.
    T forwardBackward(const CVecRef<T>& theta, T* gradOut, int* correct);
    void loadBatch(const ImageSet& set, const std::vector<int>& indices);

    std::shared_ptr<const Dataset> m_data;
    MlpShape m_shape;
    int m_batch;
    std::uint64_t m_seed;
    Vec<T> m_theta0;
    // Scratch, sized for the current batch: input (pixels, B), per-layer activations and their gradients.
    Mat<T> m_x;
    std::vector<Mat<T>> m_act, m_delta;
    std::vector<Mat<T>> m_rz, m_ract, m_rdelta; // R{.} of pre-activations, activations, deltas (hessianVector)
    std::vector<std::uint8_t> m_labels;
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
    // Parameters, and per layer the batch's activations, deltas and their R{.} (hessianVector) copies.
    std::uint64_t instanceBytes() const override
    {
        std::uint64_t units = 0;
        for (int s : m_shape.sizes) units += std::uint64_t(s);
        return 4096 + (8 * std::uint64_t(dim()) + 6 * std::uint64_t(m_batch) * units) * sizeof(T);
    }
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
