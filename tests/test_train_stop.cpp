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

QTEST_APPLESS_MAIN(TestTrainStop)
#include "test_train_stop.moc"
