// Stopping meta-training at any moment (inside a BPTT window, between windows, inside a validation) and
// running the same trainer again gives exactly the weights, history and best of an uninterrupted run.
#include "meta/MetaTrainer.h"

#include <QtTest>

#include <chrono>
#include <thread>

using namespace l2l;

class TestTrainStop : public QObject {
    Q_OBJECT
private slots:
    void stopAnywhereResumesExactly();
    void etaAfterResumeUsesTheWholeRun();
};

void TestTrainStop::stopAnywhereResumesExactly()
{
    MetaTrainConfig c;
    c.problem = "quadratic:dim=20";
    c.epochs = 60;
    c.validateEvery = 3; // validations are a large share of the time, so stops land in them too
    c.validationRuns = 20;
    c.threads = 1;
    MetaTrainer reference(c);
    reference.run(nullptr, nullptr);

    MetaTrainer trainer(c);
    int stops = 0;
    // Stops at scattered moments; the delays grow so that every epoch (episode + validation) fits in one.
    for (int k = 0; trainer.state().epoch < c.epochs; ++k) {
        const int delayUs = 200 + 997 * k % 3000 + 150 * k;
        std::atomic<bool> cancel{false};
        std::thread stopper([&] {
            std::this_thread::sleep_for(std::chrono::microseconds(delayUs));
            cancel = true;
        });
        trainer.run(nullptr, &cancel);
        stopper.join();
        ++stops;
        QVERIFY(stops < 10000);
    }
    qInfo("%d stops", stops);
    QVERIFY(stops > 5);
    const MetaTrainState &a = reference.state(), &b = trainer.state();
    QVERIFY(a.net.params == b.net.params);
    QVERIFY(a.best.params == b.best.params);
    QCOMPARE(a.bestEpoch, b.bestEpoch);
    QCOMPARE(a.history.size(), b.history.size());
    for (size_t i = 0; i < a.history.size(); ++i) {
        QCOMPARE(a.history[i].epoch, b.history[i].epoch);
        QCOMPARE(a.history[i].metaLoss, b.history[i].metaLoss);
        QCOMPARE(std::isnan(a.history[i].validationLoss), std::isnan(b.history[i].validationLoss));
        if (!std::isnan(a.history[i].validationLoss))
            QCOMPARE(a.history[i].validationLoss, b.history[i].validationLoss);
    }
}

// The time left is estimated from the whole run's time per epoch, resumed parts included: the first epochs after a
// resume carry its start-up, and an estimate from them alone was 6 times the time the run took.
void TestTrainStop::etaAfterResumeUsesTheWholeRun()
{
    MetaTrainConfig c;
    c.problem = "quadratic";
    c.epochs = 20;
    c.validateEvery = 1000;
    c.threads = 1;
    MetaTrainer first(c);
    std::atomic<bool> cancel{false};
    first.run([&](const MetaProgress& p) { cancel = p.epoch >= 10; }, &cancel);
    MetaTrainState state = first.state();
    QCOMPARE(state.epoch, 10);
    state.elapsedSeconds = 1000; // as if the first 10 epochs had taken 100 s each
    MetaTrainer resumed(std::move(state));
    std::vector<MetaProgress> seen;
    resumed.run([&](const MetaProgress& p) { seen.push_back(p); }, nullptr);
    QVERIFY(!seen.empty());
    const MetaProgress& p = seen.front(); // epoch 11: 1000 s + the epoch's own time over 11 epochs, 9 to go
    QCOMPARE(p.epoch, 11);
    QVERIFY(p.elapsedSeconds >= 1000 && p.elapsedSeconds < 1100);
    QCOMPARE(p.etaSeconds, p.elapsedSeconds / 11 * 9);
    QCOMPARE(seen.back().etaSeconds, 0.0);
}

QTEST_APPLESS_MAIN(TestTrainStop)
#include "test_train_stop.moc"
