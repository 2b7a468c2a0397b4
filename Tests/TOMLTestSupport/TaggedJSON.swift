import TOML

/// A document in toml-test's tagged JSON form: tables and arrays plain, every scalar an object
/// `{"type": "integer", "value": "42"}` (types string, integer, float, bool, datetime,
/// datetime-local, date-local, time-local).
public indirect enum TaggedValue: Sendable, CustomStringConvertible {
    case table([String: TaggedValue])
    case array([TaggedValue])
    case scalar(type: String, value: String)

    /// The tagged form of a parsed value. Date-times are written with `T` and upper-case `Z`.
    public init(_ value: TOMLValue) {
        switch value.kind {
        case .table:
            var entries: [String: TaggedValue] = [:]
            for entry in value.table! { entries[entry.key] = TaggedValue(entry.value) }
            self = .table(entries)
        case .array:
            self = .array(value.array!.map(TaggedValue.init))
        case .string:
            self = .scalar(type: "string", value: value.string!)
        case .integer:
            self = .scalar(type: "integer", value: String(value.integer!))
        case .float:
            self = .scalar(type: "float", value: TaggedValue.floatText(value.float!))
        case .boolean:
            self = .scalar(type: "bool", value: value.boolean! ? "true" : "false")
        case .offsetDateTime:
            self = .scalar(type: "datetime", value: TaggedValue.normalizedDateTime(value.dateTime!.text))
        case .localDateTime:
            self = .scalar(type: "datetime-local", value: TaggedValue.normalizedDateTime(value.dateTime!.text))
        case .localDate:
            self = .scalar(type: "date-local", value: value.dateTime!.text)
        case .localTime:
            self = .scalar(type: "time-local", value: value.dateTime!.text)
        }
    }

    /// The tagged form of a whole document.
    public init(_ document: TOMLDocument) { self.init(document.root.value) }

    /// Reads tagged JSON (an object whose only keys are `type` and `value`, both strings, is a
    /// scalar). Returns nil for text that is not JSON of that shape.
    public init?(json: [UInt8]) {
        var reader = JSONReader(bytes: json)
        guard let value = reader.document() else { return nil }
        self = value
    }

    /// `inf`, `-inf`, `nan`, or the shortest decimal that reads back as the same double.
    public static func floatText(_ value: Double) -> String {
        if value.isNaN { return value.sign == .minus ? "-nan" : "nan" }
        if value.isInfinite { return value < 0 ? "-inf" : "inf" }
        return value.description
    }

    static func normalizedDateTime(_ text: String) -> String {
        var bytes = Array(text.utf8)
        if bytes.count > 10 { bytes[10] = UInt8(ascii: "T") }
        if bytes.last == UInt8(ascii: "z") { bytes[bytes.count - 1] = UInt8(ascii: "Z") }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// JSON text, object keys sorted.
    public var description: String {
        var output = ""
        write(to: &output)
        return output
    }

    private func write(to output: inout String) {
        switch self {
        case .table(let entries):
            output += "{"
            for (index, key) in entries.keys.sorted().enumerated() {
                if index > 0 { output += "," }
                TaggedValue.writeString(key, to: &output)
                output += ":"
                entries[key]!.write(to: &output)
            }
            output += "}"
        case .array(let elements):
            output += "["
            for (index, element) in elements.enumerated() {
                if index > 0 { output += "," }
                element.write(to: &output)
            }
            output += "]"
        case .scalar(let type, let value):
            output += "{\"type\":"
            TaggedValue.writeString(type, to: &output)
            output += ",\"value\":"
            TaggedValue.writeString(value, to: &output)
            output += "}"
        }
    }

    private static func writeString(_ text: String, to output: inout String) {
        output += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\n": output += "\\n"
            case "\t": output += "\\t"
            case "\r": output += "\\r"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                let hex = String(scalar.value, radix: 16)
                output += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: output.unicodeScalars.append(scalar)
            }
        }
        output += "\""
    }

    /// Whether two tagged documents hold the same values the way toml-test compares them:
    /// integers and floats as numbers (`nan` equals `nan`), date-times by their components
    /// (separator and case of `T`/`Z` aside, fractions by value), everything else exactly.
    /// Returns nil when equal, else the path of the first difference and what differs.
    public func difference(from other: TaggedValue, path: String = "") -> String? {
        switch (self, other) {
        case (.table(let left), .table(let right)):
            for key in Set(left.keys).union(right.keys).sorted() {
                guard let leftValue = left[key] else { return "\(path).\(key): missing on the left" }
                guard let rightValue = right[key] else { return "\(path).\(key): missing on the right" }
                if let difference = leftValue.difference(from: rightValue, path: "\(path).\(key)") { return difference }
            }
            return nil
        case (.array(let left), .array(let right)):
            guard left.count == right.count else { return "\(path): \(left.count) elements against \(right.count)" }
            for (index, pair) in zip(left, right).enumerated() {
                if let difference = pair.0.difference(from: pair.1, path: "\(path)[\(index)]") { return difference }
            }
            return nil
        case (.scalar(let leftType, let leftValue), .scalar(let rightType, let rightValue)):
            guard leftType == rightType else { return "\(path): type \(leftType) against \(rightType)" }
            let same: Bool
            switch leftType {
            case "integer":
                same = Int64(leftValue) != nil && Int64(leftValue) == Int64(rightValue)
            case "float":
                let left = TaggedValue.readFloat(leftValue)
                let right = TaggedValue.readFloat(rightValue)
                same = left != nil && right != nil && (left == right || (left!.isNaN && right!.isNaN))
            case "datetime", "datetime-local", "date-local", "time-local":
                same = DateTimeParts(leftValue) != nil && DateTimeParts(leftValue) == DateTimeParts(rightValue)
            default:
                same = leftValue == rightValue
            }
            return same ? nil : "\(path): \(leftType) \(leftValue) against \(rightValue)"
        default:
            return "\(path): \(self) against \(other)"
        }
    }

    static func readFloat(_ text: String) -> Double? {
        switch text {
        case "inf", "+inf": return .infinity
        case "-inf": return -.infinity
        case "nan", "+nan", "-nan": return .nan
        default: return Double(text)
        }
    }
}

/// The components of a date-time text, for comparing by value.
struct DateTimeParts: Equatable {
    var date: [Int] = []
    var time: [Int] = []
    /// Fraction digits without trailing zeros.
    var fraction = ""
    var offsetMinutes: Int?

    init?(_ text: String) {
        var rest = Substring(text)
        func number(_ count: Int) -> Int? {
            guard rest.count >= count, let value = Int(rest.prefix(count)) else { return nil }
            rest = rest.dropFirst(count)
            return value
        }
        func skip(_ characters: String) -> Bool {
            guard let first = rest.first, characters.contains(first) else { return false }
            rest = rest.dropFirst()
            return true
        }
        if rest.count >= 10, rest.dropFirst(4).first == "-" {
            guard let year = number(4), skip("-"), let month = number(2), skip("-"), let day = number(2) else {
                return nil
            }
            date = [year, month, day]
            if rest.isEmpty { return }
            guard skip("Tt ") else { return nil }
        }
        guard let hour = number(2), skip(":"), let minute = number(2), skip(":"), let second = number(2) else {
            return nil
        }
        time = [hour, minute, second]
        if skip(".") {
            let digits = rest.prefix { $0.isASCII && $0.isNumber }
            rest = rest.dropFirst(digits.count)
            fraction = String(digits.reversed().drop { $0 == "0" }.reversed())
        }
        if skip("Zz") {
            offsetMinutes = 0
        } else if let sign = rest.first, sign == "+" || sign == "-" {
            rest = rest.dropFirst()
            guard let hours = number(2), skip(":"), let minutes = number(2) else { return nil }
            offsetMinutes = (sign == "-" ? -1 : 1) * (hours * 60 + minutes)
        }
        guard rest.isEmpty else { return nil }
    }
}

/// Just enough JSON for toml-test's expected documents: objects, arrays and strings.
struct JSONReader {
    indirect enum JSON {
        case object([String: JSON])
        case array([JSON])
        case string(String)

        var tagged: TaggedValue? {
            switch self {
            case .object(let members):
                if members.count == 2, case .string(let type)? = members["type"],
                    case .string(let value)? = members["value"]
                {
                    return .scalar(type: type, value: value)
                }
                var entries: [String: TaggedValue] = [:]
                for (key, member) in members {
                    guard let value = member.tagged else { return nil }
                    entries[key] = value
                }
                return .table(entries)
            case .array(let elements):
                var values: [TaggedValue] = []
                for element in elements {
                    guard let value = element.tagged else { return nil }
                    values.append(value)
                }
                return .array(values)
            case .string:
                return nil
            }
        }
    }

    let bytes: [UInt8]
    var index = 0

    init(bytes: [UInt8]) { self.bytes = bytes }

    mutating func document() -> TaggedValue? {
        guard let value = value() else { return nil }
        skipSpace()
        return index == bytes.count ? value.tagged : nil
    }

    private mutating func skipSpace() {
        while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
    }

    private mutating func expect(_ character: Unicode.Scalar) -> Bool {
        skipSpace()
        guard index < bytes.count, bytes[index] == UInt8(ascii: character) else { return false }
        index += 1
        return true
    }

    private mutating func value() -> JSON? {
        skipSpace()
        guard index < bytes.count else { return nil }
        switch bytes[index] {
        case UInt8(ascii: "{"):
            index += 1
            var members: [String: JSON] = [:]
            if expect("}") { return .object(members) }
            repeat {
                skipSpace()
                guard let key = string(), expect(":"), let member = value() else { return nil }
                members[key] = member
            } while expect(",")
            return expect("}") ? .object(members) : nil
        case UInt8(ascii: "["):
            index += 1
            var elements: [JSON] = []
            if expect("]") { return .array(elements) }
            repeat {
                guard let element = value() else { return nil }
                elements.append(element)
            } while expect(",")
            return expect("]") ? .array(elements) : nil
        case UInt8(ascii: "\""):
            return string().map(JSON.string)
        default:
            return nil
        }
    }

    private mutating func string() -> String? {
        guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { return nil }
        index += 1
        var scalars = String.UnicodeScalarView()
        var raw: [UInt8] = []
        func flush() {
            scalars.append(contentsOf: String(decoding: raw, as: UTF8.self).unicodeScalars)
            raw.removeAll()
        }
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            if byte == UInt8(ascii: "\"") {
                flush()
                return String(scalars)
            }
            guard byte == UInt8(ascii: "\\") else {
                raw.append(byte)
                continue
            }
            guard index < bytes.count else { return nil }
            let escape = bytes[index]
            index += 1
            flush()
            switch escape {
            case UInt8(ascii: "n"): scalars.append("\n")
            case UInt8(ascii: "t"): scalars.append("\t")
            case UInt8(ascii: "r"): scalars.append("\r")
            case UInt8(ascii: "b"): scalars.append("\u{08}")
            case UInt8(ascii: "f"): scalars.append("\u{0C}")
            case UInt8(ascii: "/"): scalars.append("/")
            case UInt8(ascii: "\\"): scalars.append("\\")
            case UInt8(ascii: "\""): scalars.append("\"")
            case UInt8(ascii: "u"):
                guard var code = hex4() else { return nil }
                if (0xD800..<0xDC00).contains(code) {
                    guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"),
                        bytes[index + 1] == UInt8(ascii: "u")
                    else { return nil }
                    index += 2
                    guard let low = hex4(), (0xDC00..<0xE000).contains(low) else { return nil }
                    code = 0x10000 + (code - 0xD800) << 10 + (low - 0xDC00)
                }
                guard let scalar = Unicode.Scalar(code) else { return nil }
                scalars.append(scalar)
            default:
                return nil
            }
        }
        return nil
    }

    private mutating func hex4() -> UInt32? {
        guard index + 4 <= bytes.count,
            let value = UInt32(String(decoding: bytes[index..<index + 4], as: UTF8.self), radix: 16)
        else { return nil }
        index += 4
        return value
    }
}
