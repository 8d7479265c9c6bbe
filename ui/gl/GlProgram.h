#pragma once
// Building a GLSL program from two shader files (the bundled :/shaders/... resources, or files a test
// names), shared by the OpenGL widgets. Must be called with the widget's context current.
#include <QString>

#include <memory>

class QOpenGLShaderProgram;

namespace l2l::ui {

// Loads, compiles and links both stages. On any failure returns null and sets *log to a message that
// names the file and carries the compiler's or linker's log; nothing is drawn from a failed program.
std::unique_ptr<QOpenGLShaderProgram> buildGlProgram(const QString& vertexPath, const QString& fragmentPath,
                                                     const QString& what, QString* log);

} // namespace l2l::ui
