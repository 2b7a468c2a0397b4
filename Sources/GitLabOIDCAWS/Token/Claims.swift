/// The claims of an ID token's payload.
public struct Claims: Sendable, Equatable {
    /// The payload as decoded.
    public let json: JSONValue
    /// Every claim's string form, looked up once per rule condition.
    private let strings: [String: String]

    /// Wraps a decoded payload, which must be a JSON object.
    public init?(json: JSONValue) {
        guard let members = json.objectMembers else { return nil }
        self.json = json
        var strings: [String: String] = [:]
        for (name, value) in members {
            if let text = Claims.stringForm(value) { strings[name] = text }
        }
        self.strings = strings
    }

    /// Builds claims from plain strings (for `explain --claim` and tests).
    public init(strings: [(String, String)]) {
        self.init(json: .object(strings.map { ($0.0, .string($0.1)) }))!
    }

    /// The claim's string form, as patterns compare it: strings as they are, integers in
    /// decimal, booleans as `true`/`false`. Nil for a missing or null claim, and for lists and
    /// objects.
    public func string(_ name: String) -> String? { strings[name] }

    static func stringForm(_ value: JSONValue) -> String? {
        switch value {
        case let .string(text): return text
        case let .integer(number): return String(number)
        case let .bool(flag): return flag ? "true" : "false"
        case let .real(number):
            if number == number.rounded(), abs(number) < 1e15 { return String(Int64(number)) }
            return String(number)
        default: return nil
        }
    }

    /// The dates a token may carry: from 1970 to the end of year 9999. Checked before any
    /// arithmetic, so that none can overflow.
    public static let dateRange: ClosedRange<Int64> = 0...Timestamp.latest

    /// A numeric date claim (`exp`, `nbf`, `iat`) in seconds since 1970 (a fraction cut off);
    /// nil when it is missing, not a number, or outside `dateRange`.
    public func seconds(_ name: String) -> Int64? {
        try? date(name)
    }

    /// A numeric date claim (`exp`, `nbf`, `iat`) in seconds since 1970 (a fraction cut off);
    /// nil when it is missing or null. Throws `TokenError.invalidDate` when it is there but is
    /// not a number within `dateRange` (`9223372036854775807`, `-1`, `1e300`, `"soon"`).
    public func date(_ name: String) throws(TokenError) -> Int64? {
        guard let value = json[name] else { return nil }
        switch value {
        case .null:
            return nil
        case let .integer(number):
            if Claims.dateRange.contains(number) { return number }
        case let .real(number):
            // Compared as doubles first: converting 1e300 or NaN to Int64 would trap.
            if number.isFinite, number >= Double(Claims.dateRange.lowerBound),
                number <= Double(Claims.dateRange.upperBound)
            {
                return Int64(number.rounded(.down))
            }
        default:
            break
        }
        throw .invalidDate(claim: name, value: LogText.oneLine(value.compactText, limit: 40))
    }

    /// `aud` as a list: GitLab sends one string; the JWT standard also allows a list.
    public var audiences: [String] {
        switch json["aud"] {
        case let .string(text)?: return [text]
        case let .array(items)?: return items.compactMap(\.stringValue)
        default: return []
        }
    }
}
