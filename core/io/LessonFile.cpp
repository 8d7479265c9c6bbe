#include "io/LessonFile.h"

#include "base/AtomicFile.h"
#include "base/JsonLimits.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>

namespace l2l {

namespace {

constexpr const char* kFormat = "l2l-lesson";
constexpr int kVersion = 1;
constexpr size_t kMaxSlides = 200;

// Characters (code points) of UTF-8 text: the limits are in characters, and "θ" is two bytes.
size_t characters(const std::string& utf8)
{
    return size_t(
        std::count_if(utf8.begin(), utf8.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

std::string slideName(size_t i, const std::string& title)
{
    return "slide " + std::to_string(i + 1) + (title.empty() ? std::string() : " (\"" + title + "\")");
}

std::string textField(const nlohmann::json& j, const char* key, size_t maxLength, const std::string& where,
                      bool required)
{
    if (!j.contains(key)) {
        if (required) throw Error(where + ": \"" + key + "\" is missing");
        return {};
    }
    if (!j[key].is_string()) throw Error(where + ": \"" + key + "\" must be a string");
    std::string s = j[key].get<std::string>();
    if (characters(s) > maxLength)
        throw Error(where + ": \"" + key + "\" is longer than " + std::to_string(maxLength) + " characters");
    return s;
}

} // namespace

const char* slideActionName(SlideAction a)
{
    switch (a) {
    case SlideAction::Run:
        return "run";
    case SlideAction::Play:
        return "play";
    case SlideAction::None:
        break;
    }
    return "none";
}

void Lesson::validate() const
{
    if (slides.empty()) throw Error("lesson: it has no slides");
    if (slides.size() > kMaxSlides) throw Error("lesson: more than " + std::to_string(kMaxSlides) + " slides");
    if (characters(title) > size_t(kMaxSlideTitle))
        throw Error("lesson: title is longer than " + std::to_string(kMaxSlideTitle) + " characters");
    for (size_t i = 0; i < slides.size(); ++i) {
        const Slide& s = slides[i];
        const std::string where = "lesson: " + slideName(i, s.title);
        if (characters(s.title) > size_t(kMaxSlideTitle))
            throw Error(where + ": title is longer than " + std::to_string(kMaxSlideTitle) + " characters");
        if (characters(s.text) > size_t(kMaxSlideText))
            throw Error(where + ": text is longer than " + std::to_string(kMaxSlideText) + " characters");
        if (s.step < -1 || s.step > 100000) throw Error(where + ": step must be in [0, 100000] (or absent)");
        try {
            if (s.experiment) s.experiment->validate();
        } catch (const Error& e) {
            throw Error(where + ": " + e.what());
        }
    }
}

std::string lessonToJson(const Lesson& lesson, const std::string& dir)
{
    nlohmann::json slides = nlohmann::json::array();
    for (const Slide& s : lesson.slides) {
        nlohmann::json j = {{"title", s.title}, {"text", s.text}};
        if (s.experiment) j["experiment"] = nlohmann::json::parse(experimentToJson(*s.experiment, dir));
        if (s.action != SlideAction::None) j["action"] = slideActionName(s.action);
        if (s.step >= 0) j["step"] = s.step;
        slides.push_back(j);
    }
    nlohmann::json doc = {{"format", kFormat}, {"version", kVersion}, {"title", lesson.title}, {"slides", slides}};
    return doc.dump(2) + "\n";
}

Lesson lessonFromJson(const std::string& text, const std::string& path)
{
    const std::string where = "lesson file '" + path + "'";
    const nlohmann::json doc = parseJsonLimited(text, where);
    const int version = jsonFormatVersion(doc, where, kFormat, "an l2l lesson");
    if (version != kVersion)
        throw Error(where + " has version " + std::to_string(version) + "; this build reads version 1");
    for (const auto& [key, value] : doc.items())
        if (key != "format" && key != "version" && key != "title" && key != "slides")
            throw Error(where + ": unknown key \"" + key + "\" (known: format, version, title, slides)");
    Lesson lesson;
    lesson.title = textField(doc, "title", size_t(kMaxSlideTitle), where, false);
    if (!doc.contains("slides") || !doc["slides"].is_array()) throw Error(where + ": \"slides\" must be an array");
    const auto& slides = doc["slides"];
    if (slides.empty()) throw Error(where + ": \"slides\" is empty");
    if (slides.size() > kMaxSlides) throw Error(where + ": more than " + std::to_string(kMaxSlides) + " slides");
    for (size_t i = 0; i < slides.size(); ++i) {
        const auto& j = slides[i];
        std::string at = where + ": " + slideName(i, "");
        if (!j.is_object()) throw Error(at + " must be an object");
        Slide s;
        s.title = textField(j, "title", size_t(kMaxSlideTitle), at, true);
        at = where + ": " + slideName(i, s.title);
        for (const auto& [key, value] : j.items())
            if (key != "title" && key != "text" && key != "experiment" && key != "action" && key != "step")
                throw Error(at + ": unknown key \"" + key + "\" (known: title, text, experiment, action, step)");
        s.text = textField(j, "text", size_t(kMaxSlideText), at, false);
        if (j.contains("action")) {
            const std::string a = textField(j, "action", 16, at, true);
            if (a == "run")
                s.action = SlideAction::Run;
            else if (a == "play")
                s.action = SlideAction::Play;
            else if (a != "none")
                throw Error(at + ": \"action\" must be one of none, run, play, got \"" + a + "\"");
        }
        if (j.contains("step")) {
            try {
                s.step = int(jsonIntegerIn(j["step"], "step", 0, 100000));
            } catch (const Error& e) {
                throw Error(at + ": " + e.what());
            }
        }
        if (j.contains("experiment")) {
            if (!j["experiment"].is_object()) throw Error(at + ": \"experiment\" must be an object");
            try {
                s.experiment = experimentFromJson(j["experiment"].dump(), path);
            } catch (const Error& e) { // "experiment file 'PATH': ..." -> "lesson file 'PATH': slide 3 (...): ..."
                std::string what = e.what();
                const std::string prefix = "experiment file '" + path + "'";
                if (what.rfind(prefix, 0) == 0) what = what.substr(prefix.size());
                if (what.rfind(": ", 0) == 0) what = what.substr(2);
                if (what.rfind("experiment: ", 0) != 0) what = "experiment: " + what;
                throw Error(at + ": " + what);
            }
        }
        lesson.slides.push_back(std::move(s));
    }
    return lesson;
}

void saveLesson(const std::string& path, const Lesson& lesson)
{
    lesson.validate();
    writeFileAtomically(path, lessonToJson(lesson, std::filesystem::absolute(path).parent_path().string()));
}

Lesson loadLesson(const std::string& path) { return lessonFromJson(readFile(path, kMaxExperimentFileBytes), path); }

void checkLessonOptimizerFiles(const Lesson& lesson, const std::string& path)
{
    for (size_t i = 0; i < lesson.slides.size(); ++i)
        if (lesson.slides[i].experiment)
            checkOptimizerFiles(*lesson.slides[i].experiment,
                                "lesson file '" + path + "': " + slideName(i, lesson.slides[i].title));
}

} // namespace l2l
