import GitLabOIDCAWS

/// The tests' clock: wall time and monotonic time move only when a test moves them or the
/// code under test sleeps (each sleep is recorded and passes at once).
public final class ManualClock: @unchecked Sendable {
    /// Seconds since 1970.
    public var now: Int64
    /// Seconds on the monotonic clock.
    public var monotonic: Double
    /// Every sleep, in order.
    public private(set) var sleeps: [Double] = []

    /// By default a minute after `TokenFixtures` were issued, so that they are valid.
    public init(now: Int64 = TokenFixtures.issuedAt + 60, monotonic: Double = 100) {
        self.now = now
        self.monotonic = monotonic
    }

    /// Lets `seconds` pass on both clocks.
    public func advance(_ seconds: Double) {
        monotonic += seconds
        now += Int64(seconds.rounded(.down))
    }

    public var clock: Clock {
        Clock(
            now: { self.now }, monotonic: { self.monotonic },
            sleep: { seconds in
                self.sleeps.append(seconds)
                self.advance(seconds)
            })
    }
}
