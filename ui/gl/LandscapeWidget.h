#pragma once
// The loss landscape of a 2-d function, drawn by a fragment shader (shaders/landscape.frag) that
// evaluates the function at every pixel, with the optimizers' paths, their points at the current step,
// the descent direction -grad f there, and the start point drawn on top with QPainter; ticks with world coordinates
// along the left and bottom edges, the function's global minima as white stars, and under the pointer a read-out of
// (x, y, f) (never in renderLandscape's image).
// Mouse: left click or drag sets the start point; the wheel zooms about the cursor; right or middle
// drag pans; a double click resets the view to the function's box. The view is isotropic (one world
// unit is the same number of pixels in x and y).
#include "eval/Trajectory.h"

#include <QOpenGLFunctions>
#include <QOpenGLVertexArrayObject>
#include <QOpenGLWidget>
#include <QPointF>

#include <memory>
#include <optional>
#include <vector>

class QOpenGLShaderProgram;
class QPainter;

namespace l2l::ui {

class LandscapeWidget : public QOpenGLWidget, protected QOpenGLFunctions {
    Q_OBJECT
public:
    explicit LandscapeWidget(QWidget* parent = nullptr);
    ~LandscapeWidget() override; // releases the GL objects in this widget's context

    // The function and paths of `r`. The view is reset to the function's box when the function itself
    // (kind and parameters) changes, kept otherwise: a new start point does not move the view.
    void setFunction(const TrajectoryResult& r);
    void setPaths(const std::vector<TrajectoryPath>& paths);
    // Earlier versions of a path (meta-training's snapshots of the learned optimizer, oldest first), drawn thin
    // beneath the paths and fading with age; the legend says how many. Empty: none.
    void setTrails(std::vector<TrajectoryPath> trails);
    int trailCount() const { return int(m_trails.size()); }
    void setStartMarker(QPointF world); // drawn at once, before the paths from there are computed
    void setStep(int step);             // the step whose points and arrows are drawn
    int step() const { return m_step; }
    void resetView();
    // Paths, markers and legend on or off (off: the landscape alone, e.g. to read its colours).
    void setOverlayVisible(bool visible);
    QRectF viewRect() const; // world rectangle shown (y up)
    // The legend (optimizer colours, the arrows' meaning) sits in the corner that covers the fewest path points
    // and the start marker; a click on it collapses it to a small "legend" tab and back.
    QRectF legendRect() const; // in widget pixels; empty without paths
    bool legendCollapsed() const { return m_legendCollapsed; }
    void setLegendCollapsed(bool collapsed);

    // The widget rendered off-screen (shader pass and overlay), as the user sees it.
    QImage renderLandscape();
    // World point at the centre of a widget pixel, and the pixel holding a world point.
    QPointF toWorld(QPoint pixel) const;
    QPoint toPixel(QPointF world) const;
    // The read-out under the pointer ("x 0.512  y 1.23  f 3.45"); empty when the pointer is not over the landscape.
    QString hoverText() const;
    // The tick values drawn along the bottom (x) and left (y) edges: 1, 2 or 5 x 10^k apart, about 90 px.
    std::vector<double> xTicks() const;
    std::vector<double> yTicks() const;
    // The strips along the left edge (y labels) and the bottom edge (x labels) that the legend and read-out keep off.
    QSizeF tickStrips() const;

    bool isShaderReady() const { return m_ready; }
    QString shaderLog() const { return m_log; }
    // Shader files to load instead of the bundled ones (tests); call before the widget is first shown.
    void setShaderFiles(const QString& vertexPath, const QString& fragmentPath);

signals:
    void startPointChanged(double x, double y); // emitted live while dragging
    void glError(const QString& message);       // a shader failed to compile or link
    void viewChanged();

protected:
    void initializeGL() override;
    void paintGL() override;
    void resizeGL(int w, int h) override;
    void mousePressEvent(QMouseEvent* e) override;
    void mouseMoveEvent(QMouseEvent* e) override;
    void mouseReleaseEvent(QMouseEvent* e) override;
    void mouseDoubleClickEvent(QMouseEvent* e) override;
    void wheelEvent(QWheelEvent* e) override;
    void keyPressEvent(QKeyEvent* e) override; // arrows move the start point, +/- zoom, Home fits
    void leaveEvent(QEvent* e) override;       // the read-out goes with the pointer

private:
    bool buildProgram();
    void releaseGl();
    void setUniforms();
    void updateColourRange();
    QPointF toPixelF(QPointF world) const;
    void drawOverlay(QPainter& painter);
    void drawPath(QPainter& painter, const TrajectoryPath& path) const;
    void drawTrails(QPainter& painter) const;
    void drawCurrent(QPainter& painter, const TrajectoryPath& path) const;
    void drawStart(QPainter& painter) const;
    void drawLegend(QPainter& painter) const;
    void drawAxes(QPainter& painter) const;
    void drawMinima(QPainter& painter) const;
    void drawHover(QPainter& painter) const;
    QStringList legendLines() const; // one per path, then the arrows' meaning
    void setStartFromMouse(QPoint pixel);

    // GL (GUI thread only)
    std::unique_ptr<QOpenGLShaderProgram> m_program;
    QOpenGLVertexArrayObject m_vao;
    bool m_ready = false;
    QString m_log, m_vertexPath, m_fragmentPath;

    // What is drawn
    std::unique_ptr<Function2d<double>> m_fn; // for the colour range (sampled over the view)
    std::vector<TrajectoryPath> m_paths;
    std::vector<TrajectoryPath> m_trails;
    QPointF m_start;
    bool m_hasStart = false;
    int m_step = 0;
    bool m_overlay = true;
    bool m_legendCollapsed = false;
    float m_offset = 1, m_qlo = 0, m_qhi = 1; // colour range of log(f + offset)

    // View: world point at the widget centre and world units per pixel
    QPointF m_center{0, 0};
    double m_scale = 0.01;
    Bounds2d m_bounds;
    bool m_userView = false; // zoomed or panned: a resize keeps the view instead of refitting

    // Mouse
    enum class Drag { None, Start, Pan } m_drag = Drag::None;
    QPoint m_panFrom;
    QPointF m_panCenter;
    std::optional<QPoint> m_hover; // the pointer, while over the widget and not dragging
    bool m_rendering = false;      // renderLandscape: an image for a file, without the read-out
};

} // namespace l2l::ui
