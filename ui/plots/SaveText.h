#pragma once
// The views' data exports (CSV) go through one function: the text is written to a temporary file beside
// `path` and renamed over it (QSaveFile), so a failed export never leaves a half-written file or
// destroys the previous one.
#include <QByteArray>
#include <QImage>
#include <QString>

namespace l2l::ui {

// False, with "cannot write 'PATH': reason" in *error, if the file cannot be written.
bool saveTextFile(const QString& path, const QByteArray& text, QString* error);
// The same for an image written as PNG.
bool savePngFile(const QString& path, const QImage& image, QString* error);

} // namespace l2l::ui
