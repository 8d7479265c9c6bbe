#include "data/ArtImage.h"

#include "base/AtomicFile.h"
#include "base/Types.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>

// Decoders maintained and fuzzed upstream (Debian's libpng and libjpeg-turbo): images come from strangers.
#include <csetjmp>
#include <cstdio> // jpeglib.h needs FILE
#include <jpeglib.h>
#include <png.h>

namespace l2l {

namespace {
// A neural-art image is at most a few hundred pixels a side; anything above this many pixels is a
// mistake (a photo straight from a camera), not an input, and would only exhaust memory.
constexpr long long kMaxPixels = 64LL * 1024 * 1024;
constexpr long long kMaxSide = 16384;
// A PNG or JPEG of the largest accepted size is far smaller than this.
constexpr std::size_t kMaxImageFileBytes = 256u * 1024 * 1024;

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

namespace {
// Interleaved 8-bit RGB as decoded, before conversion to planar float.
struct Rgb8 {
    int width = 0, height = 0;
    std::vector<std::uint8_t> pixels;
};

// Dimensions are checked from the header, before any pixel memory is allocated.
void checkDimensions(const std::string& path, long long width, long long height)
{
    if (width < 1 || height < 1 || width > kMaxSide || height > kMaxSide || width * height > kMaxPixels)
        throw Error("image file '" + path + "' has absurd dimensions " + std::to_string(width) + "x" +
                    std::to_string(height) + " (at most " + std::to_string(kMaxSide) + " a side and " +
                    std::to_string(kMaxPixels) + " pixels)");
}

Rgb8 decodePng(const std::string& path, const std::string& bytes)
{
    png_image png;
    std::memset(&png, 0, sizeof png);
    png.version = PNG_IMAGE_VERSION;
    // The simplified API catches libpng's errors itself and reports them in png.message.
    if (!png_image_begin_read_from_memory(&png, bytes.data(), bytes.size()))
        throw Error("image file '" + path + "' is a corrupt PNG: " + png.message);
    struct Release {
        png_image* image;
        ~Release() { png_image_free(image); }
    } release{&png};
    checkDimensions(path, png.width, png.height);
    // Read as 8-bit sRGB with alpha (not premultiplied at 8 bits) and drop the alpha: grey becomes RGB.
    png.format = PNG_FORMAT_RGBA;
    std::vector<std::uint8_t> rgba(PNG_IMAGE_SIZE(png));
    if (!png_image_finish_read(&png, nullptr, rgba.data(), 0, nullptr))
        throw Error("image file '" + path + "' is corrupt or truncated: " + png.message);
    Rgb8 out{int(png.width), int(png.height), std::vector<std::uint8_t>(size_t(png.width) * png.height * 3)};
    for (size_t i = 0, n = size_t(png.width) * png.height; i < n; ++i) std::memcpy(&out.pixels[3 * i], &rgba[4 * i], 3);
    return out;
}

// libjpeg reports errors through a callback that must not return: it jumps back to the decoder's setjmp.
struct JpegErrors {
    jpeg_error_mgr mgr;
    std::jmp_buf jump;
    std::array<char, JMSG_LENGTH_MAX> message{};
};

// A progressive JPEG can hold thousands of tiny scans that take minutes to decode (libjpeg-turbo's own fuzzers
// limit them the same way); real images have at most a few dozen.
constexpr int kMaxJpegScans = 500;

Rgb8 decodeJpeg(const std::string& path, const std::string& bytes)
{
    jpeg_decompress_struct jpeg;
    JpegErrors errors;
    jpeg.err = jpeg_std_error(&errors.mgr);
    errors.mgr.error_exit = [](j_common_ptr info) {
        auto* e = reinterpret_cast<JpegErrors*>(info->err);
        e->mgr.format_message(info, e->message.data());
        std::longjmp(e->jump, 1);
    };
    // Warnings (level -1) are corrupt data that libjpeg would paper over with grey: refuse the file instead.
    errors.mgr.emit_message = [](j_common_ptr info, int level) {
        if (level >= 0) return;
        info->err->error_exit(info);
    };
    jpeg_progress_mgr progress;
    progress.progress_monitor = [](j_common_ptr info) {
        auto* d = reinterpret_cast<j_decompress_ptr>(info);
        if (info->is_decompressor && d->input_scan_number > kMaxJpegScans) {
            auto* e = reinterpret_cast<JpegErrors*>(info->err);
            std::snprintf(e->message.data(), e->message.size(), "more than %d scans", kMaxJpegScans);
            std::longjmp(e->jump, 2);
        }
    };
    // Everything that must outlive a longjmp is declared before the setjmp; nothing with a destructor is created
    // between it and the calls that can jump.
    Rgb8 out;
    std::string failure;
    if (setjmp(errors.jump) == 0) {
        jpeg_create_decompress(&jpeg);
        jpeg.progress = &progress;
        jpeg.mem->max_memory_to_use = 512L * 1024 * 1024;
        jpeg_mem_src(&jpeg, reinterpret_cast<const unsigned char*>(bytes.data()),
                     static_cast<unsigned long>(bytes.size()));
        jpeg_read_header(&jpeg, TRUE);
        if (jpeg.image_width < 1 || jpeg.image_height < 1 || jpeg.image_width > unsigned(kMaxSide) ||
            jpeg.image_height > unsigned(kMaxSide) || (long long)jpeg.image_width * jpeg.image_height > kMaxPixels) {
            failure = "dims";
        } else {
            jpeg.out_color_space = JCS_RGB; // grey and YCbCr become RGB; CMYK is refused by libjpeg
            jpeg_start_decompress(&jpeg);
            out.width = int(jpeg.output_width);
            out.height = int(jpeg.output_height);
            out.pixels.resize(size_t(out.width) * out.height * 3);
            while (jpeg.output_scanline < jpeg.output_height) {
                JSAMPROW row = out.pixels.data() + size_t(jpeg.output_scanline) * out.width * 3;
                jpeg_read_scanlines(&jpeg, &row, 1);
            }
            jpeg_finish_decompress(&jpeg);
        }
    } else {
        failure = errors.message.data();
        if (failure.empty()) failure = "unknown libjpeg error";
    }
    const long long width = jpeg.image_width, height = jpeg.image_height;
    jpeg_destroy_decompress(&jpeg);
    if (failure == "dims") checkDimensions(path, width, height);
    if (!failure.empty()) throw Error("image file '" + path + "' is a corrupt or truncated JPEG: " + failure);
    return out;
}
} // namespace

ArtImage loadArtImage(const std::string& path)
{
    if (!std::filesystem::exists(path)) throw Error("image file '" + path + "' does not exist");
    const std::string bytes = readFile(path, kMaxImageFileBytes); // names the file if it cannot be read
    static const char pngMagic[] = "\x89PNG\r\n\x1a\n";
    Rgb8 rgb;
    if (bytes.compare(0, 8, pngMagic, 8) == 0)
        rgb = decodePng(path, bytes);
    else if (bytes.size() >= 3 && bytes.compare(0, 3, "\xff\xd8\xff", 3) == 0)
        rgb = decodeJpeg(path, bytes);
    else
        throw Error("image file '" + path + "' is not an image this program reads (PNG or JPEG)");
    return ArtImage::fromRgb8(rgb.pixels.data(), rgb.width, rgb.height);
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
    png_image png;
    std::memset(&png, 0, sizeof png);
    png.version = PNG_IMAGE_VERSION;
    png.width = png_uint_32(image.width);
    png.height = png_uint_32(image.height);
    png.format = PNG_FORMAT_RGB;
    png_alloc_size_t size = 0;
    // First call: the size; second: the bytes.
    if (!png_image_write_to_memory(&png, nullptr, &size, 0, rgb.data(), 0, nullptr))
        throw Error("cannot encode '" + path + "' as PNG: " + png.message);
    std::string bytes(size, '\0');
    if (!png_image_write_to_memory(&png, bytes.data(), &size, 0, rgb.data(), 0, nullptr))
        throw Error("cannot encode '" + path + "' as PNG: " + png.message);
    bytes.resize(size);
    writeFileAtomically(path, bytes);
}

} // namespace l2l
