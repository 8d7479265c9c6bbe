#pragma once
// Shared by the widget tests: finding a named widget, and the OpenGL format that l2l-studio sets.
#include <QObject>
#include <QString>
#include <QSurfaceFormat>
#include <QtGlobal>

namespace l2l::test {

// The child of `root` named `name`; aborts the test binary with the name if there is none.
template <typename T>
T* child(QObject* root, const QString& name)
{
    T* w = root->findChild<T*>(name);
    if (!w) qFatal("no widget named %s", qPrintable(name));
    return w;
}

// OpenGL 3.3 core, as app/studio_main.cpp; call from the test class's static initMain(), before
// QApplication exists.
inline void useStudioGlFormat()
{
    QSurfaceFormat format;
    format.setVersion(3, 3);
    format.setProfile(QSurfaceFormat::CoreProfile);
    QSurfaceFormat::setDefaultFormat(format);
}

} // namespace l2l::test
