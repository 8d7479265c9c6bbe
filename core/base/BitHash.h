#pragma once
// A 64-bit FNV-1a hash, for fingerprints of a build's arithmetic (measure/Fingerprint.h) and digests of files.
#include <cstddef>
#include <cstdint>
#include <string>

namespace l2l {

// FNV-1a (64-bit) over the IEEE-754 bits of the values added (every NaN hashed as one canonical NaN).
class BitHash {
public:
    void add(double v);
    void add(float v);
    void add(std::int64_t v);
    void add(const std::string& s);
    std::uint64_t value() const { return m_h; }
    std::string hex() const;

private:
    void bytes(const void* p, std::size_t n);
    std::uint64_t m_h = 0xcbf29ce484222325ull;
};

// 16 hex digits (BitHash) of a file's bytes, read with at most `maxBytes` (base/AtomicFile.h readFile: throws
// l2l::Error naming a missing, unreadable or oversized file).
std::string fileDigest(const std::string& path, std::size_t maxBytes);

} // namespace l2l
