#include "views/FocusRing.h"

#include <QApplication>
#include <QEvent>
#include <QPainter>

namespace l2l::ui {

namespace {
constexpr int kWidth = 2, kGap = 1; // the frame's width and its distance from the widget
}

FocusRing::FocusRing(QWidget* window) : QWidget(window)
{
    setObjectName(QStringLiteral("focusRing"));
    setAttribute(Qt::WA_TransparentForMouseEvents);
    setAttribute(Qt::WA_NoSystemBackground);
    setFocusPolicy(Qt::NoFocus);
    hide();
    connect(qApp, &QApplication::focusChanged, this, [this](QWidget*, QWidget* now) { follow(now); });
}

void FocusRing::follow(QWidget* widget)
{
    for (const QPointer<QWidget>& w : m_watched)
        if (w) w->removeEventFilter(this);
    m_watched.clear();
    m_target = widget && widget != parentWidget() && parentWidget()->isAncestorOf(widget) ? widget : nullptr;
    if (!m_target) {
        hide();
        return;
    }
    // The target and every ancestor below the window: a layout that moves a parent (a group shown or hidden above,
    // a dock resized, a page scrolled) moves the target without a Move event of its own, and left the frame behind.
    for (QWidget* w = m_target; w && w != parentWidget(); w = w->parentWidget()) {
        w->installEventFilter(this);
        m_watched.push_back(w);
    }
    place();
}

void FocusRing::place()
{
    if (!m_target || !m_target->isVisible() || !m_target->isVisibleTo(parentWidget())) {
        hide();
        return;
    }
    const int pad = kWidth + kGap;
    const QRect r(m_target->mapTo(parentWidget(), QPoint(0, 0)), m_target->size());
    setGeometry(r.adjusted(-pad, -pad, pad, pad));
    // Only the frame is this widget's: the inside stays the target's, for painting and for the mouse.
    setMask(QRegion(rect()).subtracted(QRegion(rect().adjusted(pad, pad, -pad, -pad))));
    raise();
    show();
    update();
}

bool FocusRing::eventFilter(QObject* watched, QEvent* event)
{
    if (m_target) switch (event->type()) { // watched: the target or an ancestor (follow installs no other)
        case QEvent::Move:
        case QEvent::Resize:
        case QEvent::Show:
        case QEvent::Hide:
            place();
            break;
        default:
            break;
        }
    return QWidget::eventFilter(watched, event);
}

void FocusRing::paintEvent(QPaintEvent*)
{
    QPainter p(this);
    p.setRenderHint(QPainter::Antialiasing);
    QPen pen(palette().color(QPalette::Highlight), kWidth);
    p.setPen(pen);
    p.drawRoundedRect(QRectF(rect()).adjusted(kWidth / 2.0, kWidth / 2.0, -kWidth / 2.0, -kWidth / 2.0), 3, 3);
}

} // namespace l2l::ui
