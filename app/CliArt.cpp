// `l2l art`: paint one image with one optimizer on the neural-art problem and write it as PNG.
#include "CliCommon.h"

#include "base/AtomicFile.h"

#include "eval/ArtRun.h"
#include "problems/NeuralArt.h"

#include <QBuffer>
#include <QFont>
#include <QFontMetrics>
#include <QImage>
#include <QPainter>

#include <unistd.h>

#include <algorithm>
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
    if (lowerExtension(path) != ".png") throw Error("--out '" + path + "': the file name must end in .png");
    checkOutputPath(path, "--out"); // a missing folder is created when the image is saved
}

void printProgress(const ArtRun& run, int steps)
{
    const int width = 30, filled = int(double(width) * run.stepsDone() / steps);
    std::cerr << "\r[" << std::string(size_t(filled), '#') << std::string(size_t(width - filled), ' ') << "] "
              << run.stepsDone() << "/" << steps << "  loss";
    for (int i = 0; i < run.optimizerCount(); ++i) std::cerr << " " << fmt(run.loss(i));
    std::cerr << "\033[K" << std::flush;
}

bool anyRunning(const ArtRun& run)
{
    for (int i = 0; i < run.optimizerCount(); ++i)
        if (run.problem(i).empty()) return true;
    return false;
}

// content | style | optimizer 1 | ... side by side on white, each named under it (the optimizer with its rate and
// final loss): a strip without names could only be read with the command beside it. A small image is shown at a
// whole multiple of its pixels (at least 160 wide, pixels kept square and sharp) so that a name fits under it.
void saveLabelledStrip(const ArtRun& run, const std::vector<ArtRule>& rules, const std::string& spec,
                       const std::string& path)
{
    std::vector<ArtImage> tiles{run.content(), run.style()};
    std::vector<std::pair<std::string, std::string>> names{{"content", Spec::parse(spec).get("content", "")},
                                                           {"style", Spec::parse(spec).get("style", "")}};
    for (int i = 0; i < run.optimizerCount(); ++i) {
        tiles.push_back(run.image(i));
        // The name above ("sgd", "lstm:neural-art.json"), "lr 4.64 · loss 0.792" under it.
        const UpdateRuleConfig& c = rules[size_t(i)].config;
        const std::string rate = c.learned() ? "" : "lr " + fmt(c.lr, 3) + " · ";
        names.emplace_back(c.learned() ? c.label() : c.name,
                           run.problem(i).empty() ? rate + "loss " + fmt(run.loss(i)) : "stopped: " + run.problem(i));
    }
    const int side = tiles.front().width, zoom = std::max(1, (160 + side - 1) / side), shown = side * zoom;
    const int gap = 8;
    ensureGuiApplication();
    QFont font;
    font.setPixelSize(13);
    QFont bold = font;
    bold.setBold(true);
    const int line = QFontMetrics(font).height(), band = 2 * line + gap;
    QImage strip(int(tiles.size()) * shown + (int(tiles.size()) + 1) * gap, shown + 2 * gap + band,
                 QImage::Format_RGB32);
    strip.fill(Qt::white);
    QPainter p(&strip);
    p.setPen(Qt::black);
    for (size_t t = 0; t < tiles.size(); ++t) {
        const ArtImage tile =
            tiles[t].width == side && tiles[t].height == side ? tiles[t] : resizeArtImage(tiles[t], side, side);
        const std::vector<std::uint8_t> rgb = tile.toRgb8();
        const QImage image(rgb.data(), side, side, 3 * side, QImage::Format_RGB888);
        const int x0 = gap + int(t) * (shown + gap);
        p.drawImage(QRect(x0, gap, shown, shown), image); // nearest neighbour: no smoothing hint set
        const QRect first(x0, gap + shown + gap / 2, shown, line), second = first.translated(0, line);
        p.setFont(bold);
        p.drawText(first, Qt::AlignLeft | Qt::AlignVCenter,
                   QFontMetrics(bold).elidedText(QString::fromStdString(names[t].first), Qt::ElideRight, shown));
        p.setFont(font);
        p.drawText(second, Qt::AlignLeft | Qt::AlignVCenter,
                   QFontMetrics(font).elidedText(QString::fromStdString(names[t].second), Qt::ElideRight, shown));
    }
    p.end();
    QByteArray bytes;
    QBuffer buffer(&bytes);
    if (!buffer.open(QIODevice::WriteOnly) || !strip.save(&buffer, "PNG"))
        throw Error("cannot encode '" + path + "' as PNG");
    writeFileAtomically(path, bytes.toStdString());
}

} // namespace

void addArtCommand(CLI::App& app)
{
    auto o = std::make_shared<ArtCliOptions>();
    auto* cmd = app.add_subcommand("art", "Neural art: paint the content image in the style of another with one "
                                          "optimizer and write the result as PNG.");
    cmd->add_option("--content", o->content,
                    "content image: a bundled name (chelsea, astronaut, rocket, coffee), a "
                    "PNG/JPEG path, or train/test (a crop drawn with --seed)")
        ->capture_default_str();
    cmd->add_option("--style", o->style, "style image: a bundled name (scream, hubble) or a PNG/JPEG path")
        ->capture_default_str();
    cmd->add_option("--optimizer,--optimizers,-o", o->optimizer,
                    "optimizer spec: sgd, nag, rmsprop, adam (rate tuned unless given), lstm (the bundled one) or "
                    "lstm:FILE; a comma-separated list runs them all on the same instance and writes them side by "
                    "side after the content and the style")
        ->capture_default_str();
    cmd->add_option("--steps,-t", o->steps, "optimization steps, 1-100000")->capture_default_str();
    cmd->add_option("--size", o->size, "image side in pixels, 16-512")->capture_default_str();
    cmd->add_option("--out", o->out, "PNG file to write (atomically)")->required();
    seedIn(cmd->add_option("--seed,-s", o->seed, "instance seed (the crop when --content is train or test)")
               ->capture_default_str());
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
        if (o->steps < 1 || o->steps > 100000)
            throw Error("steps must be in [1, 100000], got " + std::to_string(o->steps));
        checkPngPath(o->out);
        // The values go into a problem spec (name:key=value,...), where a ',' would start another option:
        // "--style scream,beta=0" must not set beta.
        std::vector<std::pair<std::string, std::string>> given{{"content", o->content}, {"style", o->style}};
        given.insert(given.end(), extras->begin(), extras->end());
        for (const auto& [key, value] : given)
            if (value.find(',') != std::string::npos)
                throw Error("--" + key + " '" + value +
                            "': a ',' cannot be part of a value here (each option has its own flag; a file whose "
                            "name has a ',' must be renamed or linked under another name)");
        Spec spec{"neural-art", {{"size", std::to_string(o->size)}}};
        spec.options.insert(spec.options.end(), given.begin(), given.end());
        std::vector<std::string> optimizers = splitOptimizerList(o->optimizer);
        if (optimizers.empty()) throw Error("--optimizer: no optimizer given");
        if (!lr->empty()) {
            if (optimizers.size() > 1)
                throw Error("--lr applies to one optimizer; give rates in the list (adam:lr=0.1)");
            if (lr->find(',') != std::string::npos) throw Error("--lr '" + *lr + "': not a number");
            if (!UpdateRuleConfig::parse(optimizers[0]).tuned())
                throw Error("--lr " + *lr + " and --optimizer '" + optimizers[0] +
                            "' both set the rate (or the optimizer takes none); give it once");
            optimizers[0] += (optimizers[0].find(':') == std::string::npos ? ":lr=" : ",lr=") + *lr;
        }
        std::vector<std::pair<std::string, std::string>> inputs = optimizerFileInputs(optimizers, "--optimizer");
        inputs.emplace_back(o->content, "read as the content image (--content)");
        inputs.emplace_back(o->style, "read as the style image (--style)");
        checkOutputsSpareInputs({{o->out, "--out"}}, inputs);
        const auto log = [quiet = o->quiet](const std::string& line) {
            if (!quiet) std::cerr << "l2l: " << line << "\n";
        };
        const std::vector<ArtRule> rules = resolveArtRules(spec.str(), optimizers, o->steps, log, &interrupted(),
                                                           o->quiet ? TuneProgressFn() : tuneProgressPrinter());
        if (interrupted()) return;
        ArtRun run(spec.str(), o->seed, rules);
        const bool tty = !o->quiet && isatty(STDERR_FILENO);
        while (run.stepsDone() < o->steps && anyRunning(run) && !interrupted()) {
            run.step();
            if (tty) printProgress(run, o->steps);
        }
        if (tty) std::cerr << "\n";
        const bool strip = run.optimizerCount() > 1;
        if (strip)
            saveLabelledStrip(run, rules, spec.str(), o->out);
        else
            saveArtImagePng(run.image(0), o->out);
        std::cout << "wrote " << o->out << (strip ? " (content, style, then the optimizers left to right, named)" : "")
                  << ": " << countOf(run.stepsDone(), "step") << (interrupted() ? " (interrupted)" : "") << "\n";
        std::string stopped;
        for (int i = 0; i < run.optimizerCount(); ++i) {
            const ArtLoss parts = run.lossParts(i);
            std::cout << "  " << run.label(i) << ": loss " << fmt(run.lossHistory(i).front()) << " -> "
                      << fmt(run.loss(i)) << " (content " << fmt(parts.content) << ", style " << fmt(parts.style)
                      << ", smoothness " << fmt(parts.smoothness) << ")"
                      << (run.problem(i).empty() ? "" : " stopped: " + run.problem(i)) << "\n";
            if (!run.problem(i).empty()) stopped += (stopped.empty() ? "" : "; ") + run.label(i) + " " + run.problem(i);
        }
        if (!stopped.empty()) throw Error(stopped + "; the image written is where it stopped");
    });
}

} // namespace l2l::cli
