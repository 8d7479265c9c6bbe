#pragma once
// Shared check for the error paths: `fn` must throw l2l::Error whose message contains every given part
// (the file, the field, what is wrong).
#include "base/Types.h"

#include <QString>
#include <QtTest>

#include <functional>
#include <initializer_list>

namespace l2l::test {

inline void expectError(const std::function<void()>& fn, std::initializer_list<QString> parts)
{
    try {
        fn();
        QFAIL("no error");
    } catch (const Error& e) {
        bool all = true;
        for (const QString& part : parts) all = all && QString(e.what()).contains(part);
        QVERIFY2(all, e.what());
    }
}

} // namespace l2l::test
