#pragma once
// The lecture strip above the views: the current slide's title and text, "slide 3 of 12", and Previous / Next /
// End buttons (Page Up / Page Down are the window's shortcuts). It only shows; the window applies slides.
#include <QFrame>

class QLabel;
class QPushButton;
class QScrollArea;

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

protected:
    void resizeEvent(QResizeEvent* event) override;

private:
    void fitText(); // the text's height at the strip's width, capped (a longer text scrolls)
    QLabel* m_counter = nullptr;
    QLabel* m_title = nullptr;
    QLabel* m_text = nullptr;
    QScrollArea* m_textScroll = nullptr;
    QString m_titleText, m_slideText; // as given (the labels' texts have break opportunities added)
    QPushButton* m_previous = nullptr;
    QPushButton* m_next = nullptr;
};

} // namespace l2l::ui
