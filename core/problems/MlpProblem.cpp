#include "problems/MlpProblem.h"

#include "base/Parallel.h"
#include "base/Rng.h"
#include "base/SeedStreams.h"

#include <sstream>

namespace l2l {

Index MlpShape::paramCount() const
{
    Index n = 0;
    for (size_t l = 1; l < sizes.size(); ++l) n += Index(sizes[l]) * sizes[l - 1] + sizes[l];
    return n;
}

Index MlpShape::unitsAbove() const
{
    Index n = 0;
    for (size_t l = 1; l < sizes.size(); ++l) n += sizes[l];
    return n;
}

template <typename T>
MlpProblem<T>::MlpProblem(std::shared_ptr<const Dataset> data, MlpShape shape, int batch, std::uint64_t seed,
                          double initStd)
    : m_data(std::move(data)), m_shape(std::move(shape)), m_batch(batch), m_seed(seed)
{
    Rng rng(deriveSeed(seed, kMlpInitialWeights));
    m_theta0.resize(m_shape.paramCount());
    for (Index i = 0; i < m_theta0.size(); ++i) m_theta0(i) = T(initStd * rng.normal());
}

template <typename T>
std::vector<int> MlpProblem<T>::batchIndices(int step) const
{
    return minibatchPositions(m_seed, step, m_batch, m_data->train.count());
}

template <typename T>
void MlpProblem<T>::loadBatch(MlpScratch<T>& s, const ImageSet& set, const std::vector<int>& indices)
{
    const int pixels = set.pixelCount();
    const Index b = Index(indices.size());
    s.x.resize(pixels, b);
    s.labels.resize(indices.size());
    const T scale = T(1.0 / 255.0);
    const auto image = [&](Index j) { return set.pixels.data() + size_t(indices[size_t(j)]) * size_t(pixels); };
    constexpr Index kAhead = 4; // images requested from memory ahead of their conversion (they sit at random places)
    for (Index j = 0; j < std::min(b, kAhead); ++j)
        for (int i = 0; i < pixels; i += 64) __builtin_prefetch(image(j) + i);
    for (Index j = 0; j < b; ++j) {
        if (j + kAhead < b)
            for (int i = 0; i < pixels; i += 64) __builtin_prefetch(image(j + kAhead) + i);
        const std::uint8_t* __restrict src = image(j);
        T* __restrict dst = s.x.col(j).data();
        // T(byte) * T(1/255), as the Eigen cast expression this replaces computed it one element at a time (Eigen has
        // no packet cast from uint8); GCC vectorises this loop (the conversion is exact, the product rounded once).
        for (int i = 0; i < pixels; ++i) dst[i] = T(src[i]) * scale;
        s.labels[size_t(j)] = set.labels[size_t(indices[size_t(j)])];
    }
}

template <typename T>
T MlpProblem<T>::forwardBackward(const CVecRef<T>& theta, MlpScratch<T>& s, T* gradOut, int* correct)
{
    const auto& sizes = m_shape.sizes;
    const size_t layers = sizes.size() - 1;
    const Index b = s.x.cols();
    s.act.resize(layers);
    s.delta.resize(layers);
    // Forward: act[l] (sizes[l+1], B); hidden layers apply the activation, the last stays logits.
    Index off = 0;
    for (size_t l = 0; l < layers; ++l) {
        const int in = sizes[l], out = sizes[l + 1];
        Eigen::Map<const Mat<T>> w(theta.data() + off, out, in);
        Eigen::Map<const Vec<T>> bias(theta.data() + off + Index(out) * in, out);
        off += Index(out) * in + out;
        s.act[l].resize(out, b);
        linearForward<T>(w, bias, l == 0 ? s.x : s.act[l - 1], s.act[l]);
        if (l + 1 < layers) activationForward<T>(m_shape.activation, s.act[l], s.act[l]);
    }
    s.delta[layers - 1].resize(sizes[layers], b);
    const T loss = softmaxCrossEntropy<T>(s.act[layers - 1], s.labels, s.delta[layers - 1], correct);
    if (!gradOut) return loss;
    // Backward, last layer first; delta[l] holds dL/d(pre-activation of layer l).
    for (size_t l = layers; l-- > 0;) {
        const int in = sizes[l], out = sizes[l + 1];
        off -= Index(out) * in + out;
        Eigen::Map<const Mat<T>> w(theta.data() + off, out, in);
        Eigen::Map<Mat<T>> dw(gradOut + off, out, in);
        Eigen::Map<Vec<T>> db(gradOut + off + Index(out) * in, out);
        Mat<T>* din = l > 0 ? &s.delta[l - 1] : nullptr;
        linearBackward<T>(w, l == 0 ? s.x : s.act[l - 1], s.delta[l], dw, db, din);
        if (din) activationBackward<T>(m_shape.activation, s.act[l - 1], *din);
    }
    return loss;
}

template <typename T>
T MlpProblem<T>::valueAndGradient(const CVecRef<T>& theta, VecRef<T> grad, int step)
{
    loadBatch(m_scratch, m_data->train, batchIndices(step));
    return forwardBackward(theta, m_scratch, grad.data(), nullptr);
}

template <typename T>
void MlpProblem<T>::hessianVector(const CVecRef<T>& theta, const CVecRef<T>& v, VecRef<T> out, int step)
{
    // R{x} = d/dr x(theta + r v) at r = 0. Forward: z_l = W_l a_{l-1} + b_l, a_l = act(z_l) (hidden),
    // R{z_l} = V_l a_{l-1} + W_l R{a_{l-1}} + c_l, R{a_l} = act'(z_l) R{z_l}. The backward pass is
    // differentiated the same way; R{dW_l} = R{delta_l} a_{l-1}^T + delta_l R{a_{l-1}}^T is H v.
    MlpScratch<T>& s = m_scratch;
    loadBatch(s, m_data->train, batchIndices(step));
    const auto& sizes = m_shape.sizes;
    const size_t layers = sizes.size() - 1;
    const Index b = s.x.cols();
    const Activation act = m_shape.activation;
    s.act.resize(layers);
    m_rz.resize(layers);
    m_ract.resize(layers);
    s.delta.resize(layers);
    m_rdelta.resize(layers);
    Index off = 0;
    for (size_t l = 0; l < layers; ++l) {
        const int in = sizes[l], outN = sizes[l + 1];
        Eigen::Map<const Mat<T>> w(theta.data() + off, outN, in), vw(v.data() + off, outN, in);
        Eigen::Map<const Vec<T>> bias(theta.data() + off + Index(outN) * in, outN);
        Eigen::Map<const Vec<T>> vb(v.data() + off + Index(outN) * in, outN);
        off += Index(outN) * in + outN;
        const Mat<T>& below = l == 0 ? s.x : s.act[l - 1];
        s.act[l].resize(outN, b);
        linearForward<T>(w, bias, below, s.act[l]);
        m_rz[l].resize(outN, b);
        linearForward<T>(vw, vb, below, m_rz[l]);
        if (l > 0) m_rz[l].noalias() += w * m_ract[l - 1];
        if (l + 1 < layers) {
            activationForward<T>(act, s.act[l], s.act[l]);
            m_ract[l] = m_rz[l];
            activationBackward<T>(act, s.act[l], m_ract[l]);
        }
    }
    // Softmax cross-entropy: delta = (p - y) / B, R{delta} = (p * (R{z} - p . R{z})) / B per column.
    const size_t last = layers - 1;
    s.delta[last].resize(sizes[layers], b);
    softmaxCrossEntropy<T>(s.act[last], s.labels, s.delta[last]);
    Mat<T>& rd = m_rdelta[last];
    rd = s.delta[last];
    for (Index j = 0; j < b; ++j) {
        rd(s.labels[size_t(j)], j) += T(1) / T(b);                                 // p / B
        const T pr = (rd.col(j).array() * m_rz[last].col(j).array()).sum() * T(b); // p . R{z}
        rd.col(j) = (rd.col(j).array() * (m_rz[last].col(j).array() - pr)).matrix();
    }
    for (size_t l = layers; l-- > 0;) {
        const int in = sizes[l], outN = sizes[l + 1];
        off -= Index(outN) * in + outN;
        Eigen::Map<const Mat<T>> w(theta.data() + off, outN, in), vw(v.data() + off, outN, in);
        Eigen::Map<Mat<T>> hw(out.data() + off, outN, in);
        Eigen::Map<Vec<T>> hb(out.data() + off + Index(outN) * in, outN);
        const Mat<T>& below = l == 0 ? s.x : s.act[l - 1];
        hw.noalias() = m_rdelta[l] * below.transpose();
        if (l > 0) hw.noalias() += s.delta[l] * m_ract[l - 1].transpose();
        hb = m_rdelta[l].rowwise().sum();
        if (l == 0) break;
        // delta_{l-1} = act'(z) (W^T delta_l); R{delta_{l-1}} = act'(z) (V^T delta_l + W^T R{delta_l})
        //                                                        + act''(z) R{z} (W^T delta_l)
        s.delta[l - 1].noalias() = w.transpose() * s.delta[l];  // W^T delta_l
        activationCurvature<T>(act, s.act[l - 1], m_rz[l - 1]); // act''(z) R{z} (R{z} no longer needed)
        m_rz[l - 1].array() *= s.delta[l - 1].array();          // act''(z) R{z} (W^T delta_l)
        m_rdelta[l - 1].noalias() = vw.transpose() * s.delta[l];
        m_rdelta[l - 1].noalias() += w.transpose() * m_rdelta[l];
        activationBackward<T>(act, s.act[l - 1], m_rdelta[l - 1]);
        m_rdelta[l - 1] += m_rz[l - 1];
        activationBackward<T>(act, s.act[l - 1], s.delta[l - 1]); // delta_{l-1}
    }
}

template <typename T>
std::optional<TestMetrics> MlpProblem<T>::testMetrics(const CVecRef<T>& theta)
{
    // The chunks' scratch is the thread's: an instance keeps only its minibatch's, so a lane of many instances
    // does not keep a chunk's activations per instance (threadBytes).
    MlpScratch<T>& s = perThread<MlpScratch<T>>(0, [] { return std::make_unique<MlpScratch<T>>(); });
    const ImageSet& test = m_data->test;
    const int chunk = kMlpTestChunk;
    double lossSum = 0;
    long hits = 0;
    std::vector<int> idx;
    for (int start = 0; start < test.count(); start += chunk) {
        const int n = std::min(chunk, test.count() - start);
        idx.resize(size_t(n));
        for (int j = 0; j < n; ++j) idx[size_t(j)] = start + j;
        loadBatch(s, test, idx);
        int correct = 0;
        lossSum += double(forwardBackward(theta, s, nullptr, &correct)) * n;
        hits += correct;
    }
    return TestMetrics{lossSum / test.count(), double(hits) / test.count()};
}

namespace {
std::vector<int> parseHidden(const std::string& text, const std::string& what)
{
    std::vector<int> out;
    if (text == "none") return out;
    const std::string form =
        what + ": option 'hidden' must list 1 to 8 layer sizes joined by '-' (e.g. 20-20) or 'none', got '" + text +
        "'";
    // Every size present: getline below would read "20-" as 20 alone.
    if (text.empty() || text.front() == '-' || text.back() == '-' || text.find("--") != std::string::npos)
        throw Error(form);
    std::stringstream in(text);
    std::string item;
    while (std::getline(in, item, '-')) {
        const long long v = parseInt(item, what + ": option 'hidden'");
        if (v < 1 || v > 4096)
            throw Error(what + ": option 'hidden' sizes must be in [1, 4096], got " + std::to_string(v));
        out.push_back(int(v));
    }
    if (out.empty() || out.size() > 8) throw Error(form);
    return out;
}
} // namespace

template <typename T>
MlpClass<T>::MlpClass(const std::string& name, const Spec& spec) : m_name(name)
{
    const std::string what = "problem '" + name + "'";
    checkKeys(spec, info(name).options, what);
    const std::vector<int> hidden = parseHidden(spec.get("hidden", "20"), what);
    m_shape.activation =
        activationFromName(choiceOption(spec, "activation", "sigmoid", {"sigmoid", "relu", "tanh"}, what));
    m_batch = int(intOption(spec, "batch", 128, 1, 10000, what));
    m_initStd = doubleOption(spec, "init_std", 0.01, 0.0, 10.0, what);
    m_dataDir = spec.has("data") ? spec.get("data", "") : findDatasetDir(name);
    m_data = loadDataset(m_dataDir);
    m_shape.sizes = {m_data->train.pixelCount()};
    m_shape.sizes.insert(m_shape.sizes.end(), hidden.begin(), hidden.end());
    m_shape.sizes.push_back(10);
}

template <typename T>
std::unique_ptr<Problem<T>> MlpClass<T>::sample(std::uint64_t seed) const
{
    return std::make_unique<MlpProblem<T>>(m_data, m_shape, m_batch, seed, m_initStd);
}

template <typename T>
std::string MlpClass<T>::canonicalSpec() const
{
    std::ostringstream out;
    out << m_name << ":hidden=";
    if (m_shape.sizes.size() == 2) out << "none";
    for (size_t l = 1; l + 1 < m_shape.sizes.size(); ++l) out << (l > 1 ? "-" : "") << m_shape.sizes[l];
    out << ",activation=" << activationName(m_shape.activation) << ",batch=" << m_batch << ",init_std=" << m_initStd
        << ",data=" << m_dataDir;
    return out.str();
}

template <typename T>
ProblemInfo MlpClass<T>::info(const std::string& name)
{
    const bool fashion = name == "fashion-mnist";
    return {name,
            std::string("softmax cross-entropy of an MLP on ") + (fashion ? "Fashion-MNIST" : "MNIST") +
                " minibatches (paper Sec. 3.2); test-split loss and accuracy at the end",
            {{"hidden", "20", "hidden layer sizes joined by '-', e.g. 20-20 (1-8 layers of 1-4096 units), or none"},
             {"activation", "sigmoid", "hidden activation: sigmoid, relu or tanh"},
             {"batch", "128", "minibatch size, integer in [1, 10000]"},
             {"init_std", "0.01", "std of the N(0, s^2) initial weights and biases, in [0, 10]"},
             {"data", fashion ? "/usr/share/datasets/fashion-mnist" : "(found per data set)",
              "directory with train-/t10k- images and labels IDX files (plain or .gz); by default searched in "
              "$L2L_MNIST_DIR or $L2L_FASHION_MNIST_DIR, $L2L_DATA_DIR/NAME, the source tree's data/NAME (build tree "
              "only), ~/.local/share/l2l-studio/NAME, /usr/share/datasets/NAME"}},
            false};
}

template class MlpProblem<float>;
template class MlpProblem<double>;
template class MlpClass<float>;
template class MlpClass<double>;

} // namespace l2l
