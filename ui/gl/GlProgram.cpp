#include "gl/GlProgram.h"

#include <QCoreApplication>
#include <QFile>
#include <QOpenGLShaderProgram>

#include <utility>

namespace l2l::ui {

std::unique_ptr<QOpenGLShaderProgram> buildGlProgram(const QString& vertexPath, const QString& fragmentPath,
                                                     const QString& what, QString* log)
{
    auto program = std::make_unique<QOpenGLShaderProgram>();
    log->clear();
    const std::pair<QOpenGLShader::ShaderType, QString> stages[] = {{QOpenGLShader::Vertex, vertexPath},
                                                                    {QOpenGLShader::Fragment, fragmentPath}};
    for (const auto& [type, path] : stages) {
        QFile file(path);
        if (!file.open(QIODevice::ReadOnly)) {
            *log = QCoreApplication::translate("GlProgram", "cannot read shader %1: %2").arg(path, file.errorString());
            return nullptr;
        }
        if (!program->addShaderFromSourceCode(type, file.readAll())) {
            *log =
                QCoreApplication::translate("GlProgram", "shader %1 does not compile:\n%2").arg(path, program->log());
            return nullptr;
        }
    }
    if (!program->link()) {
        *log = QCoreApplication::translate("GlProgram", "%1 shaders do not link:\n%2").arg(what, program->log());
        return nullptr;
    }
    return program;
}

} // namespace l2l::ui
