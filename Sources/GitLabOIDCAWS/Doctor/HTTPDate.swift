/// The HTTP `Date` header, to compare this host's clock with a server's.
public enum HTTPDate {
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// Seconds since 1970 of an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`, RFC 9110), the
    /// form every current server sends; nil for anything else.
    public static func parse(_ text: String) -> Int64? {
        let fields = text.trimmingSpaces.split(separator: " ", omittingEmptySubsequences: true)
        guard fields.count == 6, fields[0].hasSuffix(","), fields[5] == "GMT", fields[1].count == 2,
            let day = number(fields[1]), let month = months.firstIndex(of: String(fields[2])).map({ $0 + 1 }),
            fields[3].count == 4, let year = number(fields[3])
        else { return nil }
        let time = fields[4].split(separator: ":", omittingEmptySubsequences: false)
        guard time.count == 3, time.allSatisfy({ $0.count == 2 }), let hour = number(time[0]),
            let minute = number(time[1]), let second = number(time[2]), (1...31).contains(day), hour < 24,
            minute < 60, second <= 60
        else { return nil }
        return Timestamp.daysFromCivil(year: year, month: month, day: day) * 86400
            + Int64(hour * 3600 + minute * 60 + second)
    }

    /// The decimal digits of `text` as a number; nil when it holds anything else.
    private static func number(_ text: Substring) -> Int? {
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
            return nil
        }
        return Int(text)
    }
}
