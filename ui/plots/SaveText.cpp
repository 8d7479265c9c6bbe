#include "plots/SaveText.h"

#include "base/Types.h"

#include <QCoreApplication>
#include <QObject>
#include <QSaveFile>

#include <filesystem>

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

void writeThroughTemporary(const std::string& target, const std::string& ext, const std::string& what,
                           const std::function<bool(const QString& temporary)>& write)
{
    namespace fs = std::filesystem;
    std::error_code ec;
    if (const fs::path dir = fs::path(target).parent_path(); !dir.empty()) fs::create_directories(dir, ec);
    const std::string tmp = target + ".tmp" + std::to_string(QCoreApplication::applicationPid()) + "." + ext;
    if (!write(QString::fromStdString(tmp)) || (fs::rename(tmp, target, ec), ec)) {
        fs::remove(tmp, ec);
        throw Error("cannot write " + what + " '" + target + "' (is the directory writable?)");
    }
}

} // namespace l2l::ui
