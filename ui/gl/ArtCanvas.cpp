#include "gl/ArtCanvas.h"

#include "gl/GlProgram.h"

#include <QContextMenuEvent>
#include <QHelpEvent>
#include <QMenu>
#include <QMouseEvent>
#include <QOpenGLPixelTransferOptions>
#include <QOpenGLShaderProgram>
#include <QOpenGLTexture>
#include <QPainter>
#include <QToolTip>
#include <QWheelEvent>

#include <algorithm>
#include <cmath>

namespace l2l::ui {

namespace {

constexpr int kGap = 10;           // pixels between tiles and around the grid
constexpr double kMaxZoom = 32.0;  // at most 1/32 of the image across a tile
constexpr double kWheelStep = 1.2; // zoom factor per wheel notch

} // namespace

ArtCanvas::ArtCanvas(QWidget* parent)
    : QOpenGLWidget(parent), m_vertexPath(QStringLiteral(":/shaders/art.vert")),
      m_fragmentPath(QStringLiteral(":/shaders/art.frag"))
{
    setMinimumSize(320, 240);
    setFocusPolicy(Qt::StrongFocus);
}

ArtCanvas::~ArtCanvas() { releaseGl(); }

void ArtCanvas::releaseGl()
{
    if (!context()) return;
    makeCurrent();
    m_textures.clear();
    m_program.reset();
    m_vao.destroy();
    doneCurrent();
}

void ArtCanvas::setShaderFiles(const QString& vertexPath, const QString& fragmentPath)
{
    m_vertexPath = vertexPath;
    m_fragmentPath = fragmentPath;
}

void ArtCanvas::initializeGL()
{
    initializeOpenGLFunctions();
    m_vao.create();
    m_program = buildGlProgram(m_vertexPath, m_fragmentPath, tr("art canvas"), &m_log);
    m_ready = m_program != nullptr;
    if (!m_ready) emit glError(m_log);
}

void ArtCanvas::setTiles(const QList<ArtTile>& tiles)
{
    m_tiles = tiles;
    m_dirty.assign(size_t(m_tiles.size()), true);
    if (m_selected >= m_tiles.size()) setSelectedTile(-1);
    update();
}

void ArtCanvas::updateTile(int index, const QImage& image, const QString& detail, bool failed)
{
    if (index < 0 || index >= m_tiles.size()) return;
    ArtTile& t = m_tiles[index];
    if (!image.isNull()) {
        t.image = image;
        m_dirty[size_t(index)] = true;
    }
    t.detail = detail;
    t.failed = failed;
    update();
}

void ArtCanvas::setSelectedTile(int index)
{
    index = (index >= 0 && index < m_tiles.size()) ? index : -1;
    if (index == m_selected) return;
    m_selected = index;
    emit selectionChanged(index);
    update();
}

// Textures live in this widget's context and are (re)made here, on the GUI thread: a new size or a
// first upload allocates, a same-size update only replaces the pixels.
void ArtCanvas::uploadDirtyTextures()
{
    m_textures.resize(size_t(m_tiles.size()));
    for (int i = 0; i < m_tiles.size(); ++i) {
        if (!m_dirty[size_t(i)]) continue;
        m_dirty[size_t(i)] = false;
        auto& tex = m_textures[size_t(i)];
        const QImage& src = m_tiles[i].image;
        if (src.isNull()) {
            tex.reset();
            continue;
        }
        const QImage rgba = src.convertToFormat(QImage::Format_RGBA8888);
        if (!tex || tex->width() != rgba.width() || tex->height() != rgba.height()) {
            tex = std::make_unique<QOpenGLTexture>(QOpenGLTexture::Target2D);
            tex->setSize(rgba.width(), rgba.height());
            tex->setFormat(QOpenGLTexture::RGBA8_UNorm);
            tex->setMipLevels(1);
            tex->allocateStorage(QOpenGLTexture::RGBA, QOpenGLTexture::UInt8);
            tex->setWrapMode(QOpenGLTexture::ClampToEdge);
            // Shrunk: smooth; magnified: each image pixel a sharp square, so zooming shows the pixels
            // the optimizer is actually changing.
            tex->setMinificationFilter(QOpenGLTexture::Linear);
            tex->setMagnificationFilter(QOpenGLTexture::Nearest);
        }
        QOpenGLPixelTransferOptions packing;
        packing.setAlignment(4); // RGBA8888 rows are 4-byte aligned
        tex->setData(QOpenGLTexture::RGBA, QOpenGLTexture::UInt8, rgba.constBits(), &packing);
    }
}

ArtCanvas::Layout ArtCanvas::layout() const
{
    const QFontMetrics fm = fontMetrics();
    int widestDetail = 0;
    for (const ArtTile& t : m_tiles) widestDetail = std::max(widestDetail, fm.horizontalAdvance(t.detail));
    const auto fit = [&](int lines) {
        Layout best;
        best.label = lines * fm.height() + 6;
        const int n = std::max(1, int(m_tiles.size()));
        for (int columns = 1; columns <= n; ++columns) {
            const int rows = (n + columns - 1) / columns;
            const int byWidth = (width() - kGap * (columns + 1)) / columns;
            const int byHeight = (height() - kGap * (rows + 1)) / rows - best.label;
            const int side = std::min(byWidth, byHeight);
            if (side > best.side) best.columns = columns, best.side = side;
        }
        best.side = std::max(best.side, 8);
        const int rows = (n + best.columns - 1) / best.columns;
        const int usedW = best.columns * best.side + kGap * (best.columns - 1);
        const int usedH = rows * (best.side + best.label) + kGap * (rows - 1);
        best.x0 = std::max(kGap, (width() - usedW) / 2);
        best.y0 = std::max(kGap, (height() - usedH) / 2);
        return best;
    };
    // Title and detail ("step 128 · loss 0.7698") under each tile; when the detail is wider than the tiles, it
    // takes two lines ("step 128" / "loss 0.7698") rather than being cut.
    Layout two = fit(2);
    if (widestDetail <= two.side) return two;
    Layout three = fit(3);
    three.splitDetail = true;
    return three;
}

QRect ArtCanvas::tileRect(int index) const
{
    if (index < 0 || index >= m_tiles.size()) return {};
    const Layout l = layout();
    const int col = index % l.columns, row = index / l.columns;
    return {l.x0 + col * (l.side + kGap), l.y0 + row * (l.side + l.label + kGap), l.side, l.side};
}

int ArtCanvas::tileAt(QPoint pixel) const
{
    for (int i = 0; i < m_tiles.size(); ++i)
        if (tileRect(i).contains(pixel)) return i;
    return -1;
}

QRectF ArtCanvas::visibleUv() const
{
    const double half = 0.5 / m_zoom;
    return {m_centre.x() - half, m_centre.y() - half, 2 * half, 2 * half};
}

void ArtCanvas::setView(double zoom, QPointF centre)
{
    m_zoom = std::clamp(zoom, 1.0, kMaxZoom);
    const double half = 0.5 / m_zoom;
    m_centre = {std::clamp(centre.x(), half, 1 - half), std::clamp(centre.y(), half, 1 - half)};
    update();
}

void ArtCanvas::resetView() { setView(1.0, {0.5, 0.5}); }

void ArtCanvas::drawTileImages()
{
    const QRectF uv = visibleUv();
    const double dpr = devicePixelRatioF();
    const double w = width() * dpr, h = height() * dpr;
    m_program->bind();
    m_program->setUniformValue("u_image", 0);
    m_vao.bind();
    for (int i = 0; i < m_tiles.size(); ++i) {
        const auto& tex = m_textures[size_t(i)];
        if (!tex) continue;
        // Fit the image (it may not be square) inside its square tile, keeping its aspect ratio.
        QRectF r = tileRect(i);
        const double aspect = double(tex->width()) / tex->height();
        if (aspect > 1)
            r.adjust(0, r.height() * (1 - 1 / aspect) / 2, 0, -r.height() * (1 - 1 / aspect) / 2);
        else if (aspect < 1)
            r.adjust(r.width() * (1 - aspect) / 2, 0, -r.width() * (1 - aspect) / 2, 0);
        const auto ndcX = [&](double x) { return float(2 * x * dpr / w - 1); };
        const auto ndcY = [&](double y) { return float(1 - 2 * y * dpr / h); };
        m_program->setUniformValue("u_rect",
                                   QVector4D(ndcX(r.left()), ndcY(r.bottom()), ndcX(r.right()), ndcY(r.top())));
        m_program->setUniformValue("u_uv",
                                   QVector4D(float(uv.left()), float(uv.top()), float(uv.right()), float(uv.bottom())));
        tex->bind(0);
        glDrawArrays(GL_TRIANGLE_STRIP, 0, 4);
        tex->release(0);
    }
    m_vao.release();
    m_program->release();
}

void ArtCanvas::drawLabels(QPainter& painter) const
{
    const QFontMetrics fm = painter.fontMetrics();
    const bool split = layout().splitDetail;
    // Titles are measured as the painter draws them (bold, on this device: other metrics under-measured them, and a
    // title was cut instead of elided). Where one does not fit, every tile drops "lr " (one form on every tile),
    // never ", tuned" (without it a tuned rate read as one set by hand), then elides.
    QFont bold = painter.font();
    bold.setBold(true);
    painter.setFont(bold);
    const QFontMetrics boldMetrics = painter.fontMetrics();
    bool shortRates = false;
    for (int i = 0; i < m_tiles.size(); ++i)
        shortRates = shortRates || boldMetrics.horizontalAdvance(m_tiles[i].title) > tileRect(i).width();
    QFont plain = bold;
    plain.setBold(false);
    painter.setFont(plain);
    for (int i = 0; i < m_tiles.size(); ++i) {
        const ArtTile& t = m_tiles[i];
        const QRect r = tileRect(i);
        if (t.image.isNull()) {
            painter.setPen(QColor(90, 90, 90));
            painter.drawRect(r.adjusted(0, 0, -1, -1));
            painter.drawText(r, Qt::AlignCenter, tr("waiting"));
        }
        if ((i == m_selected && !m_rendering) || t.failed) { // the selection is the screen's, not the figure's
            painter.setPen(QPen(t.failed ? QColor(200, 40, 40) : palette().highlight().color(), 3));
            painter.drawRect(r.adjusted(-2, -2, 1, 1));
        }
        painter.setPen(palette().windowText().color());
        painter.setFont(bold);
        QString title = t.title;
        if (shortRates) title.replace(QStringLiteral("(lr "), QStringLiteral("("));
        painter.drawText(QRect(r.left(), r.bottom() + 3, r.width(), fm.height()), Qt::AlignLeft | Qt::AlignVCenter,
                         boldMetrics.elidedText(title, Qt::ElideRight, r.width()));
        painter.setFont(plain);
        painter.setPen(t.failed ? QColor(200, 40, 40) : palette().placeholderText().color());
        const QStringList lines = split ? t.detail.split(QStringLiteral(" · ")) : QStringList{t.detail};
        for (int k = 0; k < lines.size() && k < (split ? 2 : 1); ++k) {
            const QString line = k == 1 ? lines.mid(1).join(QStringLiteral(" · ")) : lines[k];
            painter.drawText(QRect(r.left(), r.bottom() + 3 + (k + 1) * fm.height(), r.width(), fm.height()),
                             Qt::AlignLeft | Qt::AlignVCenter, fm.elidedText(line, Qt::ElideRight, r.width()));
        }
    }
    if (m_zoom > 1.0001) {
        painter.setPen(palette().placeholderText().color());
        painter.drawText(rect().adjusted(6, 2, -6, -2), Qt::AlignRight | Qt::AlignBottom,
                         tr("zoom %1x (double-click to reset)").arg(m_zoom, 0, 'f', 1));
    }
}

void ArtCanvas::paintGL()
{
    const QColor bg = palette().window().color();
    glClearColor(bg.redF(), bg.greenF(), bg.blueF(), 1.0f);
    glClear(GL_COLOR_BUFFER_BIT);
    if (m_ready) {
        uploadDirtyTextures();
        drawTileImages();
    }
    QPainter painter(this);
    if (!m_ready) {
        painter.setPen(palette().windowText().color());
        painter.drawText(rect().adjusted(12, 12, -12, -12), Qt::AlignCenter | Qt::TextWordWrap,
                         tr("The art canvas shader is not available.\n%1").arg(m_log.left(300)));
        return;
    }
    if (m_tiles.isEmpty()) {
        painter.setPen(palette().placeholderText().color());
        painter.drawText(rect().adjusted(12, 12, -12, -12), Qt::AlignCenter | Qt::TextWordWrap,
                         m_placeholder.isEmpty() ? tr("Choose a content and a style image and press Run.")
                                                 : m_placeholder);
        return;
    }
    drawLabels(painter);
}

void ArtCanvas::setPlaceholder(const QString& text)
{
    if (text == m_placeholder) return;
    m_placeholder = text;
    if (m_tiles.isEmpty()) update();
}

QImage ArtCanvas::renderCanvas()
{
    m_rendering = true;
    QImage image = grabFramebuffer();
    m_rendering = false;
    return image;
}

void ArtCanvas::mousePressEvent(QMouseEvent* e)
{
    if (e->button() == Qt::LeftButton) {
        setSelectedTile(tileAt(e->position().toPoint()));
        m_panning = true;
        m_panFrom = e->position().toPoint();
        m_panCentre = m_centre;
    }
}

void ArtCanvas::mouseMoveEvent(QMouseEvent* e)
{
    if (!m_panning || m_zoom <= 1.0) return;
    const int side = std::max(layout().side, 1);
    const QPointF d = QPointF(e->position().toPoint() - m_panFrom) / (side * m_zoom); // in texture units
    setView(m_zoom, m_panCentre - d);
}

void ArtCanvas::mouseReleaseEvent(QMouseEvent*) { m_panning = false; }

void ArtCanvas::mouseDoubleClickEvent(QMouseEvent*) { resetView(); }

// Zooms about the image point under the cursor (in whichever tile it is), so it stays under the cursor.
void ArtCanvas::wheelEvent(QWheelEvent* e)
{
    const double notches = e->angleDelta().y() / 120.0;
    if (notches == 0) return;
    const double newZoom = std::clamp(m_zoom * std::pow(kWheelStep, notches), 1.0, kMaxZoom);
    const int index = tileAt(e->position().toPoint());
    if (index < 0) {
        setView(newZoom, m_centre);
        return;
    }
    const QRect r = tileRect(index);
    const QPointF f((e->position().x() - r.left()) / r.width() - 0.5, (e->position().y() - r.top()) / r.height() - 0.5);
    const QPointF under = m_centre + f / m_zoom; // image point under the cursor
    setView(newZoom, under - f / newZoom);
    e->accept();
}

void ArtCanvas::contextMenuEvent(QContextMenuEvent* e)
{
    const int index = tileAt(e->pos());
    if (index < 0 || m_tiles[index].image.isNull()) return;
    setSelectedTile(index);
    QMenu menu(this);
    QAction* save = menu.addAction(tr("Save \"%1\" as PNG...").arg(m_tiles[index].title));
    QAction* reset = menu.addAction(tr("Reset zoom"));
    reset->setEnabled(m_zoom > 1.0);
    QAction* chosen = menu.exec(e->globalPos());
    if (chosen == save)
        emit saveRequested(index);
    else if (chosen == reset)
        resetView();
}

bool ArtCanvas::event(QEvent* e)
{
    if (e->type() == QEvent::ToolTip) {
        auto* help = static_cast<QHelpEvent*>(e);
        const Layout l = layout();
        for (int i = 0; i < m_tiles.size(); ++i)
            if (tileRect(i).adjusted(0, 0, 0, l.label).contains(help->pos())) {
                QToolTip::showText(help->globalPos(), m_tiles[i].title + QLatin1Char('\n') + m_tiles[i].detail, this);
                return true;
            }
        QToolTip::hideText();
        e->ignore();
        return true;
    }
    return QOpenGLWidget::event(e);
}

} // namespace l2l::ui
