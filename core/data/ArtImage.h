#pragma once
// RGB images for the neural-art problem: loading PNG and JPEG (through Debian's libpng and libjpeg-turbo, decoders
// fuzzed upstream), resizing, cropping and atomic PNG writing. No Qt: the core stays toolkit-free.
#include <cstdint>
#include <string>
#include <vector>

namespace l2l {

struct ArtImage {
    int width = 0, height = 0;
    std::vector<float> data; // planar RGB: data[(c * height + y) * width + x], nominally in [0, 1]
    bool empty() const { return width == 0 || height == 0; }
    float& at(int c, int y, int x) { return data[(static_cast<std::size_t>(c) * height + y) * width + x]; }
    float at(int c, int y, int x) const { return data[(static_cast<std::size_t>(c) * height + y) * width + x]; }
    // Interleaved 8-bit RGB (row-major), clamped and rounded: for textures and PNG files.
    std::vector<std::uint8_t> toRgb8() const;
    static ArtImage fromRgb8(const std::uint8_t* rgb, int width, int height);
};

// Throws l2l::Error naming the file and the reason (missing, not a PNG or JPEG, corrupt, truncated, too large:
// more than 16384 pixels a side or 64 Mi pixels, refused from the header before decoding).
// Grey and grey+alpha images become RGB; alpha is dropped.
ArtImage loadArtImage(const std::string& path);
// Area-averaging when shrinking, bilinear when enlarging.
ArtImage resizeArtImage(const ArtImage& image, int width, int height);
// The square region (x0, y0, side) of `image`, resized to size x size.
ArtImage cropSquare(const ArtImage& image, int x0, int y0, int side, int size);
// Largest centred square, resized to size x size.
ArtImage centreSquare(const ArtImage& image, int size);
// Writes a PNG through a temporary file and a rename: a crash mid-write keeps the old file.
void saveArtImagePng(const ArtImage& image, const std::string& path);

} // namespace l2l
