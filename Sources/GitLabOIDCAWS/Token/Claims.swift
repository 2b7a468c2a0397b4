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

    /// A numeric date claim (`exp`, `nbf`, `iat`) in seconds since 1970.
    public func seconds(_ name: String) -> Int64? {
        switch json[name] {
        case let .integer(number)?: return number
        case let .real(number)?: return number.isFinite && abs(number) < 1e15 ? Int64(number) : nil
        default: return nil
        }
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
