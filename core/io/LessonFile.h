#pragma once
// The lesson file: a sequence of slides a lecturer steps through with Page Down, each a short text beside a live
// figure. A slide's figure is an experiment (the experiment file's own JSON object, io/ExperimentFile.h) and what
// to do with it once shown; a slide without one keeps the figure of the slide before.
//
//   {"format": "l2l-lesson", "version": 1, "title": "Learning to learn in 25 minutes",
//    "slides": [{"title": "Gradient descent", "text": "θ ← θ − α ∇f(θ) ...",
//                "experiment": {"format": "l2l-experiment", "version": 1, ...},   // optional
//                "action": "play",                                            // optional: see SlideAction
//                "step": 40},                                                 // optional: Trajectories' step
//               ...]}
//
// Loading checks every field and throws l2l::Error naming the file, the slide (number and title) and the field.
#include "io/ExperimentFile.h"

#include <optional>
#include <string>
#include <vector>

namespace l2l {

// What happens when a slide is shown: nothing (the figure as the experiment leaves it), "run" the current view's
// job (a comparison, meta-training, neural art), or "play" the trajectories.
enum class SlideAction { None, Run, Play };

// Limits of a lesson file, in characters (code points, not bytes).
constexpr int kMaxSlideTitle = 200, kMaxSlideText = 4000;

struct Slide {
    std::string title;                    // at most kMaxSlideTitle characters (also the lesson's title)
    std::string text;                     // plain text, lines separated by \n; at most kMaxSlideText characters
    std::optional<Experiment> experiment; // none: keep what is on screen
    SlideAction action = SlideAction::None;
    int step = -1; // Trajectories: the step to show (-1: leave it)
};

struct Lesson {
    std::string title;
    std::vector<Slide> slides; // 1 to 200
    void validate() const;     // throws l2l::Error naming the slide and the field
};

std::string lessonToJson(const Lesson& lesson, const std::string& dir = {}); // dir: as for experimentToJson
Lesson lessonFromJson(const std::string& text, const std::string& pathForMessages);
void saveLesson(const std::string& path, const Lesson& lesson); // validates first; atomic
Lesson loadLesson(const std::string& path);
// Every slide's optimizer files (checkOptimizerFiles), read when the lesson opens rather than in front of the class
// when its slide comes up; throws l2l::Error naming the lesson file `path`, the slide and the entry.
void checkLessonOptimizerFiles(const Lesson& lesson, const std::string& path);

const char* slideActionName(SlideAction a); // "none", "run", "play"

} // namespace l2l
