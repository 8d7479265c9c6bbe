#pragma once
// The lecture strip above the views: the current slide's title and text, "slide 3 of 12", and Previous / Next /
// End buttons (Page Up / Page Down are the window's shortcuts). It only shows; the window applies slides.
#include <QFrame>

class QLabel;
class QPushButton;

namespace l2l::ui {

class LessonBar : public QFrame {
    Q_OBJECT
public:
    explicit LessonBar(QWidget* parent = nullptr);
    void showSlide(int index, int count, const QString& lessonTitle, const QString& title, const QString& text);
    QString slideTitle() const;
    void applyScale(); // title and text sizes relative to the application font (presentation scale)
    QString slideText() const;

signals:
    void previousRequested();
    void nextRequested();
    void endRequested();

private:
    QLabel* m_counter = nullptr;
    QLabel* m_title = nullptr;
    QLabel* m_text = nullptr;
    QPushButton* m_previous = nullptr;
    QPushButton* m_next = nullptr;
};

} // namespace l2l::ui
