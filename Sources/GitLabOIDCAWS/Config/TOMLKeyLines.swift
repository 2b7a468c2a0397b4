/// Finds the line on which each key of a TOML document is defined.
///
/// TOMLKit reports positions only for syntax errors, so this scanner reads the (already
/// parsed, hence valid) source once more and records the line of every key, table header and
/// array-of-tables entry. Paths look like `issuer`, `rule[2]`, `rule[2].match.ref`; the index
/// of an array-of-tables entry is 1-based, as people count rules.
///
/// It never fails: on text that is not valid TOML it just records less. It also finds the
/// first table header whose key starts with a character that is neither part of a bare key
/// nor a quote (`[.a]`, `[é]`, `[#]`): the TOML parser (toml++ 3.4 inside TOMLKit) aborts
/// the process on those instead of reporting an error, so they are refused before parsing.
public struct TOMLKeyLines: Sendable {
    private var lines: [String: Int] = [:]
    private var ordinals: [String: Int] = [:]

    /// A table header the TOML parser cannot be given: where, and what stands in place of a key.
    public struct MalformedHeader: Equatable, Sendable {
        public let line: Int
        public let column: Int
        /// The character found, described for a message: `"."`, `a line break`, `byte 0x9B`.
        public let found: String
    }

    /// The first malformed table header, if any.
    public private(set) var malformedHeader: MalformedHeader?

    /// The line of `path`, or nil when the scanner did not see it.
    public func line(of path: String) -> Int? { lines[path] }

    /// The position of `path` among all recorded keys, in document order; keys on one line
    /// (an inline table) keep their left-to-right order.
    public func ordinal(of path: String) -> Int { ordinals[path] ?? Int.max }

    /// The line of `path`, or of its nearest recorded parent (`rule[2].match.ref` falls back to
    /// `rule[2].match`, then `rule[2]`), or 1.
    public func nearestLine(of path: String) -> Int {
        var current = Substring(path)
        while true {
            if let line = lines[String(current)] { return line }
            guard let cut = current.lastIndex(where: { $0 == "." || $0 == "[" }) else { return 1 }
            current = current[..<cut]
        }
    }

    public init(source: String) {
        var scanner = Scanner(bytes: Array(source.utf8))
        scanner.scanDocument()
        lines = scanner.lines
        ordinals = scanner.ordinals
        malformedHeader = scanner.malformedHeader
    }

    private struct Scanner {
        let bytes: [UInt8]
        var position = 0
        var line = 1
        var lineStart = 0
        var malformedHeader: MalformedHeader?
        /// Arrays and inline tables nested deeper than this are skipped, so that hostile input
        /// cannot exhaust the stack. It is above toml++'s own limit (256), which refuses such
        /// a document anyway, so nothing the parser would read is missed.
        static let maximumDepth = 300
        var lines: [String: Int] = [:]
        var ordinals: [String: Int] = [:]
        var tablePath = ""
        /// How many entries each array of tables has so far, by its plain dotted name.
        var arrayTableCounts: [String: Int] = [:]

        init(bytes: [UInt8]) { self.bytes = bytes }

        var current: UInt8? { position < bytes.count ? bytes[position] : nil }

        mutating func advance() {
            if current == UInt8(ascii: "\n") {
                line += 1
                lineStart = position + 1
            }
            position += 1
        }

        mutating func skipSpaces() {
            while let c = current, c == UInt8(ascii: " ") || c == UInt8(ascii: "\t") || c == UInt8(ascii: "\r") {
                advance()
            }
        }

        mutating func skipToEndOfLine() {
            while let c = current, c != UInt8(ascii: "\n") { advance() }
        }

        /// Skips spaces, newlines and comments (inside arrays and between values).
        mutating func skipBlank() {
            while let c = current {
                if c == UInt8(ascii: "#") {
                    skipToEndOfLine()
                } else if c == UInt8(ascii: " ") || c == UInt8(ascii: "\t") || c == UInt8(ascii: "\r")
                    || c == UInt8(ascii: "\n")
                {
                    advance()
                } else {
                    return
                }
            }
        }


        mutating func note(_ path: String, line keyLine: Int? = nil) {
            if lines[path] == nil {
                lines[path] = keyLine ?? line
                ordinals[path] = ordinals.count
            }
        }

        mutating func scanDocument() {
            if bytes.starts(with: [0xEF, 0xBB, 0xBF]) {
                position = 3
                lineStart = 3
            }
            while current != nil {
                skipBlank()
                guard let c = current else { return }
                let before = position
                if c == UInt8(ascii: "[") {
                    scanHeader()
                } else {
                    scanKeyValue(prefix: tablePath)
                }
                skipSpaces()
                if current == UInt8(ascii: "#") { skipToEndOfLine() }
                if position == before { advance() }
            }
        }

        mutating func scanHeader() {
            advance()
            let isArray = current == UInt8(ascii: "[")
            if isArray { advance() }
            while current == UInt8(ascii: " ") || current == UInt8(ascii: "\t") { advance() }
            checkHeaderKeyStart(isArray: isArray)
            skipSpaces()
            let parts = scanDottedKey()
            while let c = current, c != UInt8(ascii: "]"), c != UInt8(ascii: "\n") { advance() }
            while current == UInt8(ascii: "]") { advance() }
            guard !parts.isEmpty else { return }
            var path = ""
            var plain = ""
            for (index, part) in parts.enumerated() {
                plain = plain.isEmpty ? part : plain + "." + part
                path = path.isEmpty ? part : path + "." + part
                let isLast = index == parts.count - 1
                if isLast && isArray {
                    let count = (arrayTableCounts[plain] ?? 0) + 1
                    arrayTableCounts[plain] = count
                    path += "[\(count)]"
                } else if let count = arrayTableCounts[plain] {
                    path += "[\(count)]"
                }
            }
            tablePath = path
            note(path)
        }

        /// Records the first header key that starts with a character the TOML parser does not
        /// handle: anything but a bare-key character, a quote, the end, `]` (an empty key), or
        /// `[` after a single `[` (split brackets), which the parser reports itself.
        mutating func checkHeaderKeyStart(isArray: Bool) {
            guard malformedHeader == nil, let c = current, !isBareKeyByte(c), c != UInt8(ascii: "\""),
                c != UInt8(ascii: "'"), c != UInt8(ascii: "]"), isArray || c != UInt8(ascii: "[")
            else { return }
            let found: String
            let scalar = String(decoding: bytes[position..<min(position + 4, bytes.count)], as: UTF8.self)
                .unicodeScalars.first
            switch c {
            case UInt8(ascii: "\n"), UInt8(ascii: "\r"): found = "a line break"
            case 0x21...0x7E: found = "\"\(Character(Unicode.Scalar(c)))\""
            case 0x80... where scalar == "\u{FFFD}": found = "a character that is not valid UTF-8"
            case 0x80... where scalar.map(LogText.isLineBreaking) == false: found = "\"\(Character(scalar!))\""
            default: found = "byte 0x\(c < 16 ? "0" : "")\(String(c, radix: 16, uppercase: true))"
            }
            malformedHeader = MalformedHeader(line: line, column: position - lineStart + 1, found: found)
        }

        /// Reads `a.b."c d"` and returns its parts; stops before `=`, `]` or a line end.
        mutating func scanDottedKey() -> [String] {
            var parts: [String] = []
            while current != nil {
                skipSpaces()
                guard let first = current else { break }
                if first == UInt8(ascii: "\"") || first == UInt8(ascii: "'") {
                    parts.append(scanQuotedKey(quote: first))
                } else {
                    var part: [UInt8] = []
                    while let b = current, isBareKeyByte(b) {
                        part.append(b)
                        advance()
                    }
                    if part.isEmpty { break }
                    parts.append(String(decoding: part, as: UTF8.self))
                }
                skipSpaces()
                if current == UInt8(ascii: ".") { advance() } else { break }
            }
            return parts
        }

        mutating func scanQuotedKey(quote: UInt8) -> String {
            advance()
            var part: [UInt8] = []
            while let b = current, b != quote, b != UInt8(ascii: "\n") {
                if b == UInt8(ascii: "\\") && quote == UInt8(ascii: "\"") {
                    advance()
                }
                if let escaped = current { part.append(escaped) }
                advance()
            }
            if current == quote { advance() }
            return String(decoding: part, as: UTF8.self)
        }

        func isBareKeyByte(_ b: UInt8) -> Bool {
            (b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z")) || (b >= UInt8(ascii: "A") && b <= UInt8(ascii: "Z"))
                || (b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9")) || b == UInt8(ascii: "_")
                || b == UInt8(ascii: "-")
        }

        mutating func scanKeyValue(prefix: String, depth: Int = 0) {
            let keyLine = line
            let parts = scanDottedKey()
            guard !parts.isEmpty else {
                skipToEndOfLine()
                return
            }
            var path = prefix
            for part in parts {
                path = path.isEmpty ? part : path + "." + part
                note(path, line: keyLine)
            }
            skipSpaces()
            guard current == UInt8(ascii: "=") else {
                skipToEndOfLine()
                return
            }
            advance()
            skipSpaces()
            scanValue(path: path, depth: depth)
        }

        mutating func scanValue(path: String, depth: Int = 0) {
            guard let c = current else { return }
            if depth > Scanner.maximumDepth {
                skipToEndOfLine()
                return
            }
            switch c {
            case UInt8(ascii: "\""), UInt8(ascii: "'"):
                scanString(quote: c)
            case UInt8(ascii: "["):
                advance()
                var index = 0
                while true {
                    skipBlank()
                    guard let b = current else { return }
                    if b == UInt8(ascii: "]") {
                        advance()
                        return
                    }
                    if b == UInt8(ascii: ",") {
                        advance()
                        continue
                    }
                    let before = position
                    index += 1
                    scanValue(path: path + "[\(index)]", depth: depth + 1)
                    if position == before { advance() }
                }
            case UInt8(ascii: "{"):
                advance()
                while true {
                    skipSpaces()
                    guard let b = current else { return }
                    if b == UInt8(ascii: "}") {
                        advance()
                        return
                    }
                    if b == UInt8(ascii: ",") || b == UInt8(ascii: "\n") {
                        advance()
                        continue
                    }
                    let before = position
                    scanKeyValue(prefix: path, depth: depth + 1)
                    if position == before { advance() }
                }
            default:
                while let b = current, b != UInt8(ascii: ","), b != UInt8(ascii: "]"), b != UInt8(ascii: "}"),
                    b != UInt8(ascii: "\n"), b != UInt8(ascii: "#")
                {
                    advance()
                }
            }
        }

        mutating func scanString(quote: UInt8) {
            let isMultiLine =
                position + 2 < bytes.count && bytes[position + 1] == quote && bytes[position + 2] == quote
            if isMultiLine {
                advance(); advance(); advance()
                while current != nil {
                    if current == UInt8(ascii: "\\") && quote == UInt8(ascii: "\"") {
                        advance(); advance()
                        continue
                    }
                    if current == quote && position + 2 < bytes.count && bytes[position + 1] == quote
                        && bytes[position + 2] == quote
                    {
                        advance(); advance(); advance()
                        // A closing delimiter may be followed by up to two more quotes.
                        while current == quote { advance() }
                        return
                    }
                    advance()
                }
                return
            }
            advance()
            while let b = current, b != quote, b != UInt8(ascii: "\n") {
                if b == UInt8(ascii: "\\") && quote == UInt8(ascii: "\"") { advance() }
                advance()
            }
            if current == quote { advance() }
        }
    }
}
