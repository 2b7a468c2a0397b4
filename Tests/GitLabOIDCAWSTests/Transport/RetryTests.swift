import GitLabOIDCAWSTestSupport
import Testing

@testable import GitLabOIDCAWS

struct Failure: Error, CustomStringConvertible {
    let retryable: Bool
    var description: String { retryable ? "temporary failure" : "permanent failure" }
}

@Suite struct RetryStepTests {
    let settings = RetrySettings()

    @Test func retriesATransientFailureWithTheJitteredWait() {
        #expect(RetryStep.after(attempt: 1, decision: .retry, elapsed: 0.5, wait: 0.1, settings: settings) == .wait(0.1))
    }

    @Test func neverRetriesWhatCannotPass() {
        #expect(
            RetryStep.after(attempt: 1, decision: .stop, elapsed: 0, wait: 0.1, settings: settings)
                == .giveUp(.notRetryable))
    }

    @Test func stopsAfterMaxAttempts() {
        #expect(
            RetryStep.after(attempt: 5, decision: .retry, elapsed: 1, wait: 0.1, settings: settings)
                == .giveUp(.attemptsExhausted))
        var one = settings
        one.maxAttempts = 1
        #expect(RetryStep.after(attempt: 1, decision: .retry, elapsed: 0, wait: 0, settings: one) == .giveUp(.attemptsExhausted))
    }

    @Test func stopsWhenTheWaitWouldPassTheDeadline() {
        #expect(
            RetryStep.after(attempt: 2, decision: .retry, elapsed: 59.95, wait: 0.1, settings: settings)
                == .giveUp(.deadline))
        #expect(RetryStep.after(attempt: 2, decision: .retry, elapsed: 59.8, wait: 0.1, settings: settings) == .wait(0.1))
    }

    @Test func backoffDoublesFrom200MillisecondsUpTo20Seconds() {
        let ceilings = (1...10).map { Retrier.backoffCeiling(afterAttempt: $0, initial: 0.2) }
        #expect(ceilings.prefix(5) == [0.2, 0.4, 0.8, 1.6, 3.2])
        #expect(ceilings.last == 20)
        #expect(Retrier.backoffCeiling(afterAttempt: 1000, initial: 0.2) == 20)
    }
}

@Suite struct RetrierAttemptTests {
    func retrier(_ time: ManualClock, settings: RetrySettings = RetrySettings(), log: @escaping (String) -> Void)
        -> Retrier
    {
        var retrier = Retrier(settings: settings, clock: time.clock, log: log)
        retrier.random = { 0.5 }
        return retrier
    }

    @Test func retriesUntilSuccessAndLogsEachFailedAttempt() throws {
        let time = ManualClock()
        var lines: [String] = []
        var timeouts: [Double] = []
        let value = try retrier(time) { lines.append($0) }.run(
            "STS call",
            operation: { (timeout: Double) throws(Failure) -> Int in
                timeouts.append(timeout)
                if timeouts.count < 3 { throw Failure(retryable: true) }
                return 7
            },
            classify: { error, _ in error.retryable ? .retry : .stop })
        #expect(value == 7)
        #expect(timeouts == [15, 15, 15])
        #expect(time.sleeps == [0.1, 0.2])
        #expect(
            lines == [
                "STS call: attempt 1 of 5 failed: temporary failure; retrying in 0.10 s",
                "STS call: attempt 2 of 5 failed: temporary failure; retrying in 0.20 s",
                "STS call: attempt 3 of 5 succeeded (0.30 s)",
            ])
    }

    @Test func aFirstTimeSuccessLogsNothing() throws {
        var lines: [String] = []
        _ = try retrier(ManualClock()) { lines.append($0) }.run(
            "x", operation: { (_: Double) throws(Failure) -> Int in 1 }, classify: { _, _ in .retry })
        #expect(lines.isEmpty)
    }

    @Test func givesUpAfterMaxAttempts() {
        let time = ManualClock()
        var lines: [String] = []
        var calls = 0
        #expect(throws: Failure.self) {
            try retrier(time) { lines.append($0) }.run(
                "STS call",
                operation: { (_: Double) throws(Failure) -> Int in
                    calls += 1
                    throw Failure(retryable: true)
                },
                classify: { _, _ in .retry })
        }
        #expect(calls == 5)
        #expect(lines.count == 5)
        #expect(lines.last == "STS call: attempt 5 of 5 failed; giving up after 5 attempts in 1.50 s (max_attempts)")
    }

    @Test func stopsAtOnceOnAPermanentFailure() {
        var lines: [String] = []
        var calls = 0
        #expect(throws: Failure.self) {
            try retrier(ManualClock()) { lines.append($0) }.run(
                "STS call",
                operation: { (_: Double) throws(Failure) -> Int in
                    calls += 1
                    throw Failure(retryable: false)
                },
                classify: { error, _ in error.retryable ? .retry : .stop })
        }
        #expect(calls == 1)
        #expect(lines == ["STS call: attempt 1 of 5 failed; not retrying: another attempt cannot help"])
    }

    @Test func theDeadlineBoundsAttemptsAndShortensTheLastOne() {
        let time = ManualClock()
        var settings = RetrySettings()
        settings.deadline = 20
        settings.maxAttempts = 10
        var timeouts: [Double] = []
        var lines: [String] = []
        #expect(throws: Failure.self) {
            try retrier(time, settings: settings) { lines.append($0) }.run(
                "STS call",
                operation: { (timeout: Double) throws(Failure) -> Int in
                    timeouts.append(timeout)
                    time.monotonic += timeout  // a black hole: every attempt uses all its time
                    throw Failure(retryable: true)
                },
                classify: { _, _ in .retry })
        }
        #expect(timeouts.count == 2)
        #expect(timeouts[0] == 15)
        #expect(abs(timeouts[1] - 4.9) < 1e-9)
        #expect(lines.last?.contains("another one would end after the 20 s deadline") == true)
    }

    @Test func classifyGetsTheAttemptNumber() {
        var seen: [Int] = []
        #expect(throws: Failure.self) {
            try retrier(ManualClock()) { _ in }.run(
                "x", operation: { (_: Double) throws(Failure) -> Int in throw Failure(retryable: true) },
                classify: { _, attempt in
                    seen.append(attempt)
                    return attempt < 3 ? .retry : .stop
                })
        }
        #expect(seen == [1, 2, 3])
    }

    @Test func theBackoffCeilingDoublesEachAttempt() throws {
        let time = ManualClock()
        var retrier = Retrier(settings: RetrySettings(), clock: time.clock, log: { _ in })
        retrier.random = { 0.999 }
        var calls = 0
        let value = try retrier.run(
            "x",
            operation: { (_: Double) throws(Failure) -> Int in
                calls += 1
                if calls < 4 { throw Failure(retryable: true) }
                return 42
            }, classify: { error, _ in error.retryable ? .retry : .stop })
        #expect(value == 42)
        #expect(time.sleeps.count == 3)
        #expect(time.sleeps[0] < 0.2 && time.sleeps[1] < 0.4 && time.sleeps[2] < 0.8 && time.sleeps[2] > 0.79)
    }

    @Test func retriedAttemptsAreDescribedByTheCaller() {
        var lines: [String] = []
        #expect(throws: Failure.self) {
            try retrier(ManualClock()) { lines.append($0) }.run(
                "fetching",
                operation: { (_: Double) throws(Failure) -> Int in throw Failure(retryable: true) },
                classify: { _, attempt in attempt < 2 ? .retry : .stop }, describe: { _ in "briefly" })
        }
        #expect(lines.first == "fetching: attempt 1 of 5 failed: briefly; retrying in 0.10 s")
    }
}
