#include "base/JsonLimits.h"

#include "base/AtomicFile.h"
#include "base/Types.h"

namespace l2l {

nlohmann::json parseJsonLimited(const std::string& text, const std::string& where, int maxDepth)
{
    int depth = 0;
    bool inString = false, escaped = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (inString) {
            if (escaped)
                escaped = false;
            else if (c == '\\')
                escaped = true;
            else if (c == '"')
                inString = false;
            continue;
        }
        if (c == '"')
            inString = true;
        else if (c == '[' || c == '{') {
            if (++depth > maxDepth)
                throw Error(where + " is nested deeper than " + std::to_string(maxDepth) + " levels (at byte " +
                            std::to_string(i) + "); no file of this kind nests that deep");
        } else if (c == ']' || c == '}') {
            --depth;
        }
    }
    try {
        return nlohmann::json::parse(text);
    } catch (const nlohmann::json::exception& e) { // a syntax error, or a number too large for a double
        // Without the library's tag ("[json.exception.parse_error.101] "): "parse error at line 3, column 8: ...".
        std::string why = e.what();
        if (const size_t tag = why.find("] "); why.rfind("[json.exception.", 0) == 0 && tag != std::string::npos)
            why.erase(0, tag + 2);
        throw Error(where + " is not valid JSON (" + excerpt(why, 160) + ")" +
                    (text.empty() ? " - the file is empty" : ""));
    }
}

int jsonFormatVersion(const nlohmann::json& doc, const std::string& where, const std::string& format,
                      const std::string& kind)
{
    const auto f = doc.is_object() ? doc.find("format") : doc.end();
    if (!doc.is_object() || f == doc.end() || !f->is_string() || f->get<std::string>() != format)
        throw Error(where + " is not " + kind + " (no \"format\": \"" + format + "\")");
    const auto v = doc.find("version");
    if (v == doc.end() || !v->is_number_integer()) throw Error(where + " has no integer \"version\"");
    try {
        return int(jsonIntegerIn(*v, "version", 0, 1000000));
    } catch (const Error& e) {
        throw Error(where + ": " + e.what());
    }
}

long long jsonIntegerIn(const nlohmann::json& v, const std::string& key, long long lo, long long hi)
{
    if (!v.is_number_integer() || (v.is_number_unsigned() && v.get<std::uint64_t>() > std::uint64_t(hi)) ||
        v.get<long long>() < lo || v.get<long long>() > hi)
        throw Error("key \"" + key + "\" must be an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) +
                    "], got " + excerpt(v.dump(), 40));
    return v.get<long long>();
}

} // namespace l2l
