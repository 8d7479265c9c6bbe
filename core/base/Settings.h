#pragma once
// A settings struct described once, as a table. Each row names one field: its JSON key, its command-line flag,
// its label and help text in the studio, its type and range, the settings version that added it, and how to
// read and write it in the struct. Everything else is generated from the table:
//
//   checkSettings    validation, naming the key and the flag ("horizon (--horizon) must be in [1, 100000], got 0")
//   settingsToJson   the JSON object written to experiment files, checkpoints and optimizer provenance
//   settingsFromJson reading it back: strict types (an integer must be an integer that fits, no wrap-around,
//                    no truncation of 1.5), every value range-checked, unknown keys refused, and one policy for
//                    missing keys (below)
//   setSettingText   parsing a command-line or form value, with the same checks
//   settingsCommand  the command line that reproduces a struct (" --epochs 2000 --lr 0.01 ...")
//
// Missing keys: a settings object carries "settings_version" (the table's version when it was written). A key
// that the writing version did not know (Setting::since > that version) takes its default; a key it knew is
// required. Files written before settings were versioned have no "settings_version": each format says which
// version such files are (e.g. 0 = every key optional).
//
// Modelled on LBFGSpp's documented parameter structs with check_param(), with the documentation turned into data.
#include "base/AtomicFile.h"
#include "base/Types.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

namespace l2l {

enum class SettingKind { Int, UInt, Real, Bool, Choice, Text };

// Where a field appears (bit mask).
enum SettingUse : unsigned {
    kInFile = 1,    // the JSON of every format that stores the struct
    kInCli = 2,     // a command-line flag
    kInForm = 4,    // a row of the studio's form
    kInCommand = 8, // always written in a recorded command line (others only when not at their default)
};

using SettingValue = std::variant<long long, std::uint64_t, double, bool, std::string>;

template <typename S>
struct Setting {
    std::string key;   // JSON key, snake_case ("learning_rate")
    std::string flag;  // command-line flag without the dashes ("lr"); "" = none
    std::string label; // the studio's form label ("Meta learning rate")
    std::string help;  // one sentence: what it does, in the user's terms
    SettingKind kind = SettingKind::Int;
    double lo = 0, hi = 0;            // inclusive range of Int, UInt and Real
    bool loOpen = false;              // Real: lo itself excluded, "(0, 1]"
    std::vector<std::string> choices; // Choice: the accepted names
    int since = 1;                    // the settings version that added the field
    unsigned use = kInFile | kInCli | kInForm;
    std::function<SettingValue(const S&)> get;
    std::function<void(S&, const SettingValue&)> set; // the value is already checked
};

template <typename S>
struct SettingsTable {
    std::string what; // names the struct in messages: "train"
    std::vector<Setting<S>> fields;
    int version() const // the current settings version: the largest `since`
    {
        int v = 1;
        for (const auto& f : fields) v = std::max(v, f.since);
        return v;
    }
    const Setting<S>* find(const std::string& key) const
    {
        for (const auto& f : fields)
            if (f.key == key) return &f;
        return nullptr;
    }
};

// ---- rows, from a member accessor such as [](auto& c) -> auto& { return c.epochs; } ----

// The row's description; the typed helpers below add how to read and write the field.
template <typename S>
Setting<S> settingRow(std::string key, std::string flag, std::string label, std::string help, SettingKind kind,
                      int since, unsigned use)
{
    Setting<S> s;
    s.key = std::move(key);
    s.flag = std::move(flag);
    s.label = std::move(label);
    s.help = std::move(help);
    s.kind = kind;
    s.since = since;
    s.use = use;
    return s;
}

// A field read and written as V (the SettingValue alternative of its kind).
template <typename V, typename S, typename Ref>
void accessAs(Setting<S>& s, Ref ref)
{
    s.get = [ref](const S& c) { return SettingValue(V(ref(const_cast<S&>(c)))); };
    s.set = [ref](S& c, const SettingValue& v) {
        using T = std::remove_reference_t<decltype(ref(c))>;
        ref(c) = T(std::get<V>(v));
    };
}

template <typename S, typename Ref>
Setting<S> intSetting(std::string key, std::string flag, std::string label, std::string help, long long lo,
                      long long hi, Ref ref, int since = 1, unsigned use = kInFile | kInCli | kInForm)
{
    Setting<S> s = settingRow<S>(key, flag, label, help, SettingKind::Int, since, use);
    s.lo = double(lo);
    s.hi = double(hi);
    accessAs<long long>(s, ref);
    return s;
}

template <typename S, typename Ref>
Setting<S> uintSetting(std::string key, std::string flag, std::string label, std::string help, Ref ref, int since = 1,
                       unsigned use = kInFile | kInCli | kInForm)
{
    Setting<S> s = settingRow<S>(key, flag, label, help, SettingKind::UInt, since, use);
    s.hi = 18446744073709551615.0;
    accessAs<std::uint64_t>(s, ref);
    return s;
}

template <typename S, typename Ref>
Setting<S> realSetting(std::string key, std::string flag, std::string label, std::string help, double lo, double hi,
                       bool loOpen, Ref ref, int since = 1, unsigned use = kInFile | kInCli | kInForm)
{
    Setting<S> s = settingRow<S>(key, flag, label, help, SettingKind::Real, since, use);
    s.lo = lo;
    s.hi = hi;
    s.loOpen = loOpen;
    accessAs<double>(s, ref);
    return s;
}

template <typename S, typename Ref>
Setting<S> boolSetting(std::string key, std::string flag, std::string label, std::string help, Ref ref, int since = 1,
                       unsigned use = kInFile | kInCli | kInForm)
{
    Setting<S> s = settingRow<S>(key, flag, label, help, SettingKind::Bool, since, use);
    accessAs<bool>(s, ref);
    return s;
}

// The names of an enum's values, in the order a form lists them: one table gives the name of a value, the value
// of a name (with a message naming the valid ones), and the choices of its setting.
template <typename E>
struct EnumNames {
    std::string what; // for messages: "learning-rate schedule"
    std::vector<std::pair<E, std::string>> names;
    const std::string& name(E v) const
    {
        for (const auto& [value, n] : names)
            if (value == v) return n;
        return names.front().second;
    }
    E value(const std::string& n) const
    {
        for (const auto& [value, name] : names)
            if (name == n) return value;
        throw Error("unknown " + what + " '" + excerpt(n, 60) + "' (valid: " + list() + ")");
    }
    std::vector<std::string> choices() const
    {
        std::vector<std::string> out;
        for (const auto& [value, n] : names) out.push_back(n);
        return out;
    }
    std::string list() const
    {
        std::string out;
        for (const auto& [value, n] : names) out += (out.empty() ? "" : ", ") + n;
        return out;
    }
};

// An enum field shown by name.
template <typename S, typename E, typename Ref>
Setting<S> enumSetting(std::string key, std::string flag, std::string label, std::string help,
                       const EnumNames<E>& names, Ref ref, int since = 1, unsigned use = kInFile | kInCli | kInForm)
{
    Setting<S> s = settingRow<S>(key, flag, label, help, SettingKind::Choice, since, use);
    s.choices = names.choices();
    s.get = [ref, &names](const S& c) { return SettingValue(names.name(ref(const_cast<S&>(c)))); };
    s.set = [ref, &names](S& c, const SettingValue& v) { ref(c) = names.value(std::get<std::string>(v)); };
    return s;
}

template <typename S, typename Ref>
Setting<S> textSetting(std::string key, std::string flag, std::string label, std::string help, Ref ref, int since = 1,
                       unsigned use = kInFile | kInCli | kInForm)
{
    Setting<S> s = settingRow<S>(key, flag, label, help, SettingKind::Text, since, use);
    accessAs<std::string>(s, ref);
    return s;
}

// The rows of a nested struct's table (e.g. the LSTM architecture inside the training settings).
template <typename S, typename Inner, typename Ref>
std::vector<Setting<S>> nestedSettings(const SettingsTable<Inner>& inner, Ref ref)
{
    std::vector<Setting<S>> out;
    for (const Setting<Inner>& f : inner.fields) {
        Setting<S> s = settingRow<S>(f.key, f.flag, f.label, f.help, f.kind, f.since, f.use);
        s.lo = f.lo;
        s.hi = f.hi;
        s.loOpen = f.loOpen;
        s.choices = f.choices;
        s.get = [get = f.get, ref](const S& c) { return get(ref(const_cast<S&>(c))); };
        s.set = [set = f.set, ref](S& c, const SettingValue& v) { set(ref(c), v); };
        out.push_back(std::move(s));
    }
    return out;
}

// ---- the type-independent parts (Settings.cpp) ----

struct SettingInfo { // what checking and parsing need of a row
    std::string key;
    std::string flag;
    SettingKind kind;
    double lo, hi;
    bool loOpen;
    std::vector<std::string> choices;
};

// "horizon (--horizon)" or "horizon".
std::string settingName(const SettingInfo& f);
// The accepted values, for messages and --help: "[1, 100000]", "(0, 1]", "one of constant, cosine".
std::string settingRange(const SettingInfo& f);
// Throws l2l::Error "<what>: <name> must be in <range>, got <value>" unless v fits.
void checkSettingValue(const SettingInfo& f, const SettingValue& v, const std::string& what);
// What --help calls the value: INT, UINT, NUMBER, TEXT, or the choices ("constant|cosine").
std::string settingTypeName(const SettingInfo& f);
// The value as a command line or a form shows it; reals with up to 17 significant digits (round trip).
std::string settingText(const SettingValue& v);
// Parses text strictly ("1e3" is not an integer, "12abc" is nothing, seeds are not negative) and checks the range.
SettingValue parseSettingText(const SettingInfo& f, const std::string& text, const std::string& what);
// Reads one JSON value strictly (no wrap, no truncation, no string for a number) and checks the range.
SettingValue settingFromJson(const SettingInfo& f, const nlohmann::json& j, const std::string& what);
nlohmann::json settingToJson(const SettingValue& v);
// The settings version of a JSON object ("settings_version"; `legacy` when absent). Throws if it is not a
// non-negative integer or is newer than `current`.
int settingsVersionOf(const nlohmann::json& j, int legacy, int current, const std::string& what);

template <typename S>
SettingInfo settingInfo(const Setting<S>& f)
{
    return {f.key, f.flag, f.kind, f.lo, f.hi, f.loOpen, f.choices};
}

// ---- generated from the table ----

template <typename S>
void checkSettings(const SettingsTable<S>& t, const S& s, const std::string& what)
{
    for (const auto& f : t.fields) checkSettingValue(settingInfo(f), f.get(s), what);
}

inline bool settingListed(const std::vector<std::string>& keys, const std::string& key)
{
    for (const auto& k : keys)
        if (k == key) return true;
    return false;
}

// Every field marked kInFile except `skipKeys` (kept elsewhere by the format), plus "settings_version".
template <typename S>
nlohmann::json settingsToJson(const SettingsTable<S>& t, const S& s, const std::vector<std::string>& skipKeys = {})
{
    nlohmann::json j = nlohmann::json::object();
    j["settings_version"] = t.version();
    for (const auto& f : t.fields)
        if ((f.use & kInFile) && !settingListed(skipKeys, f.key)) j[f.key] = settingToJson(f.get(s));
    return j;
}

// Reads the kInFile fields of `j` except `skipKeys` into `s` (which holds the defaults). `extraKeys` are other
// keys the format keeps in the same object (read by the caller); any other key is refused. Throws l2l::Error
// naming `what` and the key.
template <typename S>
void settingsFromJson(const SettingsTable<S>& t, const nlohmann::json& j, S& s, int legacyVersion,
                      const std::string& what, const std::vector<std::string>& extraKeys = {},
                      const std::vector<std::string>& skipKeys = {})
{
    if (!j.is_object()) throw Error(what + " is not a JSON object");
    const int version = settingsVersionOf(j, legacyVersion, t.version(), what);
    for (const auto& [key, value] : j.items()) {
        if (key == "settings_version" || settingListed(extraKeys, key)) continue;
        const Setting<S>* f = t.find(key);
        if (!f || !(f->use & kInFile) || settingListed(skipKeys, key))
            throw Error(what + ": unknown key \"" + excerpt(key, 60) + "\"");
    }
    for (const auto& f : t.fields) {
        if (!(f.use & kInFile) || settingListed(skipKeys, f.key)) continue;
        if (!j.contains(f.key)) {
            if (f.since > version) continue; // written before the field existed: its default
            throw Error(what + ": key \"" + f.key + "\" is missing (settings version " + std::to_string(version) +
                        " has it)");
        }
        f.set(s, settingFromJson(settingInfo(f), j[f.key], what));
    }
}

// Sets one field from text (a command-line or form value). Throws l2l::Error naming the field.
template <typename S>
void setSettingText(const Setting<S>& f, S& s, const std::string& text, const std::string& what)
{
    f.set(s, parseSettingText(settingInfo(f), text, what));
}

// " --key value" for every kInCli field that is marked kInCommand or differs from `defaults`; a true Bool is
// its bare flag.
template <typename S>
std::string settingsCommand(const SettingsTable<S>& t, const S& s, const S& defaults)
{
    std::string out;
    for (const auto& f : t.fields) {
        if (!(f.use & kInCli) || f.flag.empty()) continue;
        const SettingValue v = f.get(s);
        if (!(f.use & kInCommand) && v == f.get(defaults)) continue;
        if (f.kind == SettingKind::Bool) {
            if (std::get<bool>(v)) out += " --" + f.flag;
            continue;
        }
        out += " --" + f.flag + " " + settingText(v);
    }
    return out;
}

} // namespace l2l
