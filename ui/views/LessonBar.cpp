#include "views/LessonBar.h"

#include "views/ElidedLabel.h"

#include <QApplication>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QResizeEvent>
#include <QScrollArea>
#include <QScrollBar>
#include <QVBoxLayout>

namespace l2l::ui {

namespace {

// Lines of slide text in sight at once; a longer text scrolls inside the strip instead of pushing the figure down.
constexpr int kTextLines = 5;

} // namespace

LessonBar::LessonBar(QWidget* parent) : QFrame(parent)
{
    setObjectName(QStringLiteral("lessonBar"));
    setFrameShape(QFrame::StyledPanel);
    setAutoFillBackground(true);
    setBackgroundRole(QPalette::Base);
    m_counter = new QLabel;
    m_counter->setObjectName(QStringLiteral("slideCounter"));
    m_title = new WrappedLabel;
    m_title->setObjectName(QStringLiteral("slideTitle"));
    m_title->setTextFormat(Qt::PlainText);
    m_title->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Minimum); // its width is the strip's, never more
    m_text = new WrappedLabel;
    m_text->setObjectName(QStringLiteral("slideText"));
    m_text->setTextFormat(Qt::PlainText);
    m_text->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_textScroll = new QScrollArea;
    m_textScroll->setObjectName(QStringLiteral("slideTextScroll"));
    m_textScroll->setWidget(m_text);
    m_textScroll->setWidgetResizable(true);
    m_textScroll->setFrameShape(QFrame::NoFrame);
    m_textScroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    m_textScroll->viewport()->setAutoFillBackground(false);
    m_previous = new QPushButton(tr("◀ Previous"));
    m_previous->setObjectName(QStringLiteral("previousSlide"));
    m_previous->setToolTip(tr("The previous slide (Page Up)"));
    m_next = new QPushButton(tr("Next ▶"));
    m_next->setObjectName(QStringLiteral("nextSlide"));
    m_next->setToolTip(tr("The next slide (Page Down)"));
    auto* end = new QPushButton(tr("End"));
    end->setObjectName(QStringLiteral("endLesson"));
    end->setToolTip(tr("Close the lesson; the figure stays"));
    for (QPushButton* b : {m_previous, m_next, end}) b->setFocusPolicy(Qt::NoFocus); // Page keys stay the window's
    connect(m_previous, &QPushButton::clicked, this, &LessonBar::previousRequested);
    connect(m_next, &QPushButton::clicked, this, &LessonBar::nextRequested);
    connect(end, &QPushButton::clicked, this, &LessonBar::endRequested);

    auto* head = new QHBoxLayout;
    head->addWidget(m_title, 1);
    head->addWidget(m_counter);
    head->addWidget(m_previous);
    head->addWidget(m_next);
    head->addWidget(end);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(10, 6, 10, 8);
    layout->addLayout(head);
    layout->addWidget(m_textScroll);
    applyScale();
}

void LessonBar::fitText()
{
    // As tall as the text at the strip's width, at most kTextLines lines (then it scrolls).
    const int width = m_textScroll->viewport()->width() > 0 ? m_textScroll->viewport()->width() : this->width();
    const int needed = m_text->heightForWidth(width);
    const int cap = m_text->fontMetrics().lineSpacing() * kTextLines + 4;
    const int height = std::min(needed > 0 ? needed : m_text->sizeHint().height(), cap);
    if (m_textScroll->height() != height) m_textScroll->setFixedHeight(height);
}

void LessonBar::resizeEvent(QResizeEvent* event)
{
    QFrame::resizeEvent(event);
    fitText();
}

void LessonBar::applyScale()
{
    QFont big = QApplication::font();
    big.setPointSizeF(big.pointSizeF() * 1.35);
    big.setBold(true);
    m_title->setFont(big);
    QFont body = QApplication::font();
    body.setPointSizeF(body.pointSizeF() * 1.1);
    m_text->setFont(body);
    fitText();
}

void LessonBar::showSlide(int index, int count, const QString& lessonTitle, const QString& title, const QString& text)
{
    m_counter->setText(tr("%1 / %2").arg(index + 1).arg(count));
    m_counter->setToolTip(lessonTitle);
    m_counter->setWhatsThis(tr("Slide %1 of %2 of the lesson \"%3\"").arg(index + 1).arg(count).arg(lessonTitle));
    m_titleText = title;
    m_slideText = text;
    m_title->setText(breakableText(title));
    m_text->setText(breakableText(text));
    m_textScroll->setVisible(!text.isEmpty());
    m_textScroll->verticalScrollBar()->setValue(0);
    fitText();
    m_previous->setEnabled(index > 0);
    m_next->setEnabled(index + 1 < count);
}

QString LessonBar::slideTitle() const { return m_titleText; }
QString LessonBar::slideText() const { return m_slideText; }

} // namespace l2l::ui
