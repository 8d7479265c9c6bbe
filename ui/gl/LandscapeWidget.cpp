#include "gl/LandscapeWidget.h"

#include "gl/GlProgram.h"

#include <QOpenGLShaderProgram>
#include <QPainter>

#include <algorithm>
#include <cmath>

namespace l2l::ui {

namespace {

constexpr int kRangeSamples = 64;   // grid per side sampled for the colour range
constexpr float kIsoLevels = 14.0f; // iso-lines over the colour range

} // namespace

LandscapeWidget::LandscapeWidget(QWidget* parent)
    : QOpenGLWidget(parent), m_vertexPath(QStringLiteral(":/shaders/landscape.vert")),
      m_fragmentPath(QStringLiteral(":/shaders/landscape.frag"))
{
    setMinimumSize(240, 200);
    setCursor(Qt::CrossCursor);
    setFocusPolicy(Qt::StrongFocus);
    setMouseTracking(true); // the (x, y, f) read-out follows the pointer
    setAccessibleName(tr("2-d function and optimizer paths"));
    setAccessibleDescription(tr("Arrow keys move the start point (with Shift: five times farther); + and - zoom; "
                                "Home fits the view"));
}

LandscapeWidget::~LandscapeWidget() { releaseGl(); }

void LandscapeWidget::releaseGl()
{
    if (!context()) return;
    makeCurrent();
    m_program.reset();
    m_vao.destroy();
    doneCurrent();
}

void LandscapeWidget::setShaderFiles(const QString& vertexPath, const QString& fragmentPath)
{
    m_vertexPath = vertexPath;
    m_fragmentPath = fragmentPath;
}

void LandscapeWidget::initializeGL()
{
    initializeOpenGLFunctions();
    m_vao.create();
    m_ready = buildProgram();
    if (!m_ready) emit glError(m_log);
}

bool LandscapeWidget::buildProgram()
{
    m_program = buildGlProgram(m_vertexPath, m_fragmentPath, tr("landscape"), &m_log);
    return m_program != nullptr;
}

void LandscapeWidget::resizeGL(int, int)
{
    if (!m_userView) resetView();
}

void LandscapeWidget::setUniforms()
{
    const QRectF v = viewRect();
    m_program->setUniformValue("u_kind", m_fn ? int(m_fn->kind()) : 2);
    m_program->setUniformValue("u_view",
                               QVector4D(float(v.left()), float(v.right()), float(v.top()), float(v.bottom())));
    GLfloat quad[6] = {0, 0, 0, 0, 0, 0};
    if (m_fn)
        for (int i = 0; i < 6; ++i) quad[i] = GLfloat(m_fn->quad()[size_t(i)]);
    m_program->setUniformValueArray("u_quad", quad, 6, 1);
    m_program->setUniformValue("u_kappa", m_fn ? float(m_fn->kappa()) : 1.0f);
    m_program->setUniformValue("u_offset", m_offset);
    m_program->setUniformValue("u_range", QVector2D(m_qlo, m_qhi));
    m_program->setUniformValue("u_levels", kIsoLevels);
}

void LandscapeWidget::paintGL()
{
    glClearColor(0.55f, 0.55f, 0.58f, 1.0f);
    glClear(GL_COLOR_BUFFER_BIT);
    if (m_ready && m_fn) {
        m_program->bind();
        setUniforms();
        m_vao.bind();
        glDrawArrays(GL_TRIANGLE_STRIP, 0, 4);
        m_vao.release();
        m_program->release();
    }
    QPainter painter(this); // after the GL pass: the overlay is drawn over the landscape
    painter.setRenderHint(QPainter::Antialiasing);
    if (!m_ready) {
        painter.setPen(Qt::white);
        painter.drawText(rect().adjusted(12, 12, -12, -12), Qt::AlignCenter | Qt::TextWordWrap,
                         tr("The landscape shader is not available.\n%1").arg(m_log.left(300)));
        return;
    }
    if (m_overlay) drawOverlay(painter);
}

QImage LandscapeWidget::renderLandscape()
{
    m_rendering = true; // the hover read-out belongs on screen, not in a saved figure
    QImage image = grabFramebuffer();
    m_rendering = false;
    return image;
}

// The colour map spans log(f + c) over the values in view, c = max(fmin, 1e-5 fmax): five decades
// below the top when the minimum is in view, nearly linear when the values in view vary little.
void LandscapeWidget::updateColourRange()
{
    if (!m_fn) return;
    const QRectF v = viewRect();
    double lo = INFINITY, hi = -INFINITY;
    for (int i = 0; i < kRangeSamples; ++i)
        for (int j = 0; j < kRangeSamples; ++j) {
            const double x = v.left() + (i + 0.5) / kRangeSamples * v.width();
            const double y = v.top() + (j + 0.5) / kRangeSamples * v.height();
            const double f = m_fn->value(x, y);
            if (!std::isfinite(f)) continue;
            lo = std::min(lo, f);
            hi = std::max(hi, f);
        }
    if (!(hi >= lo)) lo = 0, hi = 1;
    const double c = std::max({lo, 1e-5 * hi, 1e-12});
    m_offset = float(c);
    m_qlo = float(std::log(lo + c));
    m_qhi = float(std::max(std::log(hi + c), std::log(lo + c) + 1e-6));
}

QRectF LandscapeWidget::viewRect() const
{
    const double w = std::max(width(), 1) * m_scale, h = std::max(height(), 1) * m_scale;
    // QRectF with y up: top() is ymin, bottom() is ymax.
    return {m_center.x() - w / 2, m_center.y() - h / 2, w, h};
}

QPointF LandscapeWidget::toWorld(QPoint pixel) const
{
    // Pixel (i, j) has its centre at (i + 0.5, j + 0.5); widget y grows downwards, world y upwards.
    return {m_center.x() + (pixel.x() + 0.5 - width() / 2.0) * m_scale,
            m_center.y() - (pixel.y() + 0.5 - height() / 2.0) * m_scale};
}

QPointF LandscapeWidget::toPixelF(QPointF world) const
{
    return {(world.x() - m_center.x()) / m_scale + width() / 2.0,
            (m_center.y() - world.y()) / m_scale + height() / 2.0};
}

QPoint LandscapeWidget::toPixel(QPointF world) const
{
    const QPointF p = toPixelF(world);
    return {int(std::floor(p.x())), int(std::floor(p.y()))};
}

void LandscapeWidget::resetView()
{
    const double w = m_bounds.xmax - m_bounds.xmin, h = m_bounds.ymax - m_bounds.ymin;
    m_center = {m_bounds.xmin + w / 2, m_bounds.ymin + h / 2};
    m_scale = std::max(w / std::max(width(), 1), h / std::max(height(), 1));
    m_userView = false;
    updateColourRange();
    emit viewChanged();
    update();
}

void LandscapeWidget::setFunction(const TrajectoryResult& r)
{
    const bool same = m_fn && m_fn->kind() == r.kind && m_fn->quad() == r.quad && m_fn->kappa() == r.kappa;
    Vec<double> start(2);
    start << r.start[0], r.start[1];
    m_fn = std::make_unique<Function2d<double>>(r.kind, r.quad, r.kappa, start, r.bounds);
    m_start = {r.start[0], r.start[1]};
    m_hasStart = true;
    if (!same) {
        m_bounds = r.bounds;
        resetView();
    }
    setPaths(r.paths);
}

void LandscapeWidget::setPaths(const std::vector<TrajectoryPath>& paths)
{
    m_paths = paths;
    update();
}

void LandscapeWidget::setStartMarker(QPointF world)
{
    m_start = world;
    m_hasStart = true;
    update();
}

void LandscapeWidget::setOverlayVisible(bool visible)
{
    m_overlay = visible;
    update();
}

void LandscapeWidget::setStep(int step)
{
    m_step = std::max(step, 0);
    update();
}

} // namespace l2l::ui
