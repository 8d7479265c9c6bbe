#include "base/Spec.h"

#include "base/Types.h"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <sstream>

namespace l2l {

namespace {
std::string trim(const std::string& s)
{
    const auto b = s.find_first_not_of(" \t");
    if (b == std::string::npos) return {};
    const auto e = s.find_last_not_of(" \t");
    return s.substr(b, e - b + 1);
}
} // namespace

Spec Spec::parse(const std::string& text)
{
    Spec spec;
    const auto colon = text.find(':');
    spec.name = trim(text.substr(0, colon));
    if (spec.name.empty()) throw Error("empty name in '" + text + "' (expected NAME or NAME:key=value,...)");
    if (colon == std::string::npos) return spec;
    std::stringstream rest(text.substr(colon + 1));
    std::string item;
    while (std::getline(rest, item, ',')) {
        item = trim(item);
        if (item.empty()) continue;
        const auto eq = item.find('=');
        if (eq == std::string::npos)
            throw Error("option '" + item + "' in '" + text + "' has no value (expected key=value)");
        std::string key = trim(item.substr(0, eq)), value = trim(item.substr(eq + 1));
        if (key.empty()) throw Error("option with empty key in '" + text + "'");
        if (spec.has(key)) throw Error("option '" + key + "' given twice in '" + text + "'");
        spec.options.emplace_back(std::move(key), std::move(value));
    }
    return spec;
}

std::string Spec::str() const
{
    std::string out = name;
    for (size_t i = 0; i < options.size(); ++i) {
        // A ',' would split the value into another option when read back ("style=scream,beta=0" set beta).
        if (options[i].second.find(',') != std::string::npos)
            throw Error("option '" + options[i].first + "' of '" + name + "': the value '" + options[i].second +
                        "' contains a ',', which the NAME:key=value,... form cannot hold (rename the file?)");
        out += (i == 0 ? ":" : ",") + options[i].first + "=" + options[i].second;
    }
    return out;
}

bool Spec::has(const std::string& key) const
{
    for (const auto& [k, v] : options)
        if (k == key) return true;
    return false;
}

std::string Spec::get(const std::string& key, const std::string& fallback) const
{
    for (const auto& [k, v] : options)
        if (k == key) return v;
    return fallback;
}

std::string countOf(long long n, const std::string& noun)
{
    return std::to_string(n) + " " + noun + (n == 1 ? "" : "s");
}

std::string joinNames(const std::vector<std::string>& names, const std::string& sep)
{
    std::string out;
    for (size_t i = 0; i < names.size(); ++i) out += (i ? sep : "") + names[i];
    return out;
}

void checkKeys(const Spec& spec, const std::vector<OptionInfo>& allowed, const std::string& what)
{
    for (const auto& [key, value] : spec.options) {
        bool ok = false;
        for (const auto& info : allowed) ok = ok || info.key == key;
        if (!ok) {
            std::vector<std::string> names;
            for (const auto& info : allowed) names.push_back(info.key);
            throw Error(what + ": unknown option '" + key +
                        "' (valid options: " + (names.empty() ? std::string("none") : joinNames(names)) + ")");
        }
    }
}

std::optional<NumberRange> statedRange(const OptionInfo& option)
{
    const std::string& help = option.help;
    const size_t open = help.rfind("in [");
    if (open == std::string::npos || help.empty() || help.back() != ']') return std::nullopt;
    const std::string range = help.substr(open + 4, help.size() - open - 5);
    const size_t comma = range.find(", ");
    if (comma == std::string::npos) return std::nullopt;
    NumberRange r;
    try {
        r.lo = parseDouble(range.substr(0, comma), "");
        r.hi = parseDouble(range.substr(comma + 2), "");
    } catch (const Error&) {
        return std::nullopt; // not a numeric range
    }
    r.integer = open >= 8 && help.compare(open - 8, 8, "integer ") == 0;
    return r;
}

void checkValues(const Spec& spec, const std::vector<OptionInfo>& allowed, const std::string& what)
{
    for (const auto& info : allowed) {
        if (!spec.has(info.key)) continue;
        const std::optional<NumberRange> r = statedRange(info);
        if (!r) continue;
        if (r->integer)
            intOption(spec, info.key, 0, static_cast<long long>(r->lo), static_cast<long long>(r->hi), what);
        else
            doubleOption(spec, info.key, 0, r->lo, r->hi, what);
    }
}

double parseDouble(const std::string& text, const std::string& field)
{
    const std::string t = trim(text);
    char* end = nullptr;
    errno = 0;
    // Decimal only: strtod would also read hexadecimal ("0x10" as 16, "0x1p-3") and "inf"/"nan".
    const bool decimal = !t.empty() && t.find_first_not_of("0123456789+-.eE") == std::string::npos;
    const double v = decimal ? std::strtod(t.c_str(), &end) : 0.0;
    if (!decimal || end != t.c_str() + t.size()) throw Error(field + ": '" + text + "' is not a decimal number");
    if (errno == ERANGE && std::abs(v) < 1) // underflow: finite, but not representable
        throw Error(field + ": '" + text + "' is too close to 0 for a double (magnitudes below about 1e-308)");
    if (errno == ERANGE || !std::isfinite(v)) throw Error(field + ": '" + text + "' is not a finite number");
    return v;
}

long long parseInt(const std::string& text, const std::string& field)
{
    const std::string t = trim(text);
    char* end = nullptr;
    errno = 0;
    const long long v = std::strtoll(t.c_str(), &end, 10);
    if (t.empty() || end != t.c_str() + t.size() || errno == ERANGE)
        throw Error(field + ": '" + text + "' is not an integer");
    return v;
}

long long intOption(const Spec& spec, const std::string& key, long long fallback, long long lo, long long hi,
                    const std::string& what)
{
    if (!spec.has(key)) return fallback;
    const std::string field = what + ": option '" + key + "'";
    const long long v = parseInt(spec.get(key, ""), field);
    if (v < lo || v > hi)
        throw Error(field + " must be in [" + std::to_string(lo) + ", " + std::to_string(hi) + "], got " +
                    std::to_string(v));
    return v;
}

double doubleOption(const Spec& spec, const std::string& key, double fallback, double lo, double hi,
                    const std::string& what)
{
    if (!spec.has(key)) return fallback;
    const std::string field = what + ": option '" + key + "'";
    const double v = parseDouble(spec.get(key, ""), field);
    if (v < lo || v > hi) {
        std::ostringstream msg;
        msg << field << " must be in [" << lo << ", " << hi << "], got " << v;
        throw Error(msg.str());
    }
    return v;
}

std::string choiceOption(const Spec& spec, const std::string& key, const std::string& fallback,
                         const std::vector<std::string>& choices, const std::string& what)
{
    const std::string v = spec.get(key, fallback);
    for (const auto& c : choices)
        if (c == v) return v;
    throw Error(what + ": option '" + key + "' must be one of " + joinNames(choices) + ", got '" + v + "'");
}

std::string exactNumber(double v)
{
    char buf[64];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    return std::string(buf, r.ptr);
}

} // namespace l2l
