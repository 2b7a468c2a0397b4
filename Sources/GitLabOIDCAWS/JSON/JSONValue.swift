import CJansson
import CSupport

/// A JSON document, decoded and encoded with libjansson.
///
/// Objects keep their keys in document order, so rendered output (trust policies, `explain
/// --format json`) is stable and reads like the input.
public enum JSONValue: Equatable, Sendable {
    case null
    case bool(Bool)
    case integer(Int64)
    case real(Double)
    case string(String)
    case array([JSONValue])
    case object([(String, JSONValue)])

    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case let (.bool(a), .bool(b)): return a == b
        case let (.integer(a), .integer(b)): return a == b
        case let (.real(a), .real(b)): return a == b
        case let (.string(a), .string(b)): return a == b
        case let (.array(a), .array(b)): return a == b
        case let (.object(a), .object(b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }

    /// The value stored under `key` when this is an object.
    public subscript(key: String) -> JSONValue? {
        guard case let .object(members) = self else { return nil }
        return members.first { $0.0 == key }?.1
    }

    /// The string, when this is a string.
    public var stringValue: String? {
        if case let .string(s) = self { return s }
        return nil
    }

    /// The members, when this is an object.
    public var objectMembers: [(String, JSONValue)]? {
        if case let .object(m) = self { return m }
        return nil
    }
}

/// Why a JSON document could not be decoded; the text comes from jansson's `json_error_t`.
public struct JSONError: Error, Equatable, CustomStringConvertible {
    public let message: String
    public let line: Int
    public let column: Int
    public var description: String { "\(message) (line \(line), column \(column))" }
}

extension JSONValue {
    /// Decodes `bytes` as one JSON document. Duplicate object keys are rejected, because a
    /// token whose claim appears twice is ambiguous and must not be trusted.
    public static func parse<Bytes: Collection>(_ bytes: Bytes) throws(JSONError) -> JSONValue
    where Bytes.Element == UInt8 {
        var error = json_error_t()
        let root: UnsafeMutablePointer<json_t>? = Array(bytes).withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { chars in
                json_loadb(chars.baseAddress, chars.count, Int(JSON_REJECT_DUPLICATES), &error)
            }
        }
        guard let root else {
            let text = withUnsafeBytes(of: error.text) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            throw JSONError(message: text, line: Int(error.line), column: Int(error.column))
        }
        defer { goa_json_decref(root) }
        return convert(root)
    }

    /// Decodes a JSON document given as text.
    public static func parse(_ text: String) throws(JSONError) -> JSONValue {
        try parse(Array(text.utf8))
    }

    private static func convert(_ json: UnsafeMutablePointer<json_t>) -> JSONValue {
        switch goa_json_typeof(json) {
        case JSON_OBJECT:
            var members: [(String, JSONValue)] = []
            var iterator = goa_json_object_iter(json)
            while let current = iterator {
                let keyPointer = goa_json_object_iter_key(current)!
                let keyLength = goa_json_object_iter_key_len(current)
                let key = keyPointer.withMemoryRebound(to: UInt8.self, capacity: keyLength) {
                    String(decoding: UnsafeBufferPointer(start: $0, count: keyLength), as: UTF8.self)
                }
                members.append((key, convert(goa_json_object_iter_value(current)!)))
                iterator = goa_json_object_iter_next(json, current)
            }
            return .object(members)
        case JSON_ARRAY:
            return .array((0..<json_array_size(json)).map { convert(json_array_get(json, $0)!) })
        case JSON_STRING:
            let length = json_string_length(json)
            let value = json_string_value(json)!.withMemoryRebound(to: UInt8.self, capacity: length) {
                String(decoding: UnsafeBufferPointer(start: $0, count: length), as: UTF8.self)
            }
            return .string(value)
        case JSON_INTEGER: return .integer(Int64(json_integer_value(json)))
        case JSON_REAL: return .real(json_real_value(json))
        case JSON_TRUE: return .bool(true)
        case JSON_FALSE: return .bool(false)
        default: return .null
        }
    }

    /// Compact JSON text (no spaces), as sent in an STS `Policy` parameter.
    public var compactText: String { render(flags: Int(JSON_COMPACT)) }

    /// Indented JSON text for people (two spaces).
    public var prettyText: String { render(flags: goa_json_flags_indent(2)) }

    private func render(flags: Int) -> String {
        let json = makeJansson()
        defer { goa_json_decref(json) }
        let size = json_dumpb(json, nil, 0, flags | Int(JSON_ENCODE_ANY))
        var buffer = [CChar](repeating: 0, count: size)
        _ = buffer.withUnsafeMutableBufferPointer {
            json_dumpb(json, $0.baseAddress, size, flags | Int(JSON_ENCODE_ANY))
        }
        return String(decoding: buffer.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Builds a new jansson value; the caller owns the returned reference.
    private func makeJansson() -> UnsafeMutablePointer<json_t> {
        switch self {
        case .null: return json_null()
        case let .bool(b): return b ? json_true() : json_false()
        case let .integer(i): return json_integer(json_int_t(i))
        case let .real(d): return json_real(d)
        case let .string(s):
            return s.utf8CString.withUnsafeBufferPointer { json_stringn($0.baseAddress, $0.count - 1) }
        case let .array(items):
            let array = json_array()!
            for item in items { json_array_append_new(array, item.makeJansson()) }
            return array
        case let .object(members):
            let object = json_object()!
            for (key, value) in members {
                key.utf8CString.withUnsafeBufferPointer {
                    _ = json_object_setn_new(object, $0.baseAddress, $0.count - 1, value.makeJansson())
                }
            }
            return object
        }
    }
}
