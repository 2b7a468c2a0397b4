import Glibc

/// Time sources, kept behind one type so that decisions can be tested with a fixed clock.
public struct Clock: Sendable {
    /// Seconds since 1970 (wall clock), for token and credential expiry.
    public var now: @Sendable () -> Int64
    /// Seconds on a monotonic clock, for deadlines and timeouts.
    public var monotonic: @Sendable () -> Double
    /// Waits `seconds`.
    public var sleep: @Sendable (Double) -> Void

    public init(
        now: @escaping @Sendable () -> Int64, monotonic: @escaping @Sendable () -> Double,
        sleep: @escaping @Sendable (Double) -> Void
    ) {
        self.now = now
        self.monotonic = monotonic
        self.sleep = sleep
    }

    /// The system's clocks.
    public static let system = Clock(
        now: { Int64(time(nil)) },
        monotonic: {
            var spec = timespec()
            clock_gettime(CLOCK_MONOTONIC, &spec)
            return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
        },
        sleep: { seconds in
            guard seconds > 0 else { return }
            var request = timespec(tv_sec: Int(seconds), tv_nsec: Int((seconds - seconds.rounded(.down)) * 1e9))
            var remaining = timespec()
            while nanosleep(&request, &remaining) != 0 && errno == EINTR { request = remaining }
        })
}

/// RFC 3339 timestamps in UTC, as STS sends them and as the hook writes them, and checked
/// arithmetic on seconds since 1970 that come from outside (tokens, caches, STS answers).
public enum Timestamp {
    /// `0000-01-01T00:00:00Z`, the earliest instant RFC 3339 can write.
    public static let earliest: Int64 = -62_167_219_200
    /// `9999-12-31T23:59:59Z`, the latest instant RFC 3339 can write.
    public static let latest: Int64 = 253_402_300_799
    /// Every instant an RFC 3339 timestamp can name. A time from outside beyond these is no
    /// date at all, and arithmetic on anything inside cannot overflow.
    public static let representable = earliest...latest

    /// `seconds + delta`, stopping at `Int64`'s limits instead of trapping.
    public static func adding(_ delta: Int64, to seconds: Int64) -> Int64 {
        let (sum, overflow) = seconds.addingReportingOverflow(delta)
        if overflow { return delta > 0 ? .max : .min }
        return sum
    }

    /// `later - earlier`, stopping at `Int64`'s limits instead of trapping.
    public static func seconds(from earlier: Int64, to later: Int64) -> Int64 {
        let (difference, overflow) = later.subtractingReportingOverflow(earlier)
        if overflow { return later > earlier ? .max : .min }
        return difference
    }

    /// Parses `2026-11-27T07:08:51Z`, with optional fractional seconds and a `Z` or `±hh:mm`
    /// offset. Returns seconds since 1970, always within `representable`.
    public static func parse(_ text: String) -> Int64? {
        let bytes = Array(text.utf8)
        func number(_ start: Int, _ count: Int) -> Int? {
            guard start + count <= bytes.count else { return nil }
            var value = 0
            for byte in bytes[start..<start + count] {
                guard byte >= 48 && byte <= 57 else { return nil }
                value = value * 10 + Int(byte - 48)
            }
            return value
        }
        guard bytes.count >= 20, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
            bytes[10] == UInt8(ascii: "T") || bytes[10] == UInt8(ascii: "t") || bytes[10] == UInt8(ascii: " "),
            bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":"),
            let year = number(0, 4), let month = number(5, 2), let day = number(8, 2), let hour = number(11, 2),
            let minute = number(14, 2), let second = number(17, 2),
            (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second <= 60
        else { return nil }
        var index = 19
        if index < bytes.count && bytes[index] == UInt8(ascii: ".") {
            index += 1
            let start = index
            while index < bytes.count && bytes[index] >= 48 && bytes[index] <= 57 { index += 1 }
            if index == start { return nil }
        }
        guard index < bytes.count else { return nil }
        var offset = 0
        if bytes[index] == UInt8(ascii: "Z") || bytes[index] == UInt8(ascii: "z") {
            index += 1
        } else if bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
            guard let hours = number(index + 1, 2), index + 3 < bytes.count, bytes[index + 3] == UInt8(ascii: ":"),
                let minutes = number(index + 4, 2), hours < 24, minutes < 60
            else { return nil }
            offset = (hours * 3600 + minutes * 60) * (bytes[index] == UInt8(ascii: "+") ? 1 : -1)
            index += 6
        } else {
            return nil
        }
        guard index == bytes.count else { return nil }
        let seconds =
            daysFromCivil(year: year, month: month, day: day) * 86400 + Int64(hour * 3600 + minute * 60 + second)
            - Int64(offset)
        return representable.contains(seconds) ? seconds : nil
    }

    /// Formats seconds since 1970 as `YYYY-MM-DDThh:mm:ssZ`. Total: a value outside
    /// `representable` gives a year of more than four digits (or a negative one), never a trap.
    public static func format(_ seconds: Int64) -> String {
        // Floor division without overflow; the remainder is exact in wrapping arithmetic.
        let days = seconds / 86400 - (seconds % 86400 < 0 ? 1 : 0)
        let rest = seconds &- days &* 86400
        let (year, month, day) = civilFromDays(days)
        func pad(_ value: Int64, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(rest / 3600, 2)):\(pad(rest % 3600 / 60, 2)):\(pad(rest % 60, 2))Z"
    }

    // Howard Hinnant's civil-calendar algorithms.
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let m = Int64(month)
        let dayOfYear = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + Int64(day) - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146097 + dayOfEra - 719468
    }

    static func civilFromDays(_ days: Int64) -> (Int64, Int64, Int64) {
        let z = days + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let dayOfEra = z - era * 146097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
