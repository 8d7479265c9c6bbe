#pragma once
// A layout that places its items left to right and wraps them onto the next line when the width runs out (the
// control bars of the Trajectories and Art views): at any window width every control stays visible, and the bar's
// minimum width is its widest item, not the sum of them all.
#include <QLayout>
#include <QList>

namespace l2l::ui {

class FlowLayout : public QLayout {
public:
    explicit FlowLayout(QWidget* parent = nullptr, int spacing = 6);
    ~FlowLayout() override;

    void addItem(QLayoutItem* item) override;
    int count() const override { return int(m_items.size()); }
    QLayoutItem* itemAt(int index) const override;
    QLayoutItem* takeAt(int index) override;
    Qt::Orientations expandingDirections() const override { return {}; }
    bool hasHeightForWidth() const override { return true; }
    int heightForWidth(int width) const override;
    QSize sizeHint() const override;    // all items on one line
    QSize minimumSize() const override; // the widest item
    void setGeometry(const QRect& rect) override;

private:
    int place(const QRect& rect, bool apply) const; // the height used
    QList<QLayoutItem*> m_items;
};

// A label and its control as one item of a flow (they wrap together); the label is the control's buddy, so its
// text is the control's accessible name and Alt+letter focuses it.
QWidget* labelled(const QString& label, QWidget* control);

} // namespace l2l::ui
