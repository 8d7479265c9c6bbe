#include "base/Settings.h"
#include "base/Spec.h"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>

namespace l2l {

namespace {

std::string number(double v) { return exactNumber(v); }

std::string rangeNumber(double v, SettingKind kind)
{
    if (kind == SettingKind::Real) return number(v);
    if (v >= 1.8e19) return "2^64 - 1";
    return std::to_string((long long)v);
}

bool inRange(const SettingInfo& f, double v) { return (f.loOpen ? v > f.lo : v >= f.lo) && v <= f.hi; }

[[noreturn]] void outOfRange(const SettingInfo& f, const std::string& got, const std::string& what)
{
    throw Error(what + ": " + settingName(f) + " must be " + settingRange(f) + ", got " + excerpt(got, 60));
}

} // namespace

std::string settingName(const SettingInfo& f) { return f.flag.empty() ? f.key : f.key + " (--" + f.flag + ")"; }

std::string settingRange(const SettingInfo& f)
{
    switch (f.kind) {
    case SettingKind::Bool:
        return "true or false";
    case SettingKind::Text:
        return "a text";
    case SettingKind::Choice: {
        std::string out = "one of ";
        for (size_t i = 0; i < f.choices.size(); ++i) out += (i ? ", " : "") + f.choices[i];
        return out;
    }
    case SettingKind::UInt:
        return "an integer in [" + rangeNumber(f.lo, f.kind) + ", " + rangeNumber(f.hi, f.kind) + "]";
    case SettingKind::Int:
        return "an integer in [" + rangeNumber(f.lo, f.kind) + ", " + rangeNumber(f.hi, f.kind) + "]";
    case SettingKind::Real:
        return std::string("a number in ") + (f.loOpen ? "(" : "[") + rangeNumber(f.lo, f.kind) + ", " +
               rangeNumber(f.hi, f.kind) + "]";
    }
    return "";
}

std::string settingTypeName(const SettingInfo& f)
{
    switch (f.kind) {
    case SettingKind::Int:
        return "INT";
    case SettingKind::UInt:
        return "UINT";
    case SettingKind::Real:
        return "NUMBER";
    case SettingKind::Bool:
        return "";
    case SettingKind::Text:
        return "TEXT";
    case SettingKind::Choice: {
        std::string out;
        for (const auto& c : f.choices) out += (out.empty() ? "" : "|") + c;
        return out;
    }
    }
    return "";
}

std::string settingText(const SettingValue& v)
{
    if (auto* i = std::get_if<long long>(&v)) return std::to_string(*i);
    if (auto* u = std::get_if<std::uint64_t>(&v)) return std::to_string(*u);
    if (auto* d = std::get_if<double>(&v)) return number(*d);
    if (auto* b = std::get_if<bool>(&v)) return *b ? "true" : "false";
    return std::get<std::string>(v);
}

void checkSettingValue(const SettingInfo& f, const SettingValue& v, const std::string& what)
{
    switch (f.kind) {
    case SettingKind::Int: {
        const long long i = std::get<long long>(v);
        if (!inRange(f, double(i))) outOfRange(f, std::to_string(i), what);
        return;
    }
    case SettingKind::UInt:
        return; // every uint64 fits [0, 2^64 - 1]
    case SettingKind::Real: {
        const double d = std::get<double>(v);
        if (!std::isfinite(d) || !inRange(f, d)) outOfRange(f, number(d), what);
        return;
    }
    case SettingKind::Choice: {
        const std::string& s = std::get<std::string>(v);
        for (const auto& c : f.choices)
            if (c == s) return;
        outOfRange(f, "'" + s + "'", what);
    }
    case SettingKind::Bool:
    case SettingKind::Text:
        return;
    }
}

SettingValue parseSettingText(const SettingInfo& f, const std::string& text, const std::string& what)
{
    const std::string name = settingName(f);
    SettingValue v;
    switch (f.kind) {
    case SettingKind::Int:
    case SettingKind::UInt: {
        const bool negative = !text.empty() && text[0] == '-';
        size_t start = negative || (!text.empty() && text[0] == '+') ? 1 : 0;
        if (start >= text.size() || text.find_first_not_of("0123456789", start) != std::string::npos)
            throw Error(what + ": " + name + " must be " + settingRange(f) + ", got '" + excerpt(text, 60) + "'");
        if (f.kind == SettingKind::UInt) {
            if (negative) outOfRange(f, text, what);
            errno = 0;
            const unsigned long long u = std::strtoull(text.c_str() + start, nullptr, 10);
            if (errno == ERANGE) outOfRange(f, text, what);
            v = std::uint64_t(u);
        } else {
            errno = 0;
            const long long i = std::strtoll(text.c_str(), nullptr, 10);
            if (errno == ERANGE) outOfRange(f, text, what);
            v = i;
        }
        break;
    }
    case SettingKind::Real: {
        char* end = nullptr;
        errno = 0;
        const double d = std::strtod(text.c_str(), &end);
        if (text.empty() || end != text.c_str() + text.size() || text.find_first_of(" \t\n") != std::string::npos)
            throw Error(what + ": " + name + " must be " + settingRange(f) + ", got '" + excerpt(text, 60) + "'");
        v = d;
        break;
    }
    case SettingKind::Bool:
        if (text == "true" || text == "1")
            v = true;
        else if (text == "false" || text == "0")
            v = false;
        else
            throw Error(what + ": " + name + " must be true or false, got '" + excerpt(text, 60) + "'");
        break;
    case SettingKind::Choice:
    case SettingKind::Text:
        v = text;
        break;
    }
    checkSettingValue(f, v, what);
    return v;
}

SettingValue settingFromJson(const SettingInfo& f, const nlohmann::json& j, const std::string& what)
{
    const std::string name = "key \"" + f.key + "\"";
    auto wrongType = [&](const char* want) {
        throw Error(what + ": " + name + " must be " + want + ", got " + excerpt(j.dump(), 60));
    };
    SettingValue v;
    switch (f.kind) {
    case SettingKind::Int:
        if (j.is_number_unsigned()) {
            if (j.get<std::uint64_t>() > std::uint64_t(std::numeric_limits<long long>::max()))
                outOfRange(f, j.dump(), what);
            v = (long long)j.get<std::uint64_t>();
        } else if (j.is_number_integer()) {
            v = j.get<long long>();
        } else {
            wrongType("an integer");
        }
        break;
    case SettingKind::UInt:
        if (j.is_number_unsigned())
            v = j.get<std::uint64_t>();
        else if (j.is_number_integer())
            outOfRange(f, j.dump(), what); // negative
        else
            wrongType("a non-negative integer");
        break;
    case SettingKind::Real:
        if (!j.is_number()) wrongType("a number");
        v = j.get<double>();
        break;
    case SettingKind::Bool:
        if (!j.is_boolean()) wrongType("true or false");
        v = j.get<bool>();
        break;
    case SettingKind::Choice:
    case SettingKind::Text:
        if (!j.is_string()) wrongType("a string");
        v = j.get<std::string>();
        break;
    }
    try {
        checkSettingValue(f, v, what);
    } catch (const Error&) {
        throw Error(what + ": " + name + " must be " + settingRange(f) + ", got " + excerpt(j.dump(), 60));
    }
    return v;
}

nlohmann::json settingToJson(const SettingValue& v)
{
    return std::visit([](const auto& x) { return nlohmann::json(x); }, v);
}

int settingsVersionOf(const nlohmann::json& j, int legacy, int current, const std::string& what)
{
    if (!j.contains("settings_version")) return legacy;
    const auto& v = j["settings_version"];
    if (!v.is_number_integer() || v.get<long long>() < 0)
        throw Error(what + ": \"settings_version\" must be a non-negative integer, got " + excerpt(v.dump(), 40));
    if (v.get<long long>() > current)
        throw Error(what + " has settings version " + v.dump() + "; this build reads up to version " +
                    std::to_string(current) + " (a newer l2l wrote it)");
    return int(v.get<long long>());
}

} // namespace l2l
