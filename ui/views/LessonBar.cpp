#include "views/LessonBar.h"

#include <QApplication>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QVBoxLayout>

namespace l2l::ui {

LessonBar::LessonBar(QWidget* parent) : QFrame(parent)
{
    setObjectName(QStringLiteral("lessonBar"));
    setFrameShape(QFrame::StyledPanel);
    setAutoFillBackground(true);
    setBackgroundRole(QPalette::Base);
    m_counter = new QLabel;
    m_counter->setObjectName(QStringLiteral("slideCounter"));
    m_title = new QLabel;
    m_title->setObjectName(QStringLiteral("slideTitle"));
    m_title->setWordWrap(true);
    m_title->setTextFormat(Qt::PlainText);
    m_text = new QLabel;
    m_text->setObjectName(QStringLiteral("slideText"));
    m_text->setTextFormat(Qt::PlainText);
    m_text->setWordWrap(true);
    m_text->setTextInteractionFlags(Qt::TextSelectableByMouse);
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
    layout->addWidget(m_text);
    applyScale();
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
}

void LessonBar::showSlide(int index, int count, const QString& lessonTitle, const QString& title, const QString& text)
{
    m_counter->setText(tr("%1 / %2").arg(index + 1).arg(count));
    m_counter->setToolTip(lessonTitle);
    m_title->setText(title);
    m_text->setText(text);
    m_text->setVisible(!text.isEmpty());
    m_previous->setEnabled(index > 0);
    m_next->setEnabled(index + 1 < count);
}

QString LessonBar::slideTitle() const { return m_title->text(); }
QString LessonBar::slideText() const { return m_text->text(); }

} // namespace l2l::ui
