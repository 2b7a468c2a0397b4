/// Whether an error is worth another attempt, as its type judges it.
public enum RetryDecision: Equatable, Sendable {
    case retry
    case stop
}

/// What the retrier does after a failed attempt: a pure function of the error's decision,
/// the attempt number, the time spent and the settings.
public enum RetryStep: Equatable, Sendable {
    /// Wait this many seconds, then try again.
    case wait(Double)
    /// Stop and report the error.
    case giveUp(GiveUpReason)

    /// Why the retrier stopped.
    public enum GiveUpReason: Equatable, Sendable {
        /// Trying again cannot help (access denied, a malformed request, ...).
        case notRetryable
        /// `max_attempts` attempts were made.
        case attemptsExhausted
        /// The wait plus another attempt would not fit in what is left of `deadline`.
        case deadline
    }

    /// The step after failed attempt `attempt` (1-based), `elapsed` seconds after the first
    /// attempt started; `wait` is the jittered backoff that a retry would wait.
    public static func after(
        attempt: Int, decision: RetryDecision, elapsed: Double, wait: Double, settings: RetrySettings
    ) -> RetryStep {
        guard decision == .retry else { return .giveUp(.notRetryable) }
        guard attempt < settings.maxAttempts else { return .giveUp(.attemptsExhausted) }
        guard elapsed + wait < settings.deadline else { return .giveUp(.deadline) }
        return .wait(wait)
    }
}

/// Runs an operation with attempts, full-jitter exponential backoff and a total deadline.
public struct Retrier {
    public let settings: RetrySettings
    public let clock: Clock
    /// Gets one line per failed attempt, and one when an attempt after a failure succeeds.
    /// The lines carry error descriptions, which never contain a secret.
    public let log: (String) -> Void
    /// A uniform random number in 0..<1 (replaceable in tests).
    public var random: () -> Double = { Double.random(in: 0..<1) }

    public init(settings: RetrySettings, clock: Clock, log: @escaping (String) -> Void) {
        self.settings = settings
        self.clock = clock
        self.log = log
    }

    /// The longest wait before attempt `attempt + 1` (1-based `attempt`): `initial`, twice
    /// that, four times, ... capped at 20 s. Full jitter picks uniformly below it.
    public static func backoffCeiling(afterAttempt attempt: Int, initial: Double) -> Double {
        min(20, initial * Double(1 << min(max(attempt, 1) - 1, 16)))
    }

    /// Calls `operation` with the time allowed for that attempt (`request_timeout`, or less
    /// when the deadline is closer) until it succeeds or `RetryStep.after` gives up; the
    /// last error is rethrown. `classify` gets the error and the 1-based attempt number;
    /// `describe` words the error for the line of an attempt that is retried (callers leave
    /// out the URL there, which the rethrown error names once).
    public func run<Value, Failure: Error>(
        _ what: String,
        operation: (_ attemptTimeout: Double) throws(Failure) -> Value,
        classify: (_ error: Failure, _ attempt: Int) -> RetryDecision,
        describe: (Failure) -> String = { "\($0)" }
    ) throws(Failure) -> Value {
        let start = clock.monotonic()
        var attempt = 1
        while true {
            let remaining = settings.deadline - (clock.monotonic() - start)
            do {
                let value = try operation(max(0.001, min(settings.requestTimeout, remaining)))
                if attempt > 1 {
                    log("\(what): attempt \(attempt) of \(settings.maxAttempts) succeeded (\(format(clock.monotonic() - start)) s)")
                }
                return value
            } catch {
                let elapsed = clock.monotonic() - start
                let wait = random() * Retrier.backoffCeiling(afterAttempt: attempt, initial: settings.initialBackoff)
                let step = RetryStep.after(
                    attempt: attempt, decision: classify(error, attempt), elapsed: elapsed, wait: wait,
                    settings: settings)
                log(Retrier.line(what, attempt: attempt, of: settings, step: step, error: describe(error), elapsed: elapsed))
                guard case let .wait(seconds) = step else { throw error }
                clock.sleep(seconds)
                attempt += 1
            }
        }
    }

    /// The log line for a failed attempt. When giving up, the error itself is left out: the
    /// caller reports it right after.
    static func line(
        _ what: String, attempt: Int, of settings: RetrySettings, step: RetryStep, error: String, elapsed: Double
    ) -> String {
        let head = "\(what): attempt \(attempt) of \(settings.maxAttempts) failed"
        switch step {
        case let .wait(seconds):
            return "\(head): \(error); retrying in \(format(seconds)) s"
        case .giveUp(.notRetryable):
            return "\(head); not retrying: another attempt cannot help"
        case .giveUp(.attemptsExhausted):
            return "\(head); giving up after \(attempt) attempts in \(format(elapsed)) s (max_attempts)"
        case .giveUp(.deadline):
            return "\(head); giving up after \(attempt) attempts: another one would end after the \(LogText.seconds(settings.deadline)) s deadline"
        }
    }

    /// Seconds with two decimals.
    static func format(_ seconds: Double) -> String {
        let hundredths = Int((max(0, seconds) * 100).rounded())
        let fraction = hundredths % 100
        return "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)"
    }

    private func format(_ seconds: Double) -> String { Retrier.format(seconds) }
}
