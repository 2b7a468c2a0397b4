/// Finds the line on which each key of a TOML document is defined.
///
/// TOMLKit reports positions only for syntax errors, so this scanner reads the (already
/// parsed, hence valid) source once more and records the line of every key, table header and
/// array-of-tables entry. Paths look like `issuer`, `rule[2]`, `rule[2].match.ref`; the index
/// of an array-of-tables entry is 1-based, as people count rules.
///
/// It never fails: on text that is not valid TOML it just records less.
public struct TOMLKeyLines: Sendable {
    /// A key, table or array-of-tables entry the scanner saw, or an implicit parent of one.
    public struct Node: Hashable, Sendable {
        let index: Int
    }

    private struct Entry: Sendable {
        let parent: Int
        /// Line and document-order position; nil for an implicit parent (never written itself).
        var line: Int?
        var ordinal = Int.max
        /// Named children in the order first seen; `childIndex` mirrors them once there are many,
        /// so that wide tables stay linear.
        var children: [(name: String, node: Int)] = []
        var childIndex: [String: Int]?
        /// Entries of an array of tables (or items of an array holding inline tables), 1-based.
        var items: [Int] = []
    }

    private var entries: [Entry] = [Entry(parent: -1)]

    /// The document itself, parent of every top-level key.
    public var root: Node { Node(index: 0) }

    /// The key `name` of `node`, if the scanner saw it.
    public func child(_ node: Node?, _ name: String) -> Node? {
        guard let node else { return nil }
        return childIndex(of: node.index, name).map(Node.init)
    }

    /// The `number`th (1-based) entry of the array of tables `node`.
    public func item(_ node: Node?, _ number: Int) -> Node? {
        guard let node else { return nil }
        let items = entries[node.index].items
        guard number >= 1, number <= items.count else { return nil }
        return Node(index: items[number - 1])
    }

    /// The line of `node`, or of its nearest recorded parent, or 1.
    public func nearestLine(_ node: Node?) -> Int {
        var current = node?.index ?? 0
        while current > 0 {
            if let line = entries[current].line { return line }
            current = entries[current].parent
        }
        return 1
    }

    /// The position of `node` among all recorded keys, in document order; keys on one line
    /// (an inline table) keep their left-to-right order.
    public func ordinal(_ node: Node?) -> Int { node.map { entries[$0.index].ordinal } ?? Int.max }

    /// The line of `path`, or nil when the scanner did not see it.
    public func line(of path: String) -> Int? {
        let (node, complete) = resolve(path)
        return complete ? entries[node].line : nil
    }

    /// The position of `path` among all recorded keys, in document order.
    public func ordinal(of path: String) -> Int {
        let (node, complete) = resolve(path)
        return complete ? entries[node].ordinal : Int.max
    }

    /// The line of `path`, or of its nearest recorded parent (`rule[2].match.ref` falls back to
    /// `rule[2].match`, then `rule[2]`), or 1.
    public func nearestLine(of path: String) -> Int {
        nearestLine(Node(index: resolve(path).node))
    }

    /// Walks `path` (`a.b`, `rule[2].match.ref`; a key may itself contain `.` or `[`) as far as
    /// the scanner saw it: the deepest node reached, and whether that is the whole path.
    private func resolve(_ path: String) -> (node: Int, complete: Bool) {
        var rest = Substring(path)
        var node = 0
        while !rest.isEmpty {
            if rest.first == "[" {
                guard let close = rest.firstIndex(of: "]"), let number = Int(rest[rest.index(after: rest.startIndex)..<close]),
                    let next = item(Node(index: node), number)
                else { return (node, false) }
                node = next.index
                rest = rest[rest.index(after: close)...]
            } else {
                if rest.first == "." { rest = rest.dropFirst() }
                // The longest child name that the rest of the path starts with, as a whole key.
                var best: (name: String, node: Int)?
                for child in entries[node].children where rest.hasPrefix(child.name) {
                    let after = rest.dropFirst(child.name.count)
                    if after.isEmpty || after.first == "." || after.first == "[",
                        child.name.count > (best?.name.count ?? -1)
                    {
                        best = child
                    }
                }
                guard let best else { return (node, false) }
                node = best.node
                rest = rest.dropFirst(best.name.count)
            }
        }
        return (node, true)
    }

    private func childIndex(of parent: Int, _ name: String) -> Int? {
        if let index = entries[parent].childIndex { return index[name] }
        return entries[parent].children.first { $0.name == name }?.node
    }

    /// A table header the TOML parser cannot be given: where, and what stands in place of a key.
    public struct MalformedHeader: Equatable, Sendable {
        public let line: Int
        public let column: Int
        /// The character found, described for a message: `"."`, `a line break`, `byte 0x9B`.
        public let found: String
    }

    /// The first table header whose key starts with neither a bare-key character nor a quote
    /// (`[.a]`, `[é]`, `[#]`): the TOML parser (toml++ 3.4 inside TOMLKit) aborts the process on
    /// those instead of reporting an error, so they are refused before parsing.
    public private(set) var malformedHeader: MalformedHeader?

    public init(source: String) {
        var scanner = Scanner(bytes: Array(source.utf8))
        scanner.scanDocument()
        entries = scanner.lines.entries
        malformedHeader = scanner.malformedHeader
    }

    /// The tree under construction.
    private struct Builder {
        var entries: [Entry] = [Entry(parent: -1)]
        var recorded = 0

        /// The child `name` of `parent`, created (unrecorded) when missing.
        mutating func child(_ parent: Int, _ name: String) -> Int {
            if let index = entries[parent].childIndex {
                if let found = index[name] { return found }
            } else if let found = entries[parent].children.first(where: { $0.name == name }) {
                return found.node
            }
            let node = entries.count
            entries.append(Entry(parent: parent))
            entries[parent].children.append((name, node))
            if entries[parent].childIndex != nil {
                entries[parent].childIndex![name] = node
            } else if entries[parent].children.count > 16 {
                entries[parent].childIndex = Dictionary(
                    entries[parent].children.map { ($0.name, $0.node) }, uniquingKeysWith: { first, _ in first })
            }
            return node
        }

        /// The `number`th (1-based) item of `parent`, created (unrecorded) when missing.
        mutating func item(_ parent: Int, _ number: Int) -> Int {
            while entries[parent].items.count < number {
                let node = entries.count
                entries.append(Entry(parent: parent))
                entries[parent].items.append(node)
            }
            return entries[parent].items[number - 1]
        }

        /// A new entry at the end of the array of tables `parent`.
        mutating func appendItem(_ parent: Int) -> Int {
            item(parent, entries[parent].items.count + 1)
        }

        /// Records `node` at `line`, unless it was recorded before.
        mutating func note(_ node: Int, line: Int) {
            if entries[node].line == nil {
                entries[node].line = line
                entries[node].ordinal = recorded
                recorded += 1
            }
        }

        /// The latest entry of `node` when it is an array of tables, else `node`.
        func latest(_ node: Int) -> Int { entries[node].items.last ?? node }
    }

    private struct Scanner {
        let bytes: [UInt8]
        var position = 0
        var line = 1
        var lines = Builder()
        /// The table that key/value lines belong to (the last header).
        var table = 0
        var lineStart = 0
        var malformedHeader: MalformedHeader?
        /// Arrays and inline tables nested deeper than this are skipped, so that hostile input
        /// cannot exhaust the stack. It is above toml++'s own limit (256), which refuses such
        /// a document anyway, so nothing the parser would read is missed.
        static let maximumDepth = 300

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
                    scanKeyValue(in: table)
                }
                skipSpaces()
                if current == UInt8(ascii: "#") { skipToEndOfLine() }
                if position == before { advance() }
            }
        }

        mutating func scanHeader() {
            let headerLine = line
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
            var node = 0
            for (index, part) in parts.enumerated() {
                node = lines.child(node, part)
                if index == parts.count - 1 {
                    if isArray { node = lines.appendItem(node) }
                } else {
                    node = lines.latest(node)
                }
            }
            table = node
            lines.note(node, line: headerLine)
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

        mutating func scanKeyValue(in parent: Int, depth: Int = 0) {
            let keyLine = line
            let parts = scanDottedKey()
            guard !parts.isEmpty else {
                skipToEndOfLine()
                return
            }
            var node = parent
            for part in parts {
                node = lines.child(node, part)
                lines.note(node, line: keyLine)
            }
            skipSpaces()
            guard current == UInt8(ascii: "=") else {
                skipToEndOfLine()
                return
            }
            advance()
            skipSpaces()
            scanValue(node: node, depth: depth)
        }

        mutating func scanValue(node: Int, depth: Int = 0) {
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
                    // Only a table or a list inside a list can hold keys that need a node.
                    scanValue(
                        node: b == UInt8(ascii: "{") || b == UInt8(ascii: "[") ? lines.item(node, index) : node,
                        depth: depth + 1)
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
                    scanKeyValue(in: node, depth: depth + 1)
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
