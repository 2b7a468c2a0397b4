/// Finds the line on which each key of a TOML document is defined.
///
/// TOMLKit reports positions only for syntax errors, so this scanner reads the (already
/// parsed, hence valid) source once more and records the line of every key, table header and
/// array-of-tables entry. Paths look like `issuer`, `rule[2]`, `rule[2].match.ref`; the index
/// of an array-of-tables entry is 1-based, as people count rules.
///
/// It never fails: on text that is not valid TOML it just records less.
public struct TOMLKeyLines: Sendable {
    private var lines: [String: Int] = [:]
    private var ordinals: [String: Int] = [:]

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
    }

    private struct Scanner {
        let bytes: [UInt8]
        var position = 0
        var line = 1
        var lines: [String: Int] = [:]
        var ordinals: [String: Int] = [:]
        var tablePath = ""
        /// How many entries each array of tables has so far, by its plain dotted name.
        var arrayTableCounts: [String: Int] = [:]

        init(bytes: [UInt8]) { self.bytes = bytes }

        var current: UInt8? { position < bytes.count ? bytes[position] : nil }

        mutating func advance() {
            if current == UInt8(ascii: "\n") { line += 1 }
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

        mutating func scanKeyValue(prefix: String) {
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
            scanValue(path: path)
        }

        mutating func scanValue(path: String) {
            guard let c = current else { return }
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
                    scanValue(path: path + "[\(index)]")
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
                    scanKeyValue(prefix: path)
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
