#include "base/BitHash.h"

#include "base/AtomicFile.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>

namespace l2l {

void BitHash::bytes(const void* p, std::size_t n)
{
    const auto* b = static_cast<const unsigned char*>(p);
    for (std::size_t i = 0; i < n; ++i) {
        m_h ^= b[i];
        m_h *= 0x100000001b3ull;
    }
}

void BitHash::add(double v)
{
    if (std::isnan(v)) v = std::numeric_limits<double>::quiet_NaN();
    std::uint64_t bits;
    std::memcpy(&bits, &v, sizeof bits);
    bytes(&bits, sizeof bits);
}

void BitHash::add(float v)
{
    if (std::isnan(v)) v = std::numeric_limits<float>::quiet_NaN();
    std::uint32_t bits;
    std::memcpy(&bits, &v, sizeof bits);
    bytes(&bits, sizeof bits);
}

void BitHash::add(std::int64_t v) { bytes(&v, sizeof v); }

void BitHash::add(const std::string& s)
{
    add(std::int64_t(s.size()));
    bytes(s.data(), s.size());
}

std::string BitHash::hex() const
{
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(m_h));
    return buf;
}

std::string fileDigest(const std::string& path, std::size_t maxBytes)
{
    BitHash h;
    h.add(readFile(path, maxBytes));
    return h.hex();
}

} // namespace l2l
