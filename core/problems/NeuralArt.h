#pragma once
// Neural art (paper Sec. 3.4, Gatys-style): theta is an RGB image and
//   f(theta) = alpha * content + beta * style + gamma * total variation,
// with content and style measured on the features of a FIXED, SEEDED, RANDOM-WEIGHT multi-scale
// convolutional network (no pretrained VGG weights exist offline; random features are a documented
// basis for texture statistics: Ustyuzhaninov et al. 2016). Style is matched through Gram matrices at
// every layer, content on one layer's features. Every backward pass is hand-written.
//
// Spec: neural-art:size=64,style=scream,content=train,alpha=..,beta=..,gamma=..,depth=3,...
//   style   a bundled image name (resources/art/NAME.png: scream, hubble) or a PNG/JPEG path
//   content "train" (random crops of the training photos: astronaut, rocket, coffee),
//           "test"  (random crops of the held-out photos: chelsea), or one image name/path
// Images are planar RGB (channel-major, row-major inside a channel), values nominally in [0, 1].
#include "data/ArtImage.h"
#include "problems/Problem.h"

#include <memory>
#include <string>
#include <vector>

namespace l2l {

struct ArtOptions {
    int size = 64; // the image is size x size, in [16, 512]
    std::string style = "scream";
    std::string content = "train";
    // Each term is normalised to O(1) (content by the content features' square norm, style per layer by
    // ||G(style)||^2, total variation in units of a photo's); at these weights a 64x64 image takes on the
    // style's colours and strokes within ~128 Adam steps (lr 0.03) from the content image while keeping
    // its layout: the style term starts near 15 and the content term ends near 0.15.
    double alpha = 1.0;                           // content weight
    double beta = 10.0;                           // style weight
    double gamma = 0.05;                          // total-variation weight
    int depth = 3;                                // conv layers of the feature network, in [1, 5]
    int channels = 16;                            // channels of the first layer (doubling per layer, capped)
    std::uint64_t netSeed = 20160614;             // weights of the feature network
    std::string init = "content";                 // theta_0: "content" (the content image) or "noise" (grey + noise)
    static ArtOptions fromSpec(const Spec& spec); // validates every key and range; throws l2l::Error
    std::string canonicalSpec() const;
};

// Resolves a bundled image name ("scream") to resources/art/NAME.png; anything else is a path.
std::string artImagePath(const std::string& nameOrPath);
std::vector<std::string> bundledArtImages();                      // names in resources/art
std::vector<std::string> artContentSet(const std::string& which); // "train" / "test": names

// Loss broken into its weighted parts (what the canvas shows per image).
struct ArtLoss {
    double content = 0, style = 0, smoothness = 0; // already multiplied by alpha, beta, gamma
    double total() const { return content + style + smoothness; }
};

template <typename T>
class NeuralArtProblem : public Problem<T> {
public:
    // `content` and `style` already at their working size (size x size). `seed` draws theta_0 for
    // init=noise (the function itself does not depend on it).
    NeuralArtProblem(const ArtOptions& options, ArtImage content, ArtImage style, std::uint64_t seed = 0);
    ~NeuralArtProblem() override;
    Index dim() const override;
    T valueAndGradient(const CVecRef<T>& theta, VecRef<T> grad, int step) override;
    Vec<T> initialTheta() const override;
    ArtLoss lossParts(const CVecRef<T>& theta);
    const ArtLoss& lastLoss() const; // the parts of the last valueAndGradient / lossParts call
    const ArtImage& contentImage() const;
    const ArtImage& styleImage() const;
    ArtImage imageOf(const CVecRef<T>& theta) const; // clamped to [0, 1] for display / PNG

private:
    struct Impl;
    std::unique_ptr<Impl> m;
};

template <typename T>
class NeuralArtClass : public ProblemClass<T> {
public:
    explicit NeuralArtClass(const Spec& spec);
    // Instance `seed`: a content image of the set and a random square crop of it (scale and
    // position drawn from the seed), resized to size x size; the style is fixed.
    std::unique_ptr<Problem<T>> sample(std::uint64_t seed) const override;
    std::unique_ptr<NeuralArtProblem<T>> sampleArt(std::uint64_t seed) const; // the same, with its image API
    Index dim() const override;
    std::string canonicalSpec() const override;
    // The image and its copies (8 x 3 values per pixel), the content and style images, two image-sized scratch
    // buffers, the content features of the content image and the Gram matrices; the network's feature maps live
    // per thread (threadBytes).
    std::uint64_t instanceBytes() const override;
    // The feature network's weights and per layer its input, the unfolded 3x3 input and their gradients, and the
    // maps and their gradients: one network per thread (NeuralArtProblem's net()).
    std::uint64_t threadBytes() const override;
    const ArtOptions& options() const { return m_options; }
    static ProblemInfo info();

private:
    ArtOptions m_options;
    std::vector<ArtImage> m_contents; // loaded once, full size
    ArtImage m_style;                 // loaded once, at working size
};

} // namespace l2l
