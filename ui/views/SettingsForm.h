#pragma once
// The studio's form rows of a settings table (base/Settings.h): one row per field marked kInForm, in table order,
// with the table's label, help (tooltip) and range. Widgets are named prefix + the key in CamelCase
// ("train" + "learning_rate" -> "trainLearningRate") so tests and the tour find them. Reading parses every row
// with the same checks as files and the command line, and names the row's label in the message.
#include "base/Settings.h"
#include "views/SpinBox.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFormLayout>
#include <QLineEdit>
#include <QSpinBox>
#include <QString>
#include <QWidget>

#include <climits>
#include <map>
#include <string>

namespace l2l::ui {

inline QString settingWidgetName(const QString& prefix, const std::string& key)
{
    QString name = prefix;
    bool upper = true;
    for (char c : key) {
        if (c == '_') {
            upper = true;
            continue;
        }
        name += upper ? QChar(c).toUpper() : QChar(c);
        upper = false;
    }
    return name;
}

class SettingsForm {
public:
    template <typename S>
    void build(QFormLayout* form, const SettingsTable<S>& table, const S& defaults, const QString& prefix)
    {
        for (const auto& f : table.fields) {
            if (!(f.use & kInForm)) continue;
            const QString name = settingWidgetName(prefix, f.key), tip = QString::fromStdString(f.help);
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
            case SettingKind::Text: w = new QLineEdit; break;
            }
            w->setObjectName(name);
            w->setToolTip(tip + QStringLiteral(" (") + QString::fromStdString(settingRange(settingInfo(f))) +
                          QStringLiteral(")"));
            m_widgets[f.key] = w;
            form->addRow(QString::fromStdString(f.label), w);
            show(f, v);
        }
    }

    // The form's values over `s`. Throws l2l::Error "<what>: <label> must be ..., got ..." for a bad row.
    template <typename S>
    void read(const SettingsTable<S>& table, S& s, const std::string& what) const
    {
        for (const auto& f : table.fields) {
            auto it = m_widgets.find(f.key);
            if (it == m_widgets.end()) continue;
            const SettingInfo info{f.label, kNoFlag, f.kind, f.lo, f.hi, f.loOpen, f.choices};
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
    inline static const std::string kNoFlag;

    template <typename F>
    void show(const F& f, const SettingValue& v)
    {
        QWidget* w = m_widgets.at(f.key);
        const QString t = QString::fromStdString(settingText(v));
        if (auto* spin = qobject_cast<QSpinBox*>(w)) spin->setValue(int(std::get<long long>(v)));
        else if (auto* check = qobject_cast<QCheckBox*>(w)) check->setChecked(std::get<bool>(v));
        else if (auto* combo = qobject_cast<QComboBox*>(w)) combo->setCurrentIndex(combo->findText(t));
        else if (auto* edit = qobject_cast<QLineEdit*>(w)) edit->setText(t);
    }

    static std::string text(QWidget* w)
    {
        if (auto* spin = qobject_cast<QSpinBox*>(w)) return std::to_string(spin->value());
        if (auto* check = qobject_cast<QCheckBox*>(w)) return check->isChecked() ? "true" : "false";
        if (auto* combo = qobject_cast<QComboBox*>(w)) return combo->currentText().toStdString();
        return qobject_cast<QLineEdit*>(w)->text().trimmed().toStdString();
    }

    std::map<std::string, QWidget*> m_widgets;
};

} // namespace l2l::ui
