#include "plots/SaveText.h"

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

bool savePngFile(const QString& path, const QImage& image, QString* error)
{
    QSaveFile file(path);
    if (!image.isNull() && file.open(QIODevice::WriteOnly) && image.save(&file, "PNG") && file.commit()) return true;
    if (error)
        *error = image.isNull() ? QObject::tr("cannot write '%1': there is no image yet").arg(path)
                                : QObject::tr("cannot write '%1': %2").arg(path, file.errorString());
    return false;
}

} // namespace l2l::ui
