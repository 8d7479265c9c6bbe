#include "plots/TransferMap.h"

#include "base/AtomicFile.h"
#include "plots/SaveText.h"

#include <QBuffer>
#include <QFileInfo>
#include <QFontMetrics>
#include <QImage>
#include <QPainter>
#include <QPdfWriter>

#include <algorithm>
#include <cmath>

namespace l2l::ui {

namespace {
constexpr int kTitleH = 34, kHeaderH = 44, kRowH = 46, kAxisW = 130, kLabelW = 150, kColW = 210, kLegendH = 46,
              kMargin = 12;

struct Layout {
    QRect grid;             // the cells
    int rows = 0, cols = 0; // every variant of the grid is a row; the first `done` have cells
    int done = 0;
    double rowH = kRowH, colW = kColW;
};

Layout layoutOf(const QRect& area, const TransferResult& r)
{
    Layout l;
    l.rows = int(r.config.variants.size());
    l.done = std::clamp(r.completedVariants, 0, l.rows);
    l.cols = int(r.config.optimizers.size());
    const int left = area.left() + kMargin + kAxisW + kLabelW, top = area.top() + kTitleH + kHeaderH;
    l.grid = QRect(left, top, std::max(1, area.right() - kMargin - left), std::max(1, area.bottom() - kLegendH - top));
    l.rowH = l.rows > 0 ? double(l.grid.height()) / l.rows : kRowH;
    l.colW = l.cols > 0 ? double(l.grid.width()) / l.cols : kColW;
    return l;
}

QString ratioText(double ratio)
{
    if (!std::isfinite(ratio)) return QStringLiteral("n/a");
    return QString::number(ratio, 'g', transferRatioDigits(ratio)) + QStringLiteral("×");
}

QString pText(double p)
{
    if (!std::isfinite(p)) return QStringLiteral("p n/a");
    return p < 0.001 ? QStringLiteral("p<0.001") : QStringLiteral("p=") + QString::number(p, 'g', 2);
}
} // namespace

QColor transferRatioColor(double ratio)
{
    if (!std::isfinite(ratio) || ratio <= 0) return QColor(200, 200, 200);
    const double t = std::clamp(std::log10(ratio), -1.0, 1.0); // -1: 10x better, +1: 10x worse
    const double a = std::abs(t);
    // White at 1, towards a saturated blue (ahead) or red (behind).
    const QColor far = t < 0 ? QColor(33, 102, 172) : QColor(178, 24, 43);
    return QColor(int(255 + (far.red() - 255) * a), int(255 + (far.green() - 255) * a),
                  int(255 + (far.blue() - 255) * a));
}

QSize transferMapSize(const TransferResult& r)
{
    const int cols = std::max<int>(1, int(r.config.optimizers.size()));
    return {2 * kMargin + kAxisW + kLabelW + cols * kColW,
            kTitleH + kHeaderH + std::max<int>(1, int(r.config.variants.size())) * kRowH + kLegendH};
}

void paintTransferMap(QPainter& p, const QRect& area, const TransferResult& r, const QString& title)
{
    p.save();
    p.fillRect(area, Qt::white);
    p.setRenderHint(QPainter::Antialiasing, false);
    QFont base = p.font();
    base.setPixelSize(13);
    QFont bold = base;
    bold.setBold(true);
    QFont small = base;
    small.setPixelSize(11);
    const Layout l = layoutOf(area, r);
    p.setPen(Qt::black);
    p.setFont(bold);
    p.drawText(QRect(area.left() + kMargin, area.top(), area.width() - 2 * kMargin, kTitleH),
               Qt::AlignVCenter | Qt::AlignLeft, title);
    // Column headers: the optimizer files' names.
    p.setFont(base);
    for (int c = 0; c < l.cols; ++c) {
        const QRect h(int(l.grid.left() + c * l.colW), area.top() + kTitleH, int(l.colW), kHeaderH);
        const QString name = QFileInfo(QString::fromStdString(r.config.optimizers[size_t(c)])).fileName();
        p.drawText(h.adjusted(4, 0, -4, 0), Qt::AlignCenter | Qt::TextWordWrap,
                   QFontMetrics(base).elidedText(name, Qt::ElideMiddle, int(l.colW) - 8));
    }
    for (int v = 0; v < l.rows; ++v) {
        const TransferVariant& var = r.config.variants[size_t(v)];
        const int y = int(l.grid.top() + v * l.rowH), h = int(l.grid.top() + (v + 1) * l.rowH) - y;
        const bool firstOfAxis = v == 0 || r.config.variants[size_t(v - 1)].axis != var.axis;
        p.setPen(QColor(90, 90, 90));
        if (firstOfAxis) {
            p.setFont(bold);
            p.drawText(QRect(area.left() + kMargin, y, kAxisW - 6, h), Qt::AlignVCenter | Qt::AlignLeft,
                       QString::fromStdString(var.axis));
            if (v > 0) p.drawLine(area.left() + kMargin, y, l.grid.right(), y);
        }
        p.setFont(base);
        const bool pending = v >= l.done; // not computed (yet): a grey row, so the map shows what it lacks
        p.setPen(pending ? QColor(140, 140, 140) : QColor(Qt::black));
        p.drawText(QRect(area.left() + kMargin + kAxisW, y, kLabelW - 6, h), Qt::AlignVCenter | Qt::AlignLeft,
                   QFontMetrics(base).elidedText(QString::fromStdString(var.label), Qt::ElideRight, kLabelW - 6));
        if (pending) {
            for (int c = 0; c < l.cols; ++c) {
                const QRect box(int(l.grid.left() + c * l.colW) + 1, y + 1, int(l.colW) - 2, h - 2);
                p.fillRect(box, QColor(242, 242, 242));
                p.setFont(small);
                p.setPen(QColor(140, 140, 140));
                p.drawText(box.adjusted(6, 2, -6, -2), Qt::AlignLeft | Qt::AlignVCenter,
                           QStringLiteral("not computed"));
            }
            continue;
        }
        for (int c = 0; c < l.cols; ++c) {
            const TransferCell& cell = r.cells[size_t(v)][size_t(c)];
            const QRect box(int(l.grid.left() + c * l.colW) + 1, y + 1, int(l.colW) - 2, h - 2);
            p.fillRect(box, transferRatioColor(cell.ratio));
            const bool significant = std::isfinite(cell.p) && cell.p < 0.05 && cell.pairs >= 2;
            if (significant) {
                p.setPen(QPen(Qt::black, 2));
                p.drawRect(box.adjusted(1, 1, -1, -1));
            }
            // Where the optimizer was trained (its problem and horizon): the cell the others transfer from.
            if (r.trainedHere(size_t(v), size_t(c))) {
                p.setFont(small);
                p.setPen(QColor(90, 90, 90));
                p.drawText(box.adjusted(6, 2, -6, -2), Qt::AlignRight | Qt::AlignTop, QStringLiteral("trained here"));
            }
            const bool dark = std::isfinite(cell.ratio) && std::abs(std::log10(cell.ratio)) > 0.6;
            p.setPen(dark ? Qt::white : Qt::black);
            // First line: the ratio and the baseline it is to; second: the runs and the mean's p. In one line the p
            // was elided off every cell of an 800 px map ("vs adam: lower in 30/50, mean p…").
            const QRect top = box.adjusted(6, 2, -6, -box.height() / 2);
            p.setFont(bold);
            const QString ratio = ratioText(cell.ratio);
            p.drawText(top, Qt::AlignLeft | Qt::AlignBottom, ratio);
            p.setFont(small);
            if (!cell.baseline.empty()) {
                const int after = QFontMetrics(bold).horizontalAdvance(ratio);
                p.drawText(
                    top.adjusted(after, 0, 0, 0), Qt::AlignLeft | Qt::AlignBottom,
                    QFontMetrics(small).elidedText(QStringLiteral(" vs ") + QString::fromStdString(cell.baseline),
                                                   Qt::ElideRight, std::max(0, top.width() - after)));
            }
            const QString detail =
                cell.baseline.empty()
                    ? QStringLiteral("every baseline diverged")
                    // p is the paired test of the mean difference, which the ratio's colour
                    // shows; "won 134/200, p=0.0088" read as p for the runs won.
                    : QStringLiteral("lower in %1/%2 · mean %3").arg(cell.won).arg(cell.pairs).arg(pText(cell.p));
            p.drawText(box.adjusted(6, box.height() / 2, -6, -2), Qt::AlignLeft | Qt::AlignTop,
                       QFontMetrics(small).elidedText(detail, Qt::ElideRight, box.width() - 12));
        }
    }
    // Legend: the colour scale.
    p.setFont(small);
    p.setPen(Qt::black);
    const int ly = area.bottom() - kLegendH + 14, lx = area.left() + kMargin + kAxisW + kLabelW;
    const int lw = std::max(60, std::min(300, area.right() - kMargin - 40 - lx));
    for (int i = 0; i < lw; ++i) {
        const double ratio = std::pow(10.0, -1.0 + 2.0 * i / (lw - 1));
        p.setPen(transferRatioColor(ratio));
        p.drawLine(lx + i, ly, lx + i, ly + 10);
    }
    p.setPen(Qt::black);
    p.drawText(QRect(lx - 40, ly + 11, 80, 16), Qt::AlignCenter, QStringLiteral("0.1× (ahead)"));
    p.drawText(QRect(lx + lw / 2 - 40, ly + 11, 80, 16), Qt::AlignCenter, QStringLiteral("1×"));
    p.drawText(QRect(lx + lw - 40, ly + 11, 80, 16), Qt::AlignCenter, QStringLiteral("10× (behind)"));
    p.drawText(QRect(area.left() + kMargin, ly - 4, kAxisW + kLabelW - 8, 28), Qt::AlignLeft | Qt::AlignVCenter,
               QStringLiteral("final loss / best tuned\nbaseline's; frame: p < 0.05"));
    p.restore();
}

std::pair<int, int> transferCellAt(const QRect& area, const TransferResult& r, const QPoint& pos)
{
    const Layout l = layoutOf(area, r);
    if (!l.grid.contains(pos) || l.rows == 0 || l.cols == 0) return {-1, -1};
    const int v = std::min(l.rows - 1, int((pos.y() - l.grid.top()) / l.rowH));
    if (v >= l.done) return {-1, -1}; // a row not computed has no cell to open
    const int c = std::min(l.cols - 1, int((pos.x() - l.grid.left()) / l.colW));
    return {v, c};
}

void saveTransferMap(const TransferResult& r, const QString& path, const QString& title)
{
    const QString ext = QFileInfo(path).suffix().toLower();
    if (ext != QLatin1String("png") && ext != QLatin1String("pdf"))
        throw Error("cannot save the transfer map '" + path.toStdString() +
                    "': the file name must end in .png or .pdf");
    const QSize size = transferMapSize(r);
    const std::string target = path.toStdString();
    if (ext == QLatin1String("pdf")) {
        // Vector: the cells and text as drawn, on a page of the map's size at 96 units per inch, the resolution
        // the PNG's layout and fonts are made at.
        writeThroughTemporary(target, "pdf", "the transfer map", [&](const QString& tmp) {
            QPdfWriter pdf(tmp);
            pdf.setResolution(96);
            pdf.setPageSize(QPageSize(QSizeF(size) * 72.0 / 96.0, QPageSize::Point));
            pdf.setPageMargins(QMarginsF(0, 0, 0, 0));
            pdf.setTitle(title);
            QPainter painter;
            if (!painter.begin(&pdf)) return false;
            paintTransferMap(painter, QRect(QPoint(0, 0), size), r, title);
            return painter.end();
        });
        return;
    }
    // At twice the layout's pixels (as the studio's plot exports): a 724-pixel map was not legible in print.
    QImage image(size * 2, QImage::Format_RGB32);
    image.setDevicePixelRatio(2);
    {
        QPainter painter(&image);
        paintTransferMap(painter, QRect(QPoint(0, 0), size), r, title);
    }
    QByteArray bytes;
    QBuffer buffer(&bytes);
    buffer.open(QIODevice::WriteOnly);
    if (!image.save(&buffer, "PNG")) throw Error("cannot encode the transfer map '" + target + "'");
    writeFileAtomically(target, std::string(bytes.constData(), size_t(bytes.size())));
}

} // namespace l2l::ui
