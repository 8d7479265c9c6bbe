// `l2l art`: paint one image with one optimizer on the neural-art problem and write it as PNG.
#include "CliCommon.h"

#include "ArtRun.h"
#include "NeuralArt.h"

#include <unistd.h>

#include <filesystem>
#include <iostream>

namespace l2l::cli {

namespace {

struct ArtCliOptions {
    std::string content = "chelsea", style = "scream", optimizer = "adam", out;
    int steps = 128, size = 64;
    std::uint64_t seed = 1;
    bool quiet = false;
};

void checkPngPath(const std::string& path)
{
    if (std::filesystem::path(path).extension() != ".png") throw Error("--out '" + path + "': the file name must end in .png");
    const auto dir = std::filesystem::path(path).parent_path();
    if (!dir.empty() && !std::filesystem::is_directory(dir))
        throw Error("--out '" + path + "': directory '" + dir.string() + "' does not exist");
}

void printProgress(const ArtRun& run, int steps)
{
    const int width = 30, filled = int(double(width) * run.stepsDone() / steps);
    std::cerr << "\r[" << std::string(size_t(filled), '#') << std::string(size_t(width - filled), ' ') << "] "
              << run.stepsDone() << "/" << steps << "  loss " << fmt(run.loss(0)) << "\033[K" << std::flush;
}

} // namespace

void addArtCommand(CLI::App& app)
{
    auto o = std::make_shared<ArtCliOptions>();
    auto* cmd = app.add_subcommand("art", "Neural art: paint the content image in the style of another with one "
                                          "optimizer and write the result as PNG.");
    cmd->add_option("--content", o->content, "content image: a bundled name (chelsea, astronaut, rocket, coffee), a "
                                             "PNG/JPEG path, or train/test (a crop drawn with --seed)")
        ->capture_default_str();
    cmd->add_option("--style", o->style, "style image: a bundled name (scream, hubble) or a PNG/JPEG path")->capture_default_str();
    cmd->add_option("--optimizer,-o", o->optimizer, "optimizer spec: sgd, nag, rmsprop, adam (rate tuned unless given), "
                                                    "lstm (the bundled one) or lstm:FILE")
        ->capture_default_str();
    cmd->add_option("--steps,-t", o->steps, "optimization steps, 1-100000")->capture_default_str();
    cmd->add_option("--size", o->size, "image side in pixels, 16-512")->capture_default_str();
    cmd->add_option("--out", o->out, "PNG file to write (atomically)")->required();
    cmd->add_option("--seed,-s", o->seed, "instance seed (the crop when --content is train or test)")->capture_default_str();
    // Problem and optimizer options passed through when given (their ranges are checked by the spec).
    auto extras = std::make_shared<std::vector<std::pair<std::string, std::string>>>();
    for (const char* key : {"alpha", "beta", "gamma", "depth"}) {
        std::string help = key;
        for (const auto& opt : NeuralArtClass<float>::info().options)
            if (opt.key == key) help = opt.help + " (default " + opt.defaultValue + ")";
        cmd->add_option_function<std::string>(
            std::string("--") + key, [extras, key](const std::string& v) { extras->emplace_back(key, v); }, help);
    }
    auto lr = std::make_shared<std::string>();
    cmd->add_option("--lr", *lr, "learning rate (default: tuned on the problem class, cached)");
    cmd->add_flag("--quiet,-q", o->quiet, "no progress on stderr");
    cmd->callback([o, extras, lr] {
        if (o->steps < 1 || o->steps > 100000) throw Error("steps must be in [1, 100000], got " + std::to_string(o->steps));
        checkPngPath(o->out);
        Spec spec{"neural-art", {{"size", std::to_string(o->size)}, {"content", o->content}, {"style", o->style}}};
        spec.options.insert(spec.options.end(), extras->begin(), extras->end());
        std::string optimizer = o->optimizer;
        if (!lr->empty()) optimizer += (optimizer.find(':') == std::string::npos ? ":lr=" : ",lr=") + *lr;
        const auto log = [quiet = o->quiet](const std::string& line) {
            if (!quiet) std::cerr << "l2l: " << line << "\n";
        };
        const std::vector<ArtRule> rules = resolveArtRules(spec.str(), {optimizer}, o->steps, log, &interrupted());
        if (interrupted()) return;
        ArtRun run(spec.str(), o->seed, rules);
        const bool tty = !o->quiet && isatty(STDERR_FILENO);
        while (run.stepsDone() < o->steps && run.problem(0).empty() && !interrupted()) {
            run.step();
            if (tty) printProgress(run, o->steps);
        }
        if (tty) std::cerr << "\n";
        saveArtImagePng(run.image(0), o->out);
        const ArtLoss parts = run.lossParts(0);
        std::cout << "wrote " << o->out << ": " << run.label(0) << ", " << run.lossHistory(0).size() - 1 << " steps"
                  << (interrupted() ? " (interrupted)" : "") << ", loss " << fmt(run.lossHistory(0).front()) << " -> "
                  << fmt(run.loss(0)) << " (content " << fmt(parts.content) << ", style " << fmt(parts.style)
                  << ", smoothness " << fmt(parts.smoothness) << ")\n";
        if (!run.problem(0).empty()) throw Error(run.label(0) + " " + run.problem(0) + "; the image written is where it stopped");
    });
}

} // namespace l2l::cli
