#include "problems/ConvNetProblem.h"

#include "base/Parallel.h"

#include <cmath>
#include <set>
#include <sstream>

namespace l2l {

namespace {
constexpr int kDatasetClasses = 10; // MNIST, Fashion-MNIST and CIFAR-10 alike
} // namespace

ClassSubset::ClassSubset(std::shared_ptr<const Dataset> set, std::vector<int> kept)
    : data(std::move(set)), classes(std::move(kept))
{
    newLabel.fill(-1);
    for (size_t i = 0; i < classes.size(); ++i) newLabel[size_t(classes[i])] = int(i);
    for (int i = 0; i < data->train.count(); ++i)
        if (newLabel[data->train.labels[size_t(i)]] >= 0) train.push_back(i);
    for (int i = 0; i < data->test.count(); ++i)
        if (newLabel[data->test.labels[size_t(i)]] >= 0) test.push_back(i);
    if (train.empty() || test.empty())
        throw Error("data directory '" + data->dir + "' has no " + (train.empty() ? "training" : "test") +
                    " examples of classes " + classListText(classes, kDatasetClasses));
}

std::vector<int> parseClassList(const std::string& text, int classes, const std::string& what)
{
    const std::string field = what + ": option 'classes'";
    const std::string usage = field + " must be 'all' or classes in [0, " + std::to_string(classes - 1) +
                              "] joined by '+', with ranges a-b (e.g. 0-4, 0+1, 0-2+7), got '" + text + "'";
    std::set<int> kept;
    if (text == "all")
        for (int c = 0; c < classes; ++c) kept.insert(c);
    std::stringstream in(text == "all" ? std::string() : text);
    std::string item;
    while (std::getline(in, item, '+')) {
        const auto dash = item.find('-', 1);
        const long long lo = parseInt(item.substr(0, dash), field);
        const long long hi = dash == std::string::npos ? lo : parseInt(item.substr(dash + 1), field);
        if (lo < 0 || hi >= classes || lo > hi) throw Error(usage);
        for (long long c = lo; c <= hi; ++c) kept.insert(int(c));
    }
    if (kept.size() < 2) throw Error(field + " must keep at least 2 classes, got '" + text + "'");
    return {kept.begin(), kept.end()};
}

std::string classListText(const std::vector<int>& list, int classes)
{
    if (int(list.size()) == classes) return "all";
    std::string out;
    for (size_t i = 0; i < list.size();) {
        size_t j = i;
        while (j + 1 < list.size() && list[j + 1] == list[j] + 1) ++j;
        if (!out.empty()) out += '+';
        out += std::to_string(list[i]);
        if (j > i) out += '-' + std::to_string(list[j]);
        i = j + 1;
    }
    return out;
}

template <typename T>
ConvNetProblem<T>::ConvNetProblem(std::shared_ptr<const ClassSubset> data, const ConvNetShape& shape, int batch,
                                  std::uint64_t seed, double initStd)
    : m_data(std::move(data)), m_shape(shape), m_batch(batch), m_seed(seed), m_theta0(net().initialTheta(seed, initStd))
{}

template <typename T>
ConvNet<T>& ConvNetProblem<T>::net() const
{
    ConvNet<T>& net = perThread<ConvNet<T>>(m_shape, [this] { return std::make_unique<ConvNet<T>>(m_shape); });
    net.setThreads(m_threads);
    return net;
}

template <typename T>
std::vector<int> ConvNetProblem<T>::batchIndices(int step) const
{
    // Positions among the kept training examples.
    std::vector<int> idx = minibatchPositions(m_seed, step, m_batch, int(m_data->train.size()));
    for (int& i : idx) i = m_data->train[size_t(i)];
    return idx;
}

template <typename T>
void ConvNetProblem<T>::loadBatch(const ImageSet& set, const std::vector<int>& indices)
{
    const Index hw = Index(set.rows) * set.cols;
    m_input.resize(Index(indices.size()) * hw, set.channels);
    m_labels.resize(indices.size());
    for (size_t j = 0; j < indices.size(); ++j) {
        const std::uint8_t* image = set.pixels.data() + size_t(indices[j]) * size_t(set.pixelCount());
        for (int c = 0; c < set.channels; ++c)
            m_input.col(c).segment(Index(j) * hw, hw) =
                Eigen::Map<const Eigen::Matrix<std::uint8_t, Eigen::Dynamic, 1>>(image + c * hw, hw)
                    .template cast<T>() *
                T(1.0 / 255.0);
        m_labels[j] = std::uint8_t(m_data->newLabel[set.labels[size_t(indices[j])]]);
    }
}

template <typename T>
T ConvNetProblem<T>::valueAndGradient(const CVecRef<T>& theta, VecRef<T> grad, int step)
{
    loadBatch(m_data->data->train, batchIndices(step));
    return net().lossAndGradient(theta.data(), m_input, m_labels, grad.data(), nullptr);
}

template <typename T>
std::optional<TestMetrics> ConvNetProblem<T>::testMetrics(const CVecRef<T>& theta)
{
    // Chunks of nearly equal size, none much smaller than a training batch: the first n % chunks of them
    // one larger than the rest (two sizes, so the net's scratch is resized at most twice).
    const std::vector<int>& test = m_data->test;
    const size_t n = test.size(), chunks = (n + size_t(m_batch) - 1) / size_t(m_batch);
    const size_t size = n / chunks, larger = n % chunks;
    double lossSum = 0;
    long hits = 0;
    for (size_t i = 0, begin = 0; i < chunks; ++i) {
        const size_t end = begin + size + (i < larger ? 1 : 0);
        const std::vector<int> idx(test.begin() + long(begin), test.begin() + long(end));
        begin = end;
        loadBatch(m_data->data->test, idx);
        int correct = 0;
        lossSum +=
            double(net().lossAndGradient(theta.data(), m_input, m_labels, nullptr, &correct)) * double(idx.size());
        hits += correct;
    }
    return TestMetrics{lossSum / double(n), double(hits) / double(n)};
}

template <typename T>
ConvNetClass<T>::ConvNetClass(const Spec& spec)
{
    const std::string what = "problem 'convnet'";
    checkKeys(spec, info().options, what);
    m_dataset = choiceOption(spec, "dataset", "fashion-mnist", {"fashion-mnist", "mnist", "cifar10"}, what);
    const std::vector<int> classes = parseClassList(spec.get("classes", "all"), kDatasetClasses, what);
    m_shape.convLayers = int(intOption(spec, "conv_layers", 3, 1, 5, what));
    m_shape.channels = int(intOption(spec, "channels", 16, 1, 256, what));
    m_shape.kernel = int(intOption(spec, "kernel", 5, 1, 9, what));
    if (m_shape.kernel % 2 == 0)
        throw Error(what + ": option 'kernel' must be odd ('same' padding is symmetric), got " +
                    std::to_string(m_shape.kernel));
    m_shape.fcUnits = int(intOption(spec, "fc_units", 32, 1, 4096, what));
    m_batch = int(intOption(spec, "batch", 128, 1, 1024, what));
    m_initStd = doubleOption(spec, "init_std", 0.01, 0.0, 10.0, what);
    m_dataDir = spec.has("data") ? spec.get("data", "") : findDatasetDir(m_dataset);
    m_data = std::make_shared<ClassSubset>(loadDataset(m_dataDir, datasetFormat(m_dataset)), classes);
    const ImageSet& train = m_data->data->train;
    m_shape.height = train.rows;
    m_shape.width = train.cols;
    m_shape.inChannels = train.channels;
    m_shape.classes = int(classes.size());
    // One net's scratch (feature maps of the whole batch, a test chunk being one example larger, and a chunk's im2col):
    // refuse what cannot fit.
    const double bytes = double(sizeof(T)) * double(m_shape.scratchValues(m_batch + 1));
    if (bytes > 4.0 * (1 << 30))
        throw Error(what + ": batch=" + std::to_string(m_batch) + ", kernel=" + std::to_string(m_shape.kernel) +
                    " and channels=" + std::to_string(m_shape.channels) + " on " + std::to_string(train.rows) + "x" +
                    std::to_string(train.cols) + " images need " + std::to_string(int(std::ceil(bytes / (1 << 30)))) +
                    " GiB of scratch (at most 4): use a smaller batch, kernel or channel count");
}

template <typename T>
std::unique_ptr<Problem<T>> ConvNetClass<T>::sample(std::uint64_t seed) const
{
    return std::make_unique<ConvNetProblem<T>>(m_data, m_shape, m_batch, seed, m_initStd);
}

template <typename T>
std::string ConvNetClass<T>::canonicalSpec() const
{
    std::ostringstream out;
    out << "convnet:dataset=" << m_dataset << ",classes=" << classListText(m_data->classes, kDatasetClasses)
        << ",conv_layers=" << m_shape.convLayers << ",channels=" << m_shape.channels << ",kernel=" << m_shape.kernel
        << ",fc_units=" << m_shape.fcUnits << ",batch=" << m_batch << ",init_std=" << m_initStd
        << ",data=" << m_dataDir;
    return out.str();
}

template <typename T>
ProblemInfo ConvNetClass<T>::info()
{
    return {"convnet",
            "softmax cross-entropy of a small convnet (conv 5x5 - batch norm - ReLU - max-pool, x3; fully connected "
            "32; paper Sec. 3.3) on Fashion-MNIST, MNIST or CIFAR-10 minibatches; parameter groups conv/fc; "
            "test-split loss and accuracy at the end",
            {{"dataset", "fashion-mnist", "image set: fashion-mnist, mnist or cifar10"},
             {"classes", "all",
              "classes kept, relabelled 0..k-1: all, or classes 0-9 joined by '+' with ranges a-b "
              "(e.g. 0-4, 0+1); at least 2"},
             {"conv_layers", "3", "convolutional layers, integer in [1, 5]"},
             {"channels", "16", "channels of every convolutional layer, integer in [1, 256]"},
             {"kernel", "5", "convolution kernel size, odd integer in [1, 9]"},
             {"fc_units", "32", "units of the hidden fully connected layer, integer in [1, 4096]"},
             {"batch", "128", "minibatch size, integer in [1, 1024]"},
             {"init_std", "0.01", "std of the N(0, s^2) initial weights and biases, in [0, 10]"},
             {"data", "(found per dataset)",
              "directory of the data set: IDX files for (fashion-)mnist, data_batch_1..5.bin and test_batch.bin "
              "for cifar10 (searched: $L2L_CIFAR10_DIR, $L2L_DATA_DIR/cifar10, the source tree's data/cifar10, "
              "~/.local/share/l2l-studio/cifar10, /usr/share/datasets/cifar10)"}},
            false};
}

template class ConvNetProblem<float>;
template class ConvNetProblem<double>;
template class ConvNetClass<float>;
template class ConvNetClass<double>;

} // namespace l2l
