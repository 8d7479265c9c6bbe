#pragma once
// The one textual form shared by the CLI, saved files and the studio:
//   NAME  or  NAME:key=value,key=value
// e.g. "mnist:hidden=20-20,activation=relu", "quadratic:dim=50", "adam:lr=0.01".
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace l2l {

// One documented option of a problem or optimizer: the declarative table that drives
// parsing, validation, `l2l problems`, and the studio's option editor.
struct OptionInfo {
    std::string key;
    std::string defaultValue;
    std::string help; // includes the allowed range
};

struct Spec {
    std::string name;
    std::vector<std::pair<std::string, std::string>> options; // in the order given

    // Throws l2l::Error on malformed text (empty name, missing '=', empty key, duplicate key).
    static Spec parse(const std::string& text);
    std::string str() const;

    bool has(const std::string& key) const;
    std::string get(const std::string& key, const std::string& fallback) const;
};

// Rejects keys not in `allowed`; the message lists the valid ones. `what` names the owner ("problem 'mnist'").
void checkKeys(const Spec& spec, const std::vector<OptionInfo>& allowed, const std::string& what);

// The range a number option's help states at its end ("in [lo, hi]", "integer in [lo, hi]"), if it states one.
struct NumberRange {
    double lo = 0, hi = 0;
    bool integer = false;
};
std::optional<NumberRange> statedRange(const OptionInfo& option);

// Checks the values of the options whose help ends with their range, "in [lo, hi]" or "integer in [lo, hi]" (the
// catalog's words for a number option), as intOption / doubleOption will when the owner is built, with their
// messages: a bad value is named before anything is built (the studio's panel, a file being opened). Other values
// (names, paths, layer lists) are left to the owner.
void checkValues(const Spec& spec, const std::vector<OptionInfo>& allowed, const std::string& what);

// Typed option readers: throw l2l::Error naming owner, key, allowed range and the bad value.
long long intOption(const Spec& spec, const std::string& key, long long fallback, long long lo, long long hi,
                    const std::string& what);
double doubleOption(const Spec& spec, const std::string& key, double fallback, double lo, double hi,
                    const std::string& what);
std::string choiceOption(const Spec& spec, const std::string& key, const std::string& fallback,
                         const std::vector<std::string>& choices, const std::string& what);

// Strict number parsing (whole string must be consumed, finite). Throws l2l::Error mentioning `field`.
double parseDouble(const std::string& text, const std::string& field);
long long parseInt(const std::string& text, const std::string& field);

// The shortest text that reads back to the same double (0.001, 50, 1e+12), as std::to_chars writes it.
std::string exactNumber(double v);

std::string joinNames(const std::vector<std::string>& names, const std::string& sep = ", ");

// "1 run", "3 runs": a count and its noun, plural (noun + "s") unless the count is 1.
std::string countOf(long long n, const std::string& noun);

} // namespace l2l
