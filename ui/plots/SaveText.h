#pragma once
// The views' data exports (CSV) go through one function: the text is written to a temporary file beside
// `path` and renamed over it (QSaveFile), so a failed export never leaves a half-written file or
// destroys the previous one.
#include <QByteArray>
#include <QImage>
#include <QString>

#include <functional>
#include <string>

namespace l2l::ui {

// False, with "cannot write 'PATH': reason" in *error, if the file cannot be written.
bool saveTextFile(const QString& path, const QByteArray& text, QString* error);
// The same for an image written as PNG.
bool savePngFile(const QString& path, const QImage& image, QString* error);
// For a writer that takes only a file name (QCustomPlot::savePdf, QPdfWriter): missing folders are made, `write`
// writes a temporary file beside `target` (its name passed in, ending in `.ext`), which is renamed over `target`
// when it returns true. Else the temporary file is removed and l2l::Error("cannot write WHAT 'TARGET' (is the
// directory writable?)") thrown; the old file stays.
void writeThroughTemporary(const std::string& target, const std::string& ext, const std::string& what,
                           const std::function<bool(const QString& temporary)>& write);

} // namespace l2l::ui
