#pragma once
// The neural-art canvas: images side by side in a grid of square tiles (the content and style images,
// then the image each optimizer is producing), drawn as textures by shaders/art.{vert,frag}; a title
// and a line of detail (step, loss) under each tile, painted on top with QPainter.
// All tiles share one view, so the same detail can be compared across optimizers: the wheel zooms
// about the cursor (magnified pixels are drawn sharp, as pixels), a drag pans, a double click resets.
// A click selects a tile; the context menu saves a tile's image as PNG.
// Textures are uploaded on the GUI thread, in paintGL, from the QImages given to setTiles/updateTile.
#include <QImage>
#include <QList>
#include <QOpenGLFunctions>
#include <QOpenGLVertexArrayObject>
#include <QOpenGLWidget>
#include <QPointF>
#include <QString>

#include <memory>
#include <vector>

class QOpenGLShaderProgram;
class QOpenGLTexture;
class QPainter;

namespace l2l::ui {

struct ArtTile {
    QString title;       // "content", "style", "adam (lr 0.05)"
    QString detail;      // "step 40 · loss 0.512", or why it stopped
    QImage image;        // any format; shown as RGB
    bool failed = false; // drawn with a red frame (diverged, or an error)
};

class ArtCanvas : public QOpenGLWidget, protected QOpenGLFunctions {
    Q_OBJECT
public:
    explicit ArtCanvas(QWidget* parent = nullptr);
    ~ArtCanvas() override; // releases the textures and the program in this widget's context

    // Replaces every tile. The view (zoom, pan) is kept; the selection is kept if still in range.
    void setTiles(const QList<ArtTile>& tiles);
    // Updates one tile's image and detail (a live snapshot): only that texture is uploaded again.
    void updateTile(int index, const QImage& image, const QString& detail, bool failed = false);
    int tileCount() const { return int(m_tiles.size()); }
    const ArtTile& tile(int index) const { return m_tiles.at(index); }

    // The text shown while there are no tiles (empty: "Choose a content and a style image and press Run.").
    void setPlaceholder(const QString& text);
    QString placeholder() const { return m_placeholder; }

    int selectedTile() const { return m_selected; }
    void setSelectedTile(int index); // -1: none

    // Shared view: zoom >= 1 (1 = whole image) about the image point `centre` (texture coordinates).
    double zoom() const { return m_zoom; }
    QPointF viewCentre() const { return m_centre; }
    void setView(double zoom, QPointF centre); // clamped so the view stays inside the images
    void resetView();

    // Layout, in widget pixels: the square where tile `index`'s image is drawn, and the tile under a point.
    QRect tileRect(int index) const;
    int tileAt(QPoint pixel) const;
    // Lines of text under each tile: the title and the detail, whose parts ("step 128 · loss 0.7698") take a
    // line each when the detail is wider than a tile (3), instead of being cut.
    int captionLines() const { return layout().splitDetail ? 3 : 2; }

    // The canvas rendered off-screen (images and labels), as the user sees it.
    QImage renderCanvas();
    bool isShaderReady() const { return m_ready; }
    QString shaderLog() const { return m_log; }
    void setShaderFiles(const QString& vertexPath, const QString& fragmentPath); // before first shown

signals:
    void selectionChanged(int index);
    void saveRequested(int index); // the context menu's "Save image as PNG..."
    void glError(const QString& message);

protected:
    void initializeGL() override;
    void paintGL() override;
    void mousePressEvent(QMouseEvent* e) override;
    void mouseMoveEvent(QMouseEvent* e) override;
    void mouseReleaseEvent(QMouseEvent* e) override;
    void mouseDoubleClickEvent(QMouseEvent* e) override;
    void wheelEvent(QWheelEvent* e) override;
    void contextMenuEvent(QContextMenuEvent* e) override;
    bool event(QEvent* e) override; // tooltip over a tile or its caption: the caption in full (it may be elided)

private:
    struct Layout {
        int columns = 1, side = 0, x0 = 0, y0 = 0;
        int label = 0;            // pixels of text under each tile
        bool splitDetail = false; // the detail on two lines (it is wider than a tile)
    };
    Layout layout() const;
    void uploadDirtyTextures();
    void drawTileImages();
    void drawLabels(QPainter& painter) const;
    QRectF visibleUv() const; // the texture region every tile shows
    void releaseGl();

    QList<ArtTile> m_tiles;
    std::vector<std::unique_ptr<QOpenGLTexture>> m_textures; // GUI thread, this widget's context
    std::vector<bool> m_dirty;
    int m_selected = -1;
    bool m_rendering = false; // renderCanvas: an image for a file, without the selection frame

    std::unique_ptr<QOpenGLShaderProgram> m_program;
    QOpenGLVertexArrayObject m_vao;
    bool m_ready = false;
    QString m_log, m_vertexPath, m_fragmentPath;
    QString m_placeholder;

    double m_zoom = 1;
    QPointF m_centre{0.5, 0.5};
    bool m_panning = false;
    QPoint m_panFrom;
    QPointF m_panCentre;
};

} // namespace l2l::ui
