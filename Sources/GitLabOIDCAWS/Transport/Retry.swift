/// What to do after a failed attempt.
public enum RetryDecision: Equatable, Sendable {
    case retry
    case stop
}

/// Runs an operation with attempts, full-jitter exponential backoff and a total deadline.
public struct Retrier {
    public let settings: RetrySettings
    public let clock: Clock
    /// Gets one line per failed attempt (never a secret).
    public let log: (String) -> Void
    /// A uniform random number in 0..<1 (replaceable in tests).
    public var random: () -> Double = { Double.random(in: 0..<1) }

    public init(settings: RetrySettings, clock: Clock, log: @escaping (String) -> Void) {
        self.settings = settings
        self.clock = clock
        self.log = log
    }

    /// The longest wait before attempt `attempt + 1` (1-based `attempt`): 200 ms, 400 ms, ...
    /// capped at 20 s. Full jitter picks uniformly below it.
    public static func backoffCeiling(afterAttempt attempt: Int, initial: Double) -> Double {
        min(20, initial * Double(1 << min(attempt - 1, 16)))
    }

    /// Calls `operation` with the time left for that attempt until it succeeds, `classify`
    /// says stop, attempts run out, or the deadline passes. The last error is rethrown.
    public func run<Value, Failure: Error>(
        _ what: String,
        operation: (_ attemptTimeout: Double) throws(Failure) -> Value,
        classify: (Failure) -> RetryDecision
    ) throws(Failure) -> Value {
        let start = clock.monotonic()
        var attempt = 1
        while true {
            let remaining = settings.deadline - (clock.monotonic() - start)
            do {
                return try operation(max(0.001, min(settings.requestTimeout, remaining)))
            } catch {
                let decision = classify(error)
                let elapsed = clock.monotonic() - start
                let wait = random() * Retrier.backoffCeiling(afterAttempt: attempt, initial: settings.initialBackoff)
                guard decision == .retry, attempt < settings.maxAttempts, elapsed + wait < settings.deadline else {
                    if decision == .retry {
                        log("\(what): attempt \(attempt) of \(settings.maxAttempts) failed: \(error); giving up (\(attempt) attempts, \(format(elapsed)) s)")
                    }
                    throw error
                }
                log("\(what): attempt \(attempt) of \(settings.maxAttempts) failed: \(error); retrying in \(format(wait)) s")
                clock.sleep(wait)
                attempt += 1
            }
        }
    }

    private func format(_ seconds: Double) -> String {
        let tenths = Int((seconds * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)"
    }
}
