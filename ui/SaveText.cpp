#include "SaveText.h"

#include <QObject>
#include <QSaveFile>

namespace l2l::ui {

bool saveTextFile(const QString& path, const QByteArray& text, QString* error)
{
    QSaveFile file(path);
    if (file.open(QIODevice::WriteOnly | QIODevice::Text) && file.write(text) == text.size() && file.commit())
        return true;
    if (error) *error = QObject::tr("cannot write '%1': %2").arg(path, file.errorString());
    return false;
}

} // namespace l2l::ui
