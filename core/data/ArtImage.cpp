#include "data/ArtImage.h"

#include "base/AtomicFile.h"
#include "base/Types.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>

// The stb single-header decoders and the PNG encoder (Debian libstb-dev), compiled into this one file.
// Larger images than this are rejected by stb itself before it allocates anything.
#define STBI_MAX_DIMENSIONS 16384
#define STB_IMAGE_IMPLEMENTATION
#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STBI_FAILURE_USERMSG
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wunused-but-set-variable"
#endif
#include <stb_image.h>
#include <stb_image_write.h>
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

namespace l2l {

namespace {
// A neural-art image is at most a few hundred pixels a side; anything above this many pixels is a
// mistake (a photo straight from a camera), not an input, and would only exhaust memory.
constexpr long long kMaxPixels = 64LL * 1024 * 1024;

float toUnit(std::uint8_t v) { return float(v) * (1.0f / 255.0f); }

// One output sample of a 1-d resampling: a weighted sum of source samples [first, first + weights.size()).
struct Taps {
    int first = 0;
    std::vector<float> weights;
};

// Area averaging when shrinking (output sample i covers source interval [i s, (i + 1) s), s = src/dst,
// each source sample weighted by its overlap), bilinear between sample centres when enlarging.
std::vector<Taps> resampleTaps(int src, int dst)
{
    std::vector<Taps> taps(static_cast<size_t>(dst));
    const double s = double(src) / dst;
    for (int i = 0; i < dst; ++i) {
        Taps& t = taps[size_t(i)];
        if (dst <= src) {
            const double lo = i * s, hi = (i + 1) * s;
            t.first = int(std::floor(lo));
            const int last = std::min(src - 1, int(std::ceil(hi)) - 1);
            for (int k = t.first; k <= last; ++k)
                t.weights.push_back(float((std::min(hi, k + 1.0) - std::max(lo, double(k))) / s));
        } else {
            const double x = std::clamp((i + 0.5) * s - 0.5, 0.0, double(src - 1));
            t.first = std::min(int(std::floor(x)), src - 2 < 0 ? 0 : src - 2);
            const float frac = float(x - t.first);
            t.weights = src == 1 ? std::vector<float>{1.0f} : std::vector<float>{1.0f - frac, frac};
        }
    }
    return taps;
}
} // namespace

std::vector<std::uint8_t> ArtImage::toRgb8() const
{
    std::vector<std::uint8_t> rgb(static_cast<size_t>(width) * height * 3);
    for (int y = 0; y < height; ++y)
        for (int x = 0; x < width; ++x)
            for (int c = 0; c < 3; ++c) {
                const float v = std::clamp(at(c, y, x), 0.0f, 1.0f);
                rgb[(size_t(y) * width + x) * 3 + c] = std::uint8_t(std::lround(v * 255.0f));
            }
    return rgb;
}

ArtImage ArtImage::fromRgb8(const std::uint8_t* rgb, int width, int height)
{
    ArtImage image{width, height, std::vector<float>(static_cast<size_t>(width) * height * 3)};
    for (int y = 0; y < height; ++y)
        for (int x = 0; x < width; ++x)
            for (int c = 0; c < 3; ++c) image.at(c, y, x) = toUnit(rgb[(size_t(y) * width + x) * 3 + c]);
    return image;
}

ArtImage loadArtImage(const std::string& path)
{
    if (!std::filesystem::exists(path)) throw Error("image file '" + path + "' does not exist");
    const std::string bytes = readFile(path); // names the file if it cannot be read
    if (bytes.size() > size_t(std::numeric_limits<int>::max()))
        throw Error("image file '" + path + "' is too large (" + std::to_string(bytes.size()) + " bytes)");
    const auto* data = reinterpret_cast<const stbi_uc*>(bytes.data());
    const int length = int(bytes.size());
    int width = 0, height = 0, channels = 0;
    // The header first: absurd dimensions are refused before any pixel memory is allocated.
    if (!stbi_info_from_memory(data, length, &width, &height, &channels))
        throw Error("image file '" + path +
                    "' is not an image stb can read (PNG, JPEG, BMP, GIF, TGA, PSD, PNM): " + stbi_failure_reason());
    if (width < 1 || height < 1 || (long long)width * height > kMaxPixels)
        throw Error("image file '" + path + "' has absurd dimensions " + std::to_string(width) + "x" +
                    std::to_string(height) + " (at most " + std::to_string(kMaxPixels) + " pixels)");
    // desired_channels = 3: grey becomes RGB, alpha is dropped.
    stbi_uc* rgb = stbi_load_from_memory(data, length, &width, &height, &channels, 3);
    if (!rgb) throw Error("image file '" + path + "' is corrupt or truncated: " + stbi_failure_reason());
    ArtImage image = ArtImage::fromRgb8(rgb, width, height);
    stbi_image_free(rgb);
    return image;
}

ArtImage resizeArtImage(const ArtImage& image, int width, int height)
{
    if (image.empty()) throw Error("resizeArtImage: the source image is empty");
    if (width < 1 || height < 1)
        throw Error("resizeArtImage: target size " + std::to_string(width) + "x" + std::to_string(height) +
                    " must be at least 1x1");
    // Separable: rows first (width), then columns (height).
    const std::vector<Taps> tx = resampleTaps(image.width, width), ty = resampleTaps(image.height, height);
    ArtImage rows{width, image.height, std::vector<float>(size_t(width) * image.height * 3)};
    for (int c = 0; c < 3; ++c)
        for (int y = 0; y < image.height; ++y)
            for (int x = 0; x < width; ++x) {
                const Taps& t = tx[size_t(x)];
                float sum = 0;
                for (size_t k = 0; k < t.weights.size(); ++k) sum += t.weights[k] * image.at(c, y, t.first + int(k));
                rows.at(c, y, x) = sum;
            }
    ArtImage out{width, height, std::vector<float>(size_t(width) * height * 3)};
    for (int c = 0; c < 3; ++c)
        for (int y = 0; y < height; ++y) {
            const Taps& t = ty[size_t(y)];
            for (int x = 0; x < width; ++x) {
                float sum = 0;
                for (size_t k = 0; k < t.weights.size(); ++k) sum += t.weights[k] * rows.at(c, t.first + int(k), x);
                out.at(c, y, x) = sum;
            }
        }
    return out;
}

ArtImage cropSquare(const ArtImage& image, int x0, int y0, int side, int size)
{
    if (side < 1 || x0 < 0 || y0 < 0 || x0 + side > image.width || y0 + side > image.height)
        throw Error("cropSquare: square (" + std::to_string(x0) + ", " + std::to_string(y0) + ") of side " +
                    std::to_string(side) + " is not inside the " + std::to_string(image.width) + "x" +
                    std::to_string(image.height) + " image");
    ArtImage square{side, side, std::vector<float>(size_t(side) * side * 3)};
    for (int c = 0; c < 3; ++c)
        for (int y = 0; y < side; ++y)
            for (int x = 0; x < side; ++x) square.at(c, y, x) = image.at(c, y0 + y, x0 + x);
    return side == size ? square : resizeArtImage(square, size, size);
}

ArtImage centreSquare(const ArtImage& image, int size)
{
    const int side = std::min(image.width, image.height);
    return cropSquare(image, (image.width - side) / 2, (image.height - side) / 2, side, size);
}

void saveArtImagePng(const ArtImage& image, const std::string& path)
{
    if (image.empty()) throw Error("cannot write '" + path + "': the image is empty");
    const std::vector<std::uint8_t> rgb = image.toRgb8();
    std::string png;
    auto append = [](void* context, void* data, int size) {
        static_cast<std::string*>(context)->append(static_cast<const char*>(data), size_t(size));
    };
    if (!stbi_write_png_to_func(append, &png, image.width, image.height, 3, rgb.data(), image.width * 3))
        throw Error("cannot encode '" + path + "' as PNG");
    writeFileAtomically(path, png);
}

} // namespace l2l
