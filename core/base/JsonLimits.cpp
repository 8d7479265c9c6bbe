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
    } catch (const nlohmann::json::parse_error& e) {
        throw Error(where + " is not valid JSON (" + excerpt(e.what(), 160) + ")" +
                    (text.empty() ? " - the file is empty" : ""));
    }
}

} // namespace l2l
