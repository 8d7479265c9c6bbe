#pragma once
// The studio's form rows of a settings table (base/Settings.h): one row per field marked kInForm, in table order,
// with the table's label, help (tooltip) and range. Widgets are named prefix + the key in CamelCase + suffix
// ("train" + "learning_rate" -> "trainLearningRate"; no prefix: "test_every" + "Field" -> "testEveryField") so tests
// and the tour find them. Reading parses every row with the same checks as files and the command line, and names
// the row's label in the message; a row whose text does not parse is shown red while it is being typed.
#include "base/Settings.h"
#include "views/SpinBox.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFormLayout>
#include <QLineEdit>
#include <QSpinBox>
#include <QString>
#include <QWidget>

#include <algorithm>
#include <climits>
#include <functional>
#include <map>
#include <string>

namespace l2l::ui {

inline QString settingWidgetName(const QString& prefix, const std::string& key, const QString& suffix = {})
{
    QString name = prefix;
    bool upper = !prefix.isEmpty();
    for (char c : key) {
        if (c == '_') {
            upper = true;
            continue;
        }
        name += upper ? QChar(c).toUpper() : QChar(c);
        upper = false;
    }
    return name + suffix;
}

class SettingsForm {
public:
    template <typename S>
    void build(QFormLayout* form, const SettingsTable<S>& table, const S& defaults, const QString& prefix,
               const QString& suffix = {})
    {
        for (const auto& f : table.fields) {
            if (!(f.use & kInForm)) continue;
            const QString name = settingWidgetName(prefix, f.key, suffix), tip = QString::fromStdString(f.help);
            QWidget* w = nullptr;
            const SettingValue v = f.get(defaults);
            switch (f.kind) {
            case SettingKind::Int:
                w = spinBox(name, int(std::max(f.lo, double(INT_MIN))), int(std::min(f.hi, double(INT_MAX))),
                            int(std::get<long long>(v)), tip);
                break;
            case SettingKind::Bool: {
                auto* box = new QCheckBox;
                box->setChecked(std::get<bool>(v));
                w = box;
                break;
            }
            case SettingKind::Choice: {
                auto* box = new QComboBox;
                for (const auto& c : f.choices) box->addItem(QString::fromStdString(c), QString::fromStdString(c));
                w = box;
                break;
            }
            case SettingKind::UInt:
            case SettingKind::Real:
            case SettingKind::Text:
                w = new QLineEdit;
                break;
            }
            w->setObjectName(name);
            w->setToolTip(tip + QStringLiteral(" (") + QString::fromStdString(settingRange(settingInfo(f))) +
                          QStringLiteral(")"));
            m_widgets[f.key] = w;
            // Whether a text is a valid value of this row (the row's red mark while typing).
            m_valid[f.key] = [info = settingInfo(f)](const std::string& text) {
                try {
                    parseSettingText(info, text, "");
                    return true;
                } catch (const Error&) {
                    return false;
                }
            };
            form->addRow(QString::fromStdString(f.label), w);
            show(f, v);
        }
    }

    // The form's valid values over `s`; a row that does not parse keeps the value `s` has. Never throws.
    template <typename S>
    void readValid(const SettingsTable<S>& table, S& s) const
    {
        for (const auto& f : table.fields) {
            auto it = m_widgets.find(f.key);
            if (it == m_widgets.end()) continue;
            try {
                f.set(s, parseSettingText(settingInfo(f), text(it->second), ""));
            } catch (const Error&) {
            }
        }
    }

    // `changed` after every edit of any row (rows whose text does not parse are marked red first).
    void onChange(const std::function<void()>& changed)
    {
        for (auto& [key, w] : m_widgets) {
            auto react = [valid = m_valid.at(key), w = w, changed] {
                const bool ok = valid(text(w));
                w->setStyleSheet(ok ? QString() : QStringLiteral("background: #ffd8d8;"));
                if (changed) changed();
            };
            if (auto* spin = qobject_cast<QSpinBox*>(w))
                QObject::connect(spin, &QSpinBox::valueChanged, w, react);
            else if (auto* check = qobject_cast<QCheckBox*>(w))
                QObject::connect(check, &QCheckBox::toggled, w, react);
            else if (auto* combo = qobject_cast<QComboBox*>(w))
                QObject::connect(combo, &QComboBox::currentIndexChanged, w, react);
            else if (auto* edit = qobject_cast<QLineEdit*>(w))
                QObject::connect(edit, &QLineEdit::textChanged, w, react);
        }
    }

    // The form's values over `s`. Throws l2l::Error "<what>: <label> must be ..., got ..." for a bad row.
    template <typename S>
    void read(const SettingsTable<S>& table, S& s, const std::string& what) const
    {
        for (const auto& f : table.fields) {
            auto it = m_widgets.find(f.key);
            if (it == m_widgets.end()) continue;
            const SettingInfo info{f.label, "", f.kind, f.lo, f.hi, f.loOpen, f.choices}; // named by its label
            f.set(s, parseSettingText(info, text(it->second), what));
        }
    }

    template <typename S>
    void write(const SettingsTable<S>& table, const S& s)
    {
        for (const auto& f : table.fields)
            if (m_widgets.count(f.key)) show(f, f.get(s));
    }

    void setEnabled(bool enabled)
    {
        for (auto& [key, w] : m_widgets) w->setEnabled(enabled);
    }

    QWidget* widget(const std::string& key) const
    {
        auto it = m_widgets.find(key);
        return it == m_widgets.end() ? nullptr : it->second;
    }

private:
    template <typename F>
    void show(const F& f, const SettingValue& v)
    {
        QWidget* w = m_widgets.at(f.key);
        const QString t = QString::fromStdString(settingText(v));
        if (auto* spin = qobject_cast<QSpinBox*>(w))
            spin->setValue(int(std::get<long long>(v)));
        else if (auto* check = qobject_cast<QCheckBox*>(w))
            check->setChecked(std::get<bool>(v));
        else if (auto* combo = qobject_cast<QComboBox*>(w))
            combo->setCurrentIndex(combo->findText(t));
        else if (auto* edit = qobject_cast<QLineEdit*>(w))
            edit->setText(t);
    }

    static std::string text(QWidget* w)
    {
        if (auto* spin = qobject_cast<QSpinBox*>(w)) return std::to_string(spin->value());
        if (auto* check = qobject_cast<QCheckBox*>(w)) return check->isChecked() ? "true" : "false";
        if (auto* combo = qobject_cast<QComboBox*>(w)) return combo->currentText().toStdString();
        return qobject_cast<QLineEdit*>(w)->text().trimmed().toStdString();
    }

    std::map<std::string, QWidget*> m_widgets;
    std::map<std::string, std::function<bool(const std::string&)>> m_valid;
};

} // namespace l2l::ui
