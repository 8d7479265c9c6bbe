#include "problems/NeuralArt.h"

#include "base/Parallel.h"
#include "base/Resources.h"
#include "base/Rng.h"
#include "base/SeedStreams.h"
#include "nn/ConvFeatures.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <sstream>

namespace l2l {

namespace {
const std::string kWhat = "problem 'neural-art'";

// Images ship as resources/art/NAME.png; a value with a '/' or a '.' is a path.
bool looksLikeName(const std::string& s)
{
    return s.find('/') == std::string::npos && s.find('.') == std::string::npos;
}

// The content image is compared on this layer's features (1-based layer 2 as in Gatys et al.'s conv4_2
// role: deep enough to forgive texture, shallow enough to keep the layout).
int contentLayer(int depth) { return std::min(2, depth) - 1; }

// Mean squared neighbour difference of a natural photo at 64x64 (the bundled ones: 0.01-0.03): the
// total-variation term is measured in this unit, so that it is O(1) like the other two.
constexpr double kTvReference = 0.02;

// The style image at working size: its largest centred square, resized to size x size.
ArtImage styleAtSize(const ArtImage& style, int size) { return centreSquare(style, size); }
} // namespace

// ---- options ----------------------------------------------------------------------------------------

ArtOptions ArtOptions::fromSpec(const Spec& spec)
{
    checkKeys(spec, NeuralArtClass<float>::info().options, kWhat);
    ArtOptions o;
    o.size = int(intOption(spec, "size", o.size, 16, 512, kWhat));
    o.style = spec.get("style", o.style);
    o.content = spec.get("content", o.content);
    if (o.style.empty()) throw Error(kWhat + ": option 'style' is empty (a bundled image name or a file path)");
    if (o.content.empty()) throw Error(kWhat + ": option 'content' is empty (train, test, an image name or a path)");
    o.alpha = doubleOption(spec, "alpha", o.alpha, 0.0, 1e6, kWhat);
    o.beta = doubleOption(spec, "beta", o.beta, 0.0, 1e6, kWhat);
    o.gamma = doubleOption(spec, "gamma", o.gamma, 0.0, 1e6, kWhat);
    o.depth = int(intOption(spec, "depth", o.depth, 1, 5, kWhat));
    o.channels = int(intOption(spec, "channels", o.channels, 1, 64, kWhat));
    o.netSeed = std::uint64_t(intOption(spec, "net_seed", (long long)o.netSeed, 0, (1LL << 53), kWhat));
    o.init = choiceOption(spec, "init", o.init, {"content", "noise"}, kWhat);
    if ((o.size >> (o.depth - 1)) < 1)
        throw Error(kWhat + ": option 'depth' " + std::to_string(o.depth) + " is too deep for size " +
                    std::to_string(o.size));
    return o;
}

std::string ArtOptions::canonicalSpec() const
{
    std::ostringstream out;
    out.precision(10);
    out << "neural-art:size=" << size << ",style=" << style << ",content=" << content << ",alpha=" << alpha
        << ",beta=" << beta << ",gamma=" << gamma << ",depth=" << depth << ",channels=" << channels
        << ",net_seed=" << netSeed << ",init=" << init;
    return out.str();
}

std::vector<std::string> bundledArtImages()
{
    std::vector<std::string> names;
    const std::filesystem::path dir = std::filesystem::path(resourceDir()) / "art";
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec))
        if (entry.path().extension() == ".png") names.push_back(entry.path().stem().string());
    std::sort(names.begin(), names.end());
    return names;
}

std::string artImagePath(const std::string& nameOrPath)
{
    if (!looksLikeName(nameOrPath)) return nameOrPath;
    const std::string path = resourceDir() + "/art/" + nameOrPath + ".png";
    if (!std::filesystem::exists(path))
        throw Error("unknown image '" + nameOrPath + "' (bundled images: " + joinNames(bundledArtImages()) +
                    "; or give the path of a PNG or JPEG file)");
    return path;
}

std::vector<std::string> artContentSet(const std::string& which)
{
    if (which == "train") return {"astronaut", "rocket", "coffee"};
    if (which == "test") return {"chelsea"};
    throw Error("unknown content set '" + which + "' (valid: train, test)");
}

// ---- the problem ------------------------------------------------------------------------------------

namespace {
// The feature network of one configuration, one per thread: its activations (tens of MB at 128x128)
// belong to the calling thread, not to the instance, because an evaluation holds one instance per
// optimizer and run while a thread evaluates one of them at a time, and nothing is kept between calls.
struct FeatureKey {
    int size = 0, depth = 0, channels = 0;
    std::uint64_t seed = 0;
    bool operator==(const FeatureKey&) const = default;
};
} // namespace

template <typename T>
struct NeuralArtProblem<T>::Impl {
    ArtOptions options;
    ArtImage content, style;
    std::uint64_t seed = 0;
    int n = 0; // pixels per channel
    FeatureKey key;
    ConvFeatures<T>& net() const
    {
        return perThread<ConvFeatures<T>>(key, [this] {
            return std::make_unique<ConvFeatures<T>>(key.size, key.size, key.depth, key.channels, key.seed);
        });
    }
    std::vector<Mat<T>> styleGrams;  // S_l per layer
    Mat<T> contentFeatures;          // r_{content layer} of the content image
    std::vector<Mat<T>> gram, dgram; // scratch per layer (C_l x C_l)
    Mat<T> tvGrad;                   // scratch (n x 3)
    Vec<T> scratchGrad;              // for lossParts
    ArtLoss last;                    // parts of the last evaluation

    Impl(const ArtOptions& o, ArtImage c, ArtImage s, std::uint64_t sd)
        : options(o), content(std::move(c)), style(std::move(s)), seed(sd),
          n(o.size * o.size), key{o.size, o.depth, o.channels, o.netSeed}, tvGrad(n, 3), scratchGrad(3 * n)
    {
        ConvFeatures<T>& net = this->net();
        const Vec<T> styleTheta = Eigen::Map<const Eigen::VectorXf>(style.data.data(), 3 * n).template cast<T>();
        net.forward(styleTheta.data());
        for (int l = 0; l < net.depth(); ++l) {
            const Index c = net.features(l).cols();
            gram.emplace_back(c, c);
            dgram.emplace_back(c, c);
            styleGrams.emplace_back(c, c);
            gramForward<T>(net.features(l), styleGrams.back());
        }
        const Vec<T> contentTheta = Eigen::Map<const Eigen::VectorXf>(content.data.data(), 3 * n).template cast<T>();
        net.forward(contentTheta.data());
        contentFeatures = net.features(contentLayer(o.depth));
    }

    // f(theta) in its three weighted parts; the gradient of their sum into grad.
    ArtLoss evaluate(const T* theta, T* grad)
    {
        ConvFeatures<T>& net = this->net();
        net.forward(theta);
        ArtLoss loss;
        const int depth = net.depth();
        const T styleScale = T(options.beta / depth); // the style term is the mean over layers
        for (int l = 0; l < depth; ++l)
            loss.style += double(styleLayerLoss<T>(net.features(l), styleGrams[size_t(l)], styleScale, gram[size_t(l)],
                                                   dgram[size_t(l)], net.featureGrad(l)));
        loss.style *= options.beta / depth;
        const int lc = contentLayer(depth);
        loss.content = options.alpha *
                       double(contentLoss<T>(net.features(lc), contentFeatures, T(options.alpha), net.featureGrad(lc)));
        net.backward(grad);
        tvGrad.setZero();
        Eigen::Map<const Mat<T>> image(theta, n, 3);
        const double tvWeight = options.gamma / kTvReference;
        loss.smoothness = tvWeight * double(totalVariation<T>(image, options.size, options.size, T(tvWeight), tvGrad));
        Eigen::Map<Mat<T>>(grad, n, 3) += tvGrad;
        last = loss;
        return loss;
    }
};

template <typename T>
NeuralArtProblem<T>::NeuralArtProblem(const ArtOptions& options, ArtImage content, ArtImage style, std::uint64_t seed)
{
    for (const ArtImage* image : {&content, &style})
        if (image->width != options.size || image->height != options.size)
            throw Error("neural-art: " + std::string(image == &content ? "content" : "style") + " image is " +
                        std::to_string(image->width) + "x" + std::to_string(image->height) + ", expected " +
                        std::to_string(options.size) + "x" + std::to_string(options.size));
    m = std::make_unique<Impl>(options, std::move(content), std::move(style), seed);
}

template <typename T>
NeuralArtProblem<T>::~NeuralArtProblem() = default;

template <typename T>
Index NeuralArtProblem<T>::dim() const
{
    return 3 * Index(m->n);
}

template <typename T>
T NeuralArtProblem<T>::valueAndGradient(const CVecRef<T>& theta, VecRef<T> grad, int /*step*/)
{
    return T(m->evaluate(theta.data(), grad.data()).total());
}

template <typename T>
ArtLoss NeuralArtProblem<T>::lossParts(const CVecRef<T>& theta)
{
    return m->evaluate(theta.data(), m->scratchGrad.data());
}

template <typename T>
const ArtLoss& NeuralArtProblem<T>::lastLoss() const
{
    return m->last;
}

template <typename T>
Vec<T> NeuralArtProblem<T>::initialTheta() const
{
    if (m->options.init == "content")
        return Eigen::Map<const Eigen::VectorXf>(m->content.data.data(), dim()).template cast<T>();
    // "noise": mid-grey plus N(0, 0.1^2) per value, drawn from the instance seed.
    Rng rng(deriveSeed(m->seed, kArtInitialNoise));
    Vec<T> theta(dim());
    for (Index i = 0; i < theta.size(); ++i) theta(i) = T(0.5 + 0.1 * rng.normal());
    return theta;
}

template <typename T>
const ArtImage& NeuralArtProblem<T>::contentImage() const
{
    return m->content;
}

template <typename T>
const ArtImage& NeuralArtProblem<T>::styleImage() const
{
    return m->style;
}

template <typename T>
ArtImage NeuralArtProblem<T>::imageOf(const CVecRef<T>& theta) const
{
    ArtImage image{m->options.size, m->options.size, std::vector<float>(size_t(dim()))};
    Eigen::Map<Eigen::VectorXf>(image.data.data(), dim()) = theta.template cast<float>().cwiseMax(0.0f).cwiseMin(1.0f);
    return image;
}

// ---- the class --------------------------------------------------------------------------------------

template <typename T>
NeuralArtClass<T>::NeuralArtClass(const Spec& spec) : m_options(ArtOptions::fromSpec(spec))
{
    const bool isSet = m_options.content == "train" || m_options.content == "test";
    const std::vector<std::string> names =
        isSet ? artContentSet(m_options.content) : std::vector<std::string>{m_options.content};
    for (const std::string& name : names) m_contents.push_back(loadArtImage(artImagePath(name)));
    m_style = styleAtSize(loadArtImage(artImagePath(m_options.style)), m_options.size);
}

template <typename T>
std::unique_ptr<NeuralArtProblem<T>> NeuralArtClass<T>::sampleArt(std::uint64_t seed) const
{
    const int size = m_options.size;
    const bool isSet = m_options.content == "train" || m_options.content == "test";
    if (!isSet)
        return std::make_unique<NeuralArtProblem<T>>(m_options, centreSquare(m_contents[0], size), m_style, seed);
    // A content image of the set, a square of side 60-100 % of its short side at a random position.
    Rng rng(deriveSeed(seed, kArtContentCrop));
    const ArtImage& image = m_contents[size_t(rng.below(m_contents.size()))];
    const int shortSide = std::min(image.width, image.height);
    const int side = std::clamp(int(std::lround(shortSide * (0.6 + 0.4 * rng.uniform()))), 1, shortSide);
    const int x0 = int(rng.below(std::uint64_t(image.width - side + 1)));
    const int y0 = int(rng.below(std::uint64_t(image.height - side + 1)));
    return std::make_unique<NeuralArtProblem<T>>(m_options, cropSquare(image, x0, y0, side, size), m_style, seed);
}

template <typename T>
std::unique_ptr<Problem<T>> NeuralArtClass<T>::sample(std::uint64_t seed) const
{
    return sampleArt(seed);
}

template <typename T>
std::uint64_t NeuralArtClass<T>::instanceBytes() const
{
    const auto shapes = convFeatureShapes(m_options.size, m_options.size, m_options.depth, m_options.channels);
    const std::uint64_t pixels = std::uint64_t(m_options.size) * std::uint64_t(m_options.size);
    std::uint64_t values = pixels * (8 * 3 + 4 * 3); // theta and its copies; content, style, two scratch images
    if (!shapes.empty()) {
        const ConvLayerShape& c = shapes[size_t(contentLayer(int(shapes.size())))];
        values += std::uint64_t(c.height) * std::uint64_t(c.width) * std::uint64_t(c.out);
    }
    for (const auto& s : shapes) values += 3 * std::uint64_t(s.out) * std::uint64_t(s.out); // Gram matrices
    return 4096 + values * sizeof(T);
}

template <typename T>
std::uint64_t NeuralArtClass<T>::threadBytes() const
{
    const std::uint64_t values =
        convFeatureValues(convFeatureShapes(m_options.size, m_options.size, m_options.depth, m_options.channels));
    // An eighth over for the temporaries of the passes (measured one thread's share of l2l eval's peak: 15.7 MB at
    // 128x128 and 61.4 MB at 256x256 against 15.2 MB and 60.5 MB counted by convFeatureValues).
    return 4096 + (values + values / 8) * sizeof(T);
}

template <typename T>
Index NeuralArtClass<T>::dim() const
{
    return 3 * Index(m_options.size) * m_options.size;
}

template <typename T>
std::string NeuralArtClass<T>::canonicalSpec() const
{
    return m_options.canonicalSpec();
}

template <typename T>
ProblemInfo NeuralArtClass<T>::info()
{
    const ArtOptions d;
    auto num = [](double v) {
        std::ostringstream s;
        s << v;
        return s.str();
    };
    return {"neural-art",
            "Gatys-style neural art (paper Sec. 3.4): theta is a size x size RGB image; alpha content + beta style "
            "(Gram matrices) + gamma total variation, on the features of a fixed random-weight conv net",
            {{"size", std::to_string(d.size), "image side in pixels, integer in [16, 512]"},
             {"style", d.style, "style image: a bundled name (scream, hubble) or a PNG/JPEG path"},
             {"content", d.content,
              "train (random crops of astronaut, rocket, coffee), test (of chelsea), or one image name/path"},
             {"alpha", num(d.alpha), "content weight, in [0, 1e6]"},
             {"beta", num(d.beta), "style weight, in [0, 1e6]"},
             {"gamma", num(d.gamma), "total-variation weight, in [0, 1e6]"},
             {"depth", std::to_string(d.depth), "conv layers of the feature network, integer in [1, 5]"},
             {"channels", std::to_string(d.channels), "channels of the first layer (doubling, at most 64), in [1, 64]"},
             {"net_seed", std::to_string(d.netSeed), "seed of the feature network's random weights"},
             {"init", d.init, "theta_0: content (the content image) or noise (grey + N(0, 0.1^2))"}},
            false};
}

template class NeuralArtProblem<float>;
template class NeuralArtProblem<double>;
template class NeuralArtClass<float>;
template class NeuralArtClass<double>;

} // namespace l2l
