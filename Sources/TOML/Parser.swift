/// One pass over the source that builds the node arena (see `TOMLDocument` for the design).
///
/// The parser reads through a pointer to a copy of the input followed by `padding` zero
/// bytes. A zero byte ends every scan that is not looking for it: at `count` it is the end of
/// the input, anywhere else a NUL character, which TOML forbids. A read past the current byte
/// happens only after the bytes before it were found to be something other than zero, so no
/// byte-wise read goes beyond the first padding byte; the word-wise scans of strings and
/// comments read eight bytes from an offset at most `count`, which the padding covers.
/// Nested arrays and inline tables are parsed with an explicit stack, never by recursion.
struct Parser {
    /// Zero bytes after the input.
    static let padding = 8

    /// A key as written: one component of a dotted key.
    struct KeyPart {
        /// The first character (the opening quote of a quoted key).
        var offset: UInt32
        /// Just after the last character (the closing quote of a quoted key).
        var end: UInt32
        /// The decoded key: in the source, or with `inBuffer` in the key buffer.
        var data: UInt32
        var length: UInt32
        var line: UInt32
        var inBuffer: Bool
        /// `Link.signature` of the decoded key.
        var signature: UInt32
    }

    /// An array or inline table being parsed.
    struct Frame {
        var node: UInt32
        var isArray: Bool
        /// At least one element or entry was read (a separator must come next).
        var hasEntries: Bool
    }

    let text: UnsafePointer<UInt8>
    let count: Int
    /// `ASCII.classes`, for the duration of the parse.
    let classes: UnsafePointer<UInt8>
    /// Where line 1 starts (3 after a byte order mark).
    let bodyStart: Int
    var position = 0
    let arena: NodeArena
    /// `arena.nodes` and `arena.links`, refreshed when the arena grows.
    var nodes: UnsafeMutablePointer<Node>
    var links: UnsafeMutablePointer<Link>
    var nodeCount = 0
    /// `arena.capacity`.
    var capacity: Int
    /// The number of the current line, and where it starts.
    var line: UInt32 = 1
    var lineStart: UInt32 = 0
    /// `DocumentStorage.checkpoints`.
    var checkpoints: [UInt64] = []
    var keyBuffer: [UInt8] = []
    var escapedKeys: [UInt32: UInt32] = [:]
    var index = KeyIndex()
    /// The components of the last key read: `firstKey`, then `keyParts[0..<keyCount - 1]`
    /// (slots are reused).
    var firstKey = KeyPart(offset: 0, end: 0, data: 0, length: 0, line: 0, inBuffer: false, signature: 0)
    var keyParts: [KeyPart] = []
    var keyCount = 0
    var frames: [Frame] = []
    /// The table that `key = value` lines go to: the root, then the last header's table.
    var currentTable: UInt32 = 0
    /// The key of the last header as written (from its first key's start to its last key's end),
    /// for messages; empty before the first header.
    var sectionKey: Range<Int> = 0..<0

    private init(text: UnsafePointer<UInt8>, count: Int, classes: UnsafePointer<UInt8>) {
        self.text = text
        self.count = count
        self.classes = classes
        bodyStart = count >= 3 && text[0] == 0xEF && text[1] == 0xBB && text[2] == 0xBF ? 3 : 0
        position = bodyStart
        // Enough for typical documents (mapping files have one node per 18 to 30 bytes), so that
        // the arena rarely grows (growing copies it); pages never written cost nothing.
        arena = NodeArena(capacity: count / 12 + 16, expected: count / 16)
        nodes = arena.nodes
        links = arena.links
        capacity = arena.capacity
    }

    static func parse(_ bytes: UnsafeRawBufferPointer) throws(TOMLError) -> DocumentStorage {
        guard bytes.count <= TOMLDocument.maximumSize else {
            throw TOMLError(
                line: 1, column: 1,
                message:
                    "the file is larger than \(TOMLDocument.maximumSize) bytes, more than any TOML document read here")
        }
        return try parse(SourceBuffer(copying: bytes, padding: padding))
    }

    /// Parses a source buffer, which the document keeps.
    static func parse(_ source: SourceBuffer) throws(TOMLError) -> DocumentStorage {
        return try ASCII.classes.withUnsafeBufferPointer { (classes) throws(TOMLError) -> DocumentStorage in
            var parser = Parser(text: source.bytes, count: source.count, classes: classes.baseAddress!)
            try parser.parseDocument()
            return DocumentStorage(
                source: source, arena: parser.arena, nodeCount: parser.nodeCount, keyBuffer: parser.keyBuffer,
                escapedKeys: parser.escapedKeys, bodyStart: parser.bodyStart, checkpoints: parser.checkpoints,
                index: parser.index)
        }
    }

    // MARK: - Lines

    private mutating func parseDocument() throws(TOMLError) {
        lineStart = UInt32(position)
        nodes.initialize(
            to: Node(
                keyOffset: Node.none, keyLength: 0, valueOffset: UInt32(position), line: 1, count: 0, kind: .table,
                origin: .document, flags: 0, depth: 0, payload: UInt64.max))
        links.initialize(to: Link(next: Node.none, signature: 0))
        nodeCount = 1
        while true {
            skipSpaces()
            switch text[position] {
            case ASCII.lineFeed:
                position += 1
                addLine(UInt32(position))
            case ASCII.carriageReturn:
                try lineBreak()
            case ASCII.hash:
                try skipComment()
            case 0 where position == count:
                if UInt32(count) - lineStart > DocumentStorage.columnCheckpointSpacing {
                    addCheckpoints(from: lineStart, to: UInt32(count))
                }
                return
            case ASCII.openBracket:
                try parseHeader()
                try endOfLine(after: "the table header")
            default:
                try parseKeyValue()
                try endOfLine(after: "the value")
            }
        }
    }

    @inline(__always) private func isBareKey(_ byte: UInt8) -> Bool { classes[Int(byte)] & ASCII.bareKeyClass != 0 }

    @inline(__always) private func isValueWord(_ byte: UInt8) -> Bool {
        classes[Int(byte)] & ASCII.valueWordClass != 0
    }

    /// Records that a line starts at `offset`.
    @inline(__always) private mutating func addLine(_ offset: UInt32) {
        if offset - lineStart > DocumentStorage.columnCheckpointSpacing { addCheckpoints(from: lineStart, to: offset) }
        lineStart = offset
        line += 1
    }

    /// Column checkpoints every `DocumentStorage.columnCheckpointSpacing` bytes of a long line,
    /// so that no position needs counting over more than that.
    private mutating func addCheckpoints(from lineStart: UInt32, to lineEnd: UInt32) {
        var column: UInt32 = 1
        var index = Int(lineStart)
        var checkpoint = lineStart + DocumentStorage.columnCheckpointSpacing
        while checkpoint < lineEnd {
            while index < Int(checkpoint) {
                if text[index] & 0xC0 != 0x80 { column += 1 }
                index += 1
            }
            checkpoints.append(UInt64(checkpoint) << 32 | UInt64(column))
            checkpoint += DocumentStorage.columnCheckpointSpacing
        }
    }

    @inline(__always) private mutating func skipSpaces() {
        while ASCII.isSpace(text[position]) { position += 1 }
    }

    /// At a CR: consumes CR LF, or refuses a CR alone.
    private mutating func lineBreak() throws(TOMLError) {
        guard text[position + 1] == ASCII.lineFeed else {
            throw error(
                "a carriage return (CR) must be followed by a line feed (LF): line breaks are LF or CR LF",
                at: position)
        }
        position += 2
        addLine(UInt32(position))
    }

    /// After a header or a key/value pair: spaces, an optional comment, then a line break or the
    /// end of the file.
    private mutating func endOfLine(after what: String) throws(TOMLError) {
        skipSpaces()
        if text[position] == ASCII.hash { try skipComment() }
        switch text[position] {
        case ASCII.lineFeed:
            position += 1
            addLine(UInt32(position))
        case ASCII.carriageReturn:
            try lineBreak()
        case 0 where position == count:
            return
        default:
            throw unexpected(
                at: position,
                expected:
                    "the end of the line after \(what) (one key = value or [table] per line; comments start with #)"
            )
        }
    }

    /// At `#`: moves to the line break (or end) that ends the comment.
    private mutating func skipComment() throws(TOMLError) {
        position += 1
        while true {
            position = Scan.plain(text, from: position, quote: 0, backslash: false)
            let byte = text[position]
            if byte >= 0x80 {
                position += try utf8Length(at: position)
            } else if byte == ASCII.tab {
                position += 1
            } else if byte == ASCII.lineFeed || (byte == 0 && position == count) {
                return
            } else if byte == ASCII.carriageReturn && text[position + 1] == ASCII.lineFeed {
                return
            } else if byte == ASCII.carriageReturn {
                throw error(
                    "a carriage return (CR) must be followed by a line feed (LF): line breaks are LF or CR LF",
                    at: position)
            } else {
                throw error("\(controlCharacterName(byte)) is not allowed in a comment", at: position)
            }
        }
    }

    // MARK: - Keys

    /// Reads a dotted key into `firstKey` and `keyParts` (`keyCount` components).
    private mutating func parseKey() throws(TOMLError) {
        firstKey = try parseSimpleKey(afterDot: false)
        keyCount = 1
        while true {
            let save = position
            skipSpaces()
            guard text[position] == ASCII.dot else {
                position = save
                return
            }
            position += 1
            skipSpaces()
            let part = try parseSimpleKey(afterDot: true)
            if keyCount - 1 < keyParts.count {
                keyParts[keyCount - 1] = part
            } else {
                keyParts.append(part)
            }
            keyCount += 1
        }
    }

    /// Component `index` of the last key read.
    @inline(__always) private func keyPart(_ index: Int) -> KeyPart {
        index == 0 ? firstKey : keyParts[index - 1]
    }

    @inline(__always)
    private mutating func parseSimpleKey(afterDot: Bool) throws(TOMLError) -> KeyPart {
        let start = position
        let byte = text[start]
        if isBareKey(byte) {
            var end = start + 1
            while isBareKey(text[end]) { end += 1 }
            position = end
            return KeyPart(
                offset: UInt32(start), end: UInt32(end), data: UInt32(start), length: UInt32(end - start), line: line,
                inBuffer: false, signature: Link.signature(ofKeyAt: text + start, length: end - start))
        }
        if byte == ASCII.quote || byte == ASCII.apostrophe {
            if text[start + 1] == byte && text[start + 2] == byte {
                throw error("a key cannot be a multi-line string; write it on one line with a single quote", at: start)
            }
            let scanned = try byte == ASCII.quote ? scanBasicString() : scanLiteralString()
            guard scanned.escapes else {
                return KeyPart(
                    offset: UInt32(start), end: UInt32(position), data: UInt32(scanned.start),
                    length: UInt32(scanned.end - scanned.start), line: line, inBuffer: false,
                    signature: Link.signature(ofKeyAt: text + scanned.start, length: scanned.end - scanned.start))
            }
            let bufferStart = keyBuffer.count
            StringDecoding.decode(
                UnsafeBufferPointer(start: text + scanned.start, count: scanned.end - scanned.start), escapes: true,
                into: &keyBuffer)
            let signature = keyBuffer.withUnsafeBufferPointer {
                Link.signature(of: UnsafeBufferPointer(rebasing: $0[bufferStart...]))
            }
            return KeyPart(
                offset: UInt32(start), end: UInt32(position), data: UInt32(bufferStart),
                length: UInt32(keyBuffer.count - bufferStart), line: line, inBuffer: true, signature: signature)
        }
        throw keyExpected(at: start, afterDot: afterDot)
    }

    private func keyExpected(at offset: Int, afterDot: Bool) -> TOMLError {
        let byte = text[offset]
        if byte >= 0x80, let scalar = scalarText(at: offset) {
            return error(
                "the character `\(scalar)` is not allowed in a bare key: put the key in quotes (\"...\"); bare keys "
                    + "may contain only letters A-Z and a-z, digits, `_` and `-`",
                at: offset)
        }
        if byte >= 0x80 || (byte == 0 && offset < count) { return unexpected(at: offset, expected: "a key") }
        if afterDot { return unexpected(at: offset, expected: "a key after the dot") }
        if byte == ASCII.equals { return error("a key is missing before `=`", at: offset) }
        return unexpected(
            at: offset,
            expected: "a key (bare keys may contain only letters A-Z and a-z, digits, `_` and `-`; other keys "
                + "need quotes)")
    }

    /// Components `range` of the last key read, as written, joined by dots.
    private func keyText(_ range: Range<Int>) -> String {
        range.map { index in
            let part = keyPart(index)
            return String(
                decoding: UnsafeBufferPointer(start: text + Int(part.offset), count: Int(part.end - part.offset)),
                as: UTF8.self)
        }.joined(separator: ".")
    }

    // MARK: - Tables and key/value pairs

    /// A `key = value` line, in `currentTable`.
    private mutating func parseKeyValue() throws(TOMLError) {
        try parseKey()
        skipSpaces()
        guard text[position] == ASCII.equals else {
            let key = keyText(0..<keyCount)
            let byte = text[position]
            if byte == ASCII.lineFeed || byte == ASCII.carriageReturn || byte == ASCII.hash
                || (byte == 0 && position == count)
            {
                throw error("the key `\(key)` has no value: expected `=` and a value after it", at: position)
            }
            throw unexpected(at: position, expected: "`=` after the key `\(key)`")
        }
        position += 1
        skipSpaces()
        let node = try attachKeyValue(to: currentTable, inSection: true)
        try parseValue(into: node)
    }

    /// Resolves the dotted key just read from `table`, creating the tables it names, and adds a
    /// node for its value (filled in by `parseValue`). `inSection`: `table` is the current
    /// section's (messages then name tables by their whole path).
    private mutating func attachKeyValue(to table: UInt32, inSection: Bool) throws(TOMLError) -> UInt32 {
        var parent = table
        let last = keyCount - 1
        for part in 0..<last {
            let key = keyPart(part)
            let found = lookup(in: parent, key)
            let existing = found.node
            if existing == Node.none {
                parent = try addChild(
                    to: parent, lookup: found, key: key, valueOffset: Int(key.offset), kind: .table,
                    origin: .dottedKey)
                continue
            }
            let node = nodes[Int(existing)]
            if node.kind == .table {
                switch node.origin {
                case .dottedKey:
                    parent = existing
                    continue
                case .implicit:
                    nodes[Int(existing)].origin = .dottedKey
                    parent = existing
                    continue
                case .inline:
                    throw error(
                        "the key `\(keyText(0..<part + 1))` is an inline table (line \(node.line)), which cannot "
                            + "be extended: add the key inside its braces",
                        at: Int(key.offset))
                default:
                    let section =
                        inSection && !sectionKey.isEmpty
                        ? tokenText(sectionKey.lowerBound, sectionKey.upperBound) + "." : ""
                    throw error(
                        "the table [\(section)\(keyText(0..<part + 1))] is defined by a header on line "
                            + "\(node.line); add `\(keyText(part + 1..<keyCount))` under that header instead of "
                            + "using a dotted key here",
                        at: Int(key.offset))
                }
            }
            let what =
                node.kind != .array ? "a value" : node.origin == .arrayOfTables ? "an array of tables" : "an array"
            throw error(
                "the key `\(keyText(0..<part + 1))` is already defined on line \(node.line) as \(what), so it "
                    + "cannot hold `\(keyText(part + 1..<keyCount))`",
                at: Int(key.offset))
        }
        let key = keyPart(last)
        let found = lookup(in: parent, key)
        let existing = found.node
        if existing != Node.none {
            throw error(
                "the key `\(keyText(0..<keyCount))` is already defined on line \(nodes[Int(existing)].line)",
                at: Int(key.offset))
        }
        return try addChild(
            to: parent, lookup: found, key: key, valueOffset: position, kind: .boolean, origin: .none)
    }

    /// A `[table]` or `[[array of tables]]` header line; makes its table current.
    private mutating func parseHeader() throws(TOMLError) {
        let headerOffset = position
        let isArray = text[position + 1] == ASCII.openBracket
        position += isArray ? 2 : 1
        skipSpaces()
        if text[position] == ASCII.openBracket {
            throw error("a table header has at most two brackets: `[table]` or `[[array of tables]]`", at: position)
        }
        if text[position] == ASCII.closeBracket {
            throw error("this table header has no name: write it as [name]", at: headerOffset)
        }
        try parseKey()
        sectionKey = Int(firstKey.offset)..<Int(keyPart(keyCount - 1).end)
        skipSpaces()
        var header: String { keyText(0..<keyCount) }
        if isArray {
            guard text[position] == ASCII.closeBracket && text[position + 1] == ASCII.closeBracket else {
                throw unexpected(at: position, expected: "`]]` to close the header [[\(header)]]")
            }
            position += 2
        } else {
            guard text[position] == ASCII.closeBracket else {
                throw unexpected(at: position, expected: "`]` to close the header [\(header)]")
            }
            position += 1
        }
        var parent: UInt32 = 0
        let last = keyCount - 1
        for part in 0..<last {
            let key = keyPart(part)
            let found = lookup(in: parent, key)
            let existing = found.node
            if existing == Node.none {
                parent = try addChild(
                    to: parent, lookup: found, key: key, valueOffset: Int(key.offset), kind: .table,
                    origin: .implicit)
                continue
            }
            let node = nodes[Int(existing)]
            if node.kind == .table && node.origin != .inline {
                parent = existing
            } else if node.kind == .array && node.origin == .arrayOfTables {
                parent = node.high
            } else {
                let what =
                    node.kind == .table
                    ? "an inline table, which cannot be extended" : node.kind == .array ? "an array" : "a value"
                throw error(
                    "the header [\(header)] cannot add to `\(keyText(0..<part + 1))`: it is already defined on line "
                        + "\(node.line) as \(what)",
                    at: Int(key.offset))
            }
        }
        let key = keyPart(last)
        let found = lookup(in: parent, key)
        let existing = found.node
        if existing == Node.none {
            if isArray {
                let array = try addChild(
                    to: parent, lookup: found, key: key, valueOffset: headerOffset, kind: .array,
                    origin: .arrayOfTables)
                currentTable = try addElement(
                    to: array, valueOffset: headerOffset, kind: .table, origin: .arrayOfTablesElement)
            } else {
                currentTable = try addChild(
                    to: parent, lookup: found, key: key, valueOffset: headerOffset, kind: .table, origin: .header)
            }
            return
        }
        let node = nodes[Int(existing)]
        if isArray {
            guard node.kind == .array && node.origin == .arrayOfTables else {
                let what =
                    node.kind == .array
                    ? "an array written with brackets, which [[...]] cannot add to"
                    : node.kind == .table ? "a table" : "a value"
                throw error(
                    "the header [[\(header)]] cannot add a table to `\(header)`: it is already defined on line "
                        + "\(node.kind == .table ? node.line : node.line) as \(what)",
                    at: Int(key.offset))
            }
            currentTable = try addElement(
                to: existing, valueOffset: headerOffset, kind: .table, origin: .arrayOfTablesElement)
            return
        }
        if node.kind == .table && node.origin == .implicit {
            // The table's own header: from now on it is where the table is.
            nodes[Int(existing)].origin = .header
            nodes[Int(existing)].valueOffset = UInt32(headerOffset)
            nodes[Int(existing)].keyOffset = key.offset
            nodes[Int(existing)].line = key.line
            if key.inBuffer {
                nodes[Int(existing)].flags |= Node.Flags.keyInBuffer
                escapedKeys[existing] = key.data
            } else {
                nodes[Int(existing)].flags &= ~Node.Flags.keyInBuffer
            }
            currentTable = existing
            return
        }
        let message: String
        switch (node.kind, node.origin) {
        case (.table, .header):
            message = "the table [\(header)] is already defined on line \(node.line)"
        case (.table, .dottedKey):
            message =
                "the table [\(header)] is already defined by the dotted key on line \(node.line); a header cannot "
                + "define it again"
        case (.table, _):
            message =
                "the table [\(header)] is already defined as an inline table on line \(node.line); a header "
                + "cannot define it again"
        case (.array, .arrayOfTables):
            message =
                "`\(header)` is an array of tables ([[\(header)]] on line \(node.line)): write [[\(header)]] to "
                + "add an element"
        default:
            message = "the key `\(header)` is already defined on line \(node.line)"
        }
        throw error(message, at: Int(key.offset))
    }

    /// Where the key of a node whose key is not in the key buffer starts in the source.
    @inline(__always) private func keyStart(_ node: Node) -> UnsafePointer<UInt8> {
        let first = text[Int(node.keyOffset)]
        return text + Int(node.keyOffset) + (first == ASCII.quote || first == ASCII.apostrophe ? 1 : 0)
    }

    /// What `lookup` found: the node, or `Node.none`; in an indexed table, the key's hash and the
    /// free slot it goes to, for adding it right after.
    struct Lookup {
        var node: UInt32
        var hash = 0
        var freeSlot = -1
    }

    /// The child of `table` named `key`, or `Node.none`.
    @inline(__always)
    private func lookup(in table: UInt32, _ key: KeyPart) -> Lookup {
        let container = nodes[Int(table)]
        if container.flags & Node.Flags.indexed != 0 {
            let hash = withBytes(of: key) { KeyIndex.hash(table: table, key: $0) }
            let (found, freeSlot) = withBytes(of: key) { bytes in
                index.probe(table: table, hash: hash) { keyEquals($0, bytes) }
            }
            return Lookup(node: found, hash: hash, freeSlot: freeSlot)
        }
        var child = container.low
        while child != Node.none {
            let link = links[Int(child)]
            if link.signature == key.signature && (key.length <= 3 || withBytes(of: key, { keyEquals(child, $0) })) {
                return Lookup(node: child)
            }
            child = link.next
        }
        return Lookup(node: Node.none)
    }

    @inline(__always) private func equalBytes(_ left: UnsafePointer<UInt8>, _ right: UnsafeBufferPointer<UInt8>) -> Bool
    {
        var index = 0
        while index < right.count {
            if left[index] != right[index] { return false }
            index += 1
        }
        return true
    }

    private func withBytes<R>(of key: KeyPart, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        if !key.inBuffer { return body(UnsafeBufferPointer(start: text + Int(key.data), count: Int(key.length))) }
        return keyBuffer.withUnsafeBufferPointer {
            body(UnsafeBufferPointer(rebasing: $0[Int(key.data)..<Int(key.data + key.length)]))
        }
    }

    private func withKeyBytes<R>(of node: UInt32, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        let entry = nodes[Int(node)]
        if entry.flags & Node.Flags.keyInBuffer == 0 {
            return body(UnsafeBufferPointer(start: keyStart(entry), count: Int(entry.keyLength)))
        }
        let start = Int(escapedKeys[node]!)
        return keyBuffer.withUnsafeBufferPointer {
            body(UnsafeBufferPointer(rebasing: $0[start..<start + Int(entry.keyLength)]))
        }
    }

    private func keyEquals(_ node: UInt32, _ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        nodes[Int(node)].keyLength == UInt32(bytes.count) && withKeyBytes(of: node) { $0.elementsEqual(bytes) }
    }

    /// Adds a keyed node to a table, where `lookup` did not find its key; indexes the table's
    /// keys once it has more than a few.
    @inline(__always)
    private mutating func addChild(
        to table: UInt32, lookup: Lookup, key: KeyPart, valueOffset: Int, kind: NodeKind, origin: NodeOrigin
    ) throws(TOMLError) -> UInt32 {
        let child = try append(
            parent: table, keyOffset: key.offset, keyLength: key.length,
            keyFlags: key.inBuffer ? Node.Flags.keyInBuffer : 0, signature: key.signature, valueOffset: valueOffset,
            kind: kind, origin: origin)
        if key.inBuffer { escapedKeys[child] = key.data }
        if nodes[Int(table)].flags & Node.Flags.indexed != 0 {
            index.insert(table: table, node: child, hash: lookup.hash, freeSlot: lookup.freeSlot)
        } else if nodes[Int(table)].count > DocumentStorage.linearSearchLimit {
            nodes[Int(table)].flags |= Node.Flags.indexed
            var existing = nodes[Int(table)].low
            while existing != Node.none {
                addToIndex(table: table, node: existing)
                existing = links[Int(existing)].next
            }
        }
        return child
    }

    private mutating func addToIndex(table: UInt32, node: UInt32) {
        let hash = withKeyBytes(of: node) { KeyIndex.hash(table: table, key: $0) }
        index.insert(table: table, node: node, hash: hash)
    }

    /// Adds an unkeyed node to an array.
    @inline(__always)
    private mutating func addElement(to array: UInt32, valueOffset: Int, kind: NodeKind, origin: NodeOrigin)
        throws(TOMLError) -> UInt32
    {
        try append(
            parent: array, keyOffset: Node.none, keyLength: 0, keyFlags: 0, signature: 0,
            valueOffset: valueOffset, kind: kind, origin: origin)
    }

    @inline(__always)
    private mutating func append(
        parent: UInt32, keyOffset: UInt32, keyLength: UInt32, keyFlags: UInt8, signature: UInt32,
        valueOffset: Int, kind: NodeKind, origin: NodeOrigin
    ) throws(TOMLError) -> UInt32 {
        let depth = nodes[Int(parent)].depth &+ 1
        guard depth <= TOMLDocument.maximumDepth else {
            throw error(
                "tables and arrays are nested more than \(TOMLDocument.maximumDepth) levels deep here",
                at: keyOffset == Node.none ? valueOffset : Int(keyOffset))
        }
        if nodeCount == capacity {
            arena.grow(keeping: nodeCount)
            nodes = arena.nodes
            links = arena.links
            capacity = arena.capacity
        }
        let child = UInt32(nodeCount)
        (nodes + nodeCount).initialize(
            to: Node(
                keyOffset: keyOffset, keyLength: keyLength, valueOffset: UInt32(valueOffset), line: line, count: 0,
                kind: kind, origin: origin, flags: keyFlags, depth: depth,
                payload: kind == .table || kind == .array ? UInt64.max : 0))
        (links + nodeCount).initialize(to: Link(next: Node.none, signature: signature))
        nodeCount += 1
        let last = nodes[Int(parent)].high
        if last == Node.none {
            nodes[Int(parent)].low = child
        } else {
            links[Int(last)].next = child
        }
        nodes[Int(parent)].high = child
        nodes[Int(parent)].count += 1
        return child
    }

    // MARK: - Values

    /// Parses the value at `position` into `node`, arrays and inline tables included.
    private mutating func parseValue(into node: UInt32) throws(TOMLError) {
        try parseValueStart(into: node)
        while let frame = frames.last {
            if frame.isArray {
                try skipArraySpace()
                var byte = text[position]
                if byte == ASCII.closeBracket {
                    position += 1
                    frames.removeLast()
                    continue
                }
                if frame.hasEntries {
                    guard byte == ASCII.comma else {
                        throw unexpected(at: position, expected: "`,` or `]` after an element of the array")
                    }
                    position += 1
                    try skipArraySpace()
                    byte = text[position]
                    if byte == ASCII.closeBracket {
                        position += 1
                        frames.removeLast()
                        continue
                    }
                    if byte == ASCII.comma { throw error("two commas in a row in an array", at: position) }
                } else if byte == ASCII.comma {
                    throw error("a comma before the first element of the array", at: position)
                }
                frames[frames.count - 1].hasEntries = true
                let element = try addElement(to: frame.node, valueOffset: position, kind: .boolean, origin: .none)
                try parseValueStart(into: element)
            } else {
                skipSpaces()
                var byte = text[position]
                if byte == ASCII.closeBrace {
                    position += 1
                    frames.removeLast()
                    continue
                }
                if frame.hasEntries {
                    guard byte == ASCII.comma else {
                        throw inlineTableProblem(expected: "`,` or `}` after an entry of the inline table")
                    }
                    position += 1
                    skipSpaces()
                    byte = text[position]
                    if byte == ASCII.closeBrace {
                        throw error(
                            "a comma after the last entry of an inline table is not allowed in TOML 1.0",
                            at: position - 1)
                    }
                }
                if byte == ASCII.comma {
                    throw error("a comma without an entry before it in an inline table", at: position)
                }
                if byte == ASCII.lineFeed || byte == ASCII.carriageReturn || byte == ASCII.hash
                    || (byte == 0 && position == count)
                {
                    throw inlineTableProblem(expected: "a key")
                }
                try parseKey()
                skipSpaces()
                guard text[position] == ASCII.equals else {
                    throw inlineTableProblem(expected: "`=` after the key `\(keyText(0..<keyCount))`")
                }
                position += 1
                skipSpaces()
                frames[frames.count - 1].hasEntries = true
                let entry = try attachKeyValue(to: frame.node, inSection: false)
                try parseValueStart(into: entry)
            }
        }
    }

    private func inlineTableProblem(expected: String) -> TOMLError {
        let byte = text[position]
        if byte == ASCII.lineFeed || byte == ASCII.carriageReturn || byte == ASCII.hash {
            return error(
                "an inline table { ... } must be on one line in TOML 1.0 (line breaks and comments are allowed only "
                    + "inside its values): close it with `}` on this line, or use a [table] header",
                at: position)
        }
        if byte == 0 && position == count {
            let open = frames.last.map { Int(nodes[Int($0.node)].valueOffset) } ?? position
            return error("this inline table has no closing `}`", at: open)
        }
        return unexpected(at: position, expected: expected)
    }

    /// Inside an array: spaces, line breaks and comments.
    private mutating func skipArraySpace() throws(TOMLError) {
        while true {
            switch text[position] {
            case ASCII.space, ASCII.tab:
                position += 1
            case ASCII.lineFeed:
                position += 1
                addLine(UInt32(position))
            case ASCII.carriageReturn:
                try lineBreak()
            case ASCII.hash:
                try skipComment()
            case 0 where position == count:
                let open = frames.last.map { Int(nodes[Int($0.node)].valueOffset) } ?? position
                throw error("this array has no closing `]`", at: open)
            default:
                return
            }
        }
    }

    /// A scalar completely, or the opening of an array or inline table (pushed on `frames`); the
    /// node was made at `position`.
    private mutating func parseValueStart(into node: UInt32) throws(TOMLError) {
        let byte = text[position]
        switch byte {
        case ASCII.quote:
            let multiLine = text[position + 1] == ASCII.quote && text[position + 2] == ASCII.quote
            let scanned = try multiLine ? scanMultiLineString(quote: ASCII.quote) : scanBasicString()
            setString(node, scanned)
        case ASCII.apostrophe:
            let multiLine = text[position + 1] == ASCII.apostrophe && text[position + 2] == ASCII.apostrophe
            let scanned = try multiLine ? scanMultiLineString(quote: ASCII.apostrophe) : scanLiteralString()
            setString(node, scanned)
        case ASCII.openBracket:
            nodes[Int(node)].kind = .array
            nodes[Int(node)].origin = .staticArray
            nodes[Int(node)].payload = UInt64.max
            position += 1
            frames.append(Frame(node: node, isArray: true, hasEntries: false))
        case ASCII.openBrace:
            nodes[Int(node)].kind = .table
            nodes[Int(node)].origin = .inline
            nodes[Int(node)].payload = UInt64.max
            position += 1
            frames.append(Frame(node: node, isArray: false, hasEntries: false))
        case UInt8(ascii: "t"), UInt8(ascii: "f"):
            let start = position
            var end = start
            while isValueWord(text[end]) { end += 1 }
            if end - start == 4 && text[start] == UInt8(ascii: "t") && text[start + 1] == UInt8(ascii: "r")
                && text[start + 2] == UInt8(ascii: "u") && text[start + 3] == UInt8(ascii: "e")
            {
                nodes[Int(node)].payload = 1
            } else if end - start == 5 && text[start] == UInt8(ascii: "f") && text[start + 1] == UInt8(ascii: "a")
                && text[start + 2] == UInt8(ascii: "l") && text[start + 3] == UInt8(ascii: "s")
                && text[start + 4] == UInt8(ascii: "e")
            {
                nodes[Int(node)].payload = 0
            } else {
                throw invalidValue(start: start, end: end)
            }
            position = end
            nodes[Int(node)].kind = .boolean
        case _
        where ASCII.isDigit(byte) || byte == ASCII.plus || byte == ASCII.minus || byte == UInt8(ascii: "i")
            || byte == UInt8(ascii: "n"):
            try parseNumberOrDate(into: node)
        case ASCII.lineFeed, ASCII.carriageReturn, ASCII.hash:
            throw error("a value is missing here: write it on the same line, after `=`", at: position)
        case 0 where position == count:
            throw error("a value is missing at the end of the file", at: position)
        case ASCII.comma, ASCII.closeBracket, ASCII.closeBrace:
            throw error("a value is missing before `\(Character(Unicode.Scalar(byte)))`", at: position)
        case _ where ASCII.isLetter(byte):
            var end = position
            while isValueWord(text[end]) { end += 1 }
            throw invalidValue(start: position, end: end)
        default:
            throw unexpected(at: position, expected: "a value")
        }
    }

    private func invalidValue(start: Int, end: Int) -> TOMLError {
        let word = String(decoding: UnsafeBufferPointer(start: text + start, count: end - start), as: UTF8.self)
        let lower = word.lowercased()
        if lower == "true" || lower == "false" {
            return error("`\(word)` is not a value: booleans are written in lower case, `\(lower)`", at: start)
        }
        return error(
            "`\(word)` is not a value: text must be in quotes (\"\(word)\"), booleans are `true` or `false`",
            at: start)
    }

    private mutating func setString(
        _ node: UInt32, _ scanned: (start: Int, end: Int, escapes: Bool, carriageReturns: Bool)
    ) {
        nodes[Int(node)].kind = .string
        nodes[Int(node)].payload = UInt64(scanned.start) | UInt64(scanned.end) << 32
        nodes[Int(node)].flags |=
            (scanned.escapes ? Node.Flags.escapes : 0) | (scanned.carriageReturns ? Node.Flags.carriageReturns : 0)
    }

    // MARK: - Strings

    /// At `"`: a basic string on one line. Returns its content range.
    private mutating func scanBasicString() throws(TOMLError) -> (
        start: Int, end: Int, escapes: Bool, carriageReturns: Bool
    ) {
        let open = position
        var index = position + 1
        var escapes = false
        while true {
            index = Scan.plain(text, from: index, quote: ASCII.quote, backslash: true)
            let byte = text[index]
            if byte >= 0x20 && byte < 0x7F {
                if byte == ASCII.quote {
                    position = index + 1
                    return (open + 1, index, escapes, false)
                }
                if byte == ASCII.backslash {
                    escapes = true
                    index = try scanEscape(at: index, multiLine: false, stringStart: open)
                } else {
                    index += 1
                }
            } else if byte >= 0x80 {
                index += try utf8Length(at: index)
            } else if byte == ASCII.tab {
                index += 1
            } else {
                try stringEndsEarly(at: index, stringStart: open, byte: byte)
            }
        }
    }

    /// At `'`: a literal string on one line.
    private mutating func scanLiteralString() throws(TOMLError) -> (
        start: Int, end: Int, escapes: Bool, carriageReturns: Bool
    ) {
        let open = position
        var index = position + 1
        while true {
            index = Scan.plain(text, from: index, quote: ASCII.apostrophe, backslash: false)
            let byte = text[index]
            if byte >= 0x20 && byte < 0x7F {
                if byte == ASCII.apostrophe {
                    position = index + 1
                    return (open + 1, index, false, false)
                }
                index += 1
            } else if byte >= 0x80 {
                index += try utf8Length(at: index)
            } else if byte == ASCII.tab {
                index += 1
            } else {
                try stringEndsEarly(at: index, stringStart: open, byte: byte)
            }
        }
    }

    /// A line break, the end of the file or a control character inside a one-line string.
    private func stringEndsEarly(at index: Int, stringStart: Int, byte: UInt8) throws(TOMLError) -> Never {
        if byte == ASCII.lineFeed || byte == ASCII.carriageReturn || (byte == 0 && index == count) {
            let quote = text[stringStart] == ASCII.quote ? "\"" : "'"
            throw error(
                "this string has no closing quote: a \(quote)...\(quote) string must end on the line it starts "
                    + "(use \(quote)\(quote)\(quote) for a string over several lines)",
                at: stringStart)
        }
        throw error(
            "\(controlCharacterName(byte)) is not allowed in a string"
                + (text[stringStart] == ASCII.quote ? "; write it as \\u\(hex4(byte))" : ""),
            at: index)
    }

    /// At `"""` or `'''`: a multi-line string.
    private mutating func scanMultiLineString(quote: UInt8) throws(TOMLError) -> (
        start: Int, end: Int, escapes: Bool, carriageReturns: Bool
    ) {
        let open = position
        var index = position + 3
        if text[index] == ASCII.lineFeed {
            index += 1
            addLine(UInt32(index))
        } else if text[index] == ASCII.carriageReturn && text[index + 1] == ASCII.lineFeed {
            index += 2
            addLine(UInt32(index))
        }
        let start = index
        var escapes = false
        var carriageReturns = false
        while true {
            index = Scan.plain(text, from: index, quote: quote, backslash: quote == ASCII.quote)
            let byte = text[index]
            if byte >= 0x20 && byte < 0x7F {
                if byte == quote {
                    var run = 1
                    while text[index + run] == quote { run += 1 }
                    if run >= 3 {
                        if run > 5 {
                            throw error(
                                "too many quotes in a row: a multi-line string ends at three quotes, and at most "
                                    + "two more may come right before them",
                                at: index + 5)
                        }
                        position = index + run
                        return (start, index + run - 3, escapes, carriageReturns)
                    }
                    index += run
                } else if byte == ASCII.backslash && quote == ASCII.quote {
                    escapes = true
                    index = try scanEscape(at: index, multiLine: true, stringStart: open)
                } else {
                    index += 1
                }
            } else if byte >= 0x80 {
                index += try utf8Length(at: index)
            } else if byte == ASCII.tab {
                index += 1
            } else if byte == ASCII.lineFeed {
                index += 1
                addLine(UInt32(index))
            } else if byte == ASCII.carriageReturn && text[index + 1] == ASCII.lineFeed {
                carriageReturns = true
                index += 2
                addLine(UInt32(index))
            } else if byte == 0 && index == count {
                let delimiter = quote == ASCII.quote ? "\"\"\"" : "'''"
                throw error(
                    "this multi-line string has no closing \(delimiter): it runs from here to the end of the file",
                    at: open)
            } else if byte == ASCII.carriageReturn {
                throw error(
                    "a carriage return (CR) must be followed by a line feed (LF): line breaks are LF or CR LF",
                    at: index)
            } else {
                throw error(
                    "\(controlCharacterName(byte)) is not allowed in a string"
                        + (quote == ASCII.quote ? "; write it as \\u\(hex4(byte))" : ""),
                    at: index)
            }
        }
    }

    /// At a backslash in a basic string: checks the escape, returns the offset after it.
    private mutating func scanEscape(at index: Int, multiLine: Bool, stringStart: Int) throws(TOMLError) -> Int {
        let escape = text[index + 1]
        if multiLine && (ASCII.isSpace(escape) || escape == ASCII.lineFeed || escape == ASCII.carriageReturn) {
            return try skipLineEndingBackslash(at: index)
        }
        switch escape {
        case UInt8(ascii: "b"), UInt8(ascii: "t"), UInt8(ascii: "n"), UInt8(ascii: "f"), UInt8(ascii: "r"),
            ASCII.quote, ASCII.backslash:
            return index + 2
        case UInt8(ascii: "u"), UInt8(ascii: "U"):
            let digits = escape == UInt8(ascii: "u") ? 4 : 8
            var scalar: UInt32 = 0
            for offset in 0..<digits {
                let value = ASCII.hexValue(text[index + 2 + offset])
                guard value != 0xFF else {
                    throw error(
                        "`\\\(escape == UInt8(ascii: "u") ? "u" : "U")` must be followed by \(digits) hexadecimal "
                            + "digits (a Unicode code point)",
                        at: index)
                }
                scalar = scalar << 4 | UInt32(value)
            }
            if scalar >= 0xD800 && scalar < 0xE000 {
                throw error(
                    "the escape \\\(escape == UInt8(ascii: "u") ? "u" : "U")\(hexText(scalar, digits: digits)) is a "
                        + "surrogate code point, which is not a character: TOML strings hold Unicode scalar values",
                    at: index)
            }
            if scalar > 0x10FFFF {
                throw error(
                    "the escape \\U\(hexText(scalar, digits: 8)) is beyond the last Unicode code point (U+10FFFF)",
                    at: index)
            }
            return index + 2 + digits
        case UInt8(ascii: "e"):
            throw error("`\\e` is not an escape in TOML 1.0: write \\u001B", at: index)
        case UInt8(ascii: "x"):
            throw error("`\\x` escapes are not part of TOML 1.0: write \\u00 and the two hexadecimal digits", at: index)
        case 0 where index + 1 == count, ASCII.lineFeed, ASCII.carriageReturn:
            throw error(
                "this string has no closing quote: a \"...\" string must end on the line it starts (use \"\"\" for a "
                    + "string over several lines)",
                at: stringStart)
        default:
            let shown =
                escape >= 0x20 && escape < 0x7F ? "`\\\(Character(Unicode.Scalar(escape)))`" : "a backslash here"
            throw error(
                "\(shown) is not a valid escape: TOML 1.0 knows \\b \\t \\n \\f \\r \\\" \\\\ \\uXXXX and \\UXXXXXXXX "
                    + "(write \\\\ for a backslash, or use a 'literal string')",
                at: index)
        }
    }

    /// At a backslash followed by spaces or a line break in a multi-line basic string: checks
    /// that the line ends there, returns the offset of the next character that is neither.
    private mutating func skipLineEndingBackslash(at index: Int) throws(TOMLError) -> Int {
        var end = index + 1
        while ASCII.isSpace(text[end]) { end += 1 }
        guard text[end] == ASCII.lineFeed || (text[end] == ASCII.carriageReturn && text[end + 1] == ASCII.lineFeed)
        else {
            throw error(
                "a backslash followed by spaces must end the line (it joins the next line to this one); "
                    + "write \\\\ for a backslash",
                at: index)
        }
        while true {
            let byte = text[end]
            if ASCII.isSpace(byte) {
                end += 1
            } else if byte == ASCII.lineFeed {
                end += 1
                addLine(UInt32(end))
            } else if byte == ASCII.carriageReturn && text[end + 1] == ASCII.lineFeed {
                end += 2
                addLine(UInt32(end))
            } else {
                return end
            }
        }
    }

    // MARK: - Numbers and dates

    private mutating func parseNumberOrDate(into node: UInt32) throws(TOMLError) {
        let start = position
        var end = start
        while isValueWord(text[end]) { end += 1 }
        // A date, a space, then a time: one value.
        if end - start == 10 && text[start + 4] == ASCII.minus && text[end] == ASCII.space
            && ASCII.isDigit(text[end + 1])
            && ASCII.isDigit(text[end + 2]) && text[end + 3] == ASCII.colon
        {
            end += 1
            while isValueWord(text[end]) { end += 1 }
        }
        position = end
        nodes[Int(node)].payload = UInt64(end)
        let length = end - start
        if length >= 5 && ASCII.isDigit(text[start]) && ASCII.isDigit(text[start + 1]) && ASCII.isDigit(text[start + 2])
            && ASCII.isDigit(text[start + 3]) && text[start + 4] == ASCII.minus
        {
            nodes[Int(node)].kind = try checkDateTime(start: start, end: end)
        } else if length >= 3 && ASCII.isDigit(text[start]) && ASCII.isDigit(text[start + 1])
            && text[start + 2] == ASCII.colon
        {
            try checkTime(start: start, end: end, whole: start)
            nodes[Int(node)].kind = .localTime
        } else {
            try parseNumber(into: node, start: start, end: end)
        }
    }

    private func tokenText(_ start: Int, _ end: Int) -> String {
        String(decoding: UnsafeBufferPointer(start: text + start, count: end - start), as: UTF8.self)
    }

    private mutating func parseNumber(into node: UInt32, start: Int, end: Int) throws(TOMLError) {
        var token: String { tokenText(start, end) }
        var index = start
        let sign = text[index]
        let signed = sign == ASCII.plus || sign == ASCII.minus
        if signed { index += 1 }
        if end - index == 3
            && (text[index] == UInt8(ascii: "i") && text[index + 1] == UInt8(ascii: "n")
                && text[index + 2] == UInt8(ascii: "f")
                || text[index] == UInt8(ascii: "n") && text[index + 1] == UInt8(ascii: "a")
                    && text[index + 2] == UInt8(ascii: "n"))
        {
            var value = text[index] == UInt8(ascii: "i") ? Double.infinity : Double.nan
            if sign == ASCII.minus { value = -value }
            nodes[Int(node)].kind = .float
            nodes[Int(node)].payload = value.bitPattern
            return
        }
        guard index < end, ASCII.isDigit(text[index]) else {
            if index < end && text[index] == ASCII.dot {
                throw error(
                    "`\(token)` is not a number: a float needs a digit before the decimal point (0.5)", at: start)
            }
            if !signed && !ASCII.isDigit(text[index]) { throw invalidValue(start: start, end: end) }
            throw error("`\(token)` is not a number: expected digits after the sign", at: start)
        }
        if text[index] == UInt8(ascii: "0") && index + 1 < end {
            let radix: Int64
            switch text[index + 1] {
            case UInt8(ascii: "x"): radix = 16
            case UInt8(ascii: "o"): radix = 8
            case UInt8(ascii: "b"): radix = 2
            default: radix = 0
            }
            if radix != 0 {
                if signed {
                    throw error(
                        "`\(token)` is not a number: hexadecimal, octal and binary integers cannot have a sign",
                        at: start)
                }
                nodes[Int(node)].kind = .integer
                nodes[Int(node)].payload = UInt64(
                    bitPattern: try radixInteger(start: start, digitsStart: index + 2, end: end, radix: radix))
                return
            }
        }
        let integerStart = index
        index = try digitRun(from: index, start: start, end: end)
        if text[integerStart] == UInt8(ascii: "0") && index - integerStart > 1 {
            throw error(
                "`\(token)`: a number must not have leading zeros (write \(leadingZerosHint(token)))", at: start)
        }
        var isFloat = false
        if index < end && text[index] == ASCII.dot {
            isFloat = true
            guard index + 1 < end, ASCII.isDigit(text[index + 1]) else {
                throw error("`\(token)` is not a number: a decimal point must be followed by digits", at: start)
            }
            index = try digitRun(from: index + 1, start: start, end: end)
        }
        if index < end && (text[index] | 0x20) == UInt8(ascii: "e") {
            isFloat = true
            index += 1
            if index < end && (text[index] == ASCII.plus || text[index] == ASCII.minus) { index += 1 }
            guard index < end, ASCII.isDigit(text[index]) else {
                throw error("`\(token)` is not a number: the exponent after `e` needs digits", at: start)
            }
            index = try digitRun(from: index, start: start, end: end)
        }
        guard index == end else {
            if text[index] == ASCII.colon || text[index] == ASCII.minus {
                throw error(
                    "`\(token)` is neither a number nor a date or time (dates are YYYY-MM-DD, times HH:MM:SS)",
                    at: start)
            }
            throw error("`\(token)` is not a number", at: start)
        }
        if isFloat {
            var digits = ""
            digits.reserveCapacity(end - start)
            for offset in start..<end where text[offset] != ASCII.underscore {
                digits.unicodeScalars.append(Unicode.Scalar(text[offset]))
            }
            guard let value = Double(digits) else {
                throw error("`\(token)` is not a number", at: start)
            }
            nodes[Int(node)].kind = .float
            nodes[Int(node)].payload = value.bitPattern
            return
        }
        // Accumulated as a negative number, which reaches Int64.min.
        var value: Int64 = 0
        for offset in integerStart..<end where text[offset] != ASCII.underscore {
            let (times, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (next, overflow2) = times.subtractingReportingOverflow(Int64(text[offset] &- 0x30))
            if overflow1 || overflow2 { throw outOfRange(token, at: start) }
            value = next
        }
        if sign != ASCII.minus {
            let (positive, overflow) = Int64(0).subtractingReportingOverflow(value)
            if overflow { throw outOfRange(token, at: start) }
            value = positive
        }
        nodes[Int(node)].kind = .integer
        nodes[Int(node)].payload = UInt64(bitPattern: value)
    }

    private func leadingZerosHint(_ token: String) -> String {
        var digits = Substring(token)
        var sign = ""
        if let first = digits.first, first == "+" || first == "-" {
            sign = String(first)
            digits = digits.dropFirst()
        }
        let trimmed = digits.drop { $0 == "0" || $0 == "_" }
        if trimmed.isEmpty || trimmed.first == "." || trimmed.first == "e" || trimmed.first == "E" {
            return "\(sign)0\(trimmed)"
        }
        return "\(sign)\(trimmed), or quote it if it is text"
    }

    private func outOfRange(_ token: String, at offset: Int) -> TOMLError {
        error(
            "the integer \(token) is out of range: TOML integers are 64-bit, from -9223372036854775808 to "
                + "9223372036854775807",
            at: offset)
    }

    /// Digits, single underscores between digits; returns the offset after them.
    private func digitRun(from first: Int, start: Int, end: Int) throws(TOMLError) -> Int {
        var token: String { tokenText(start, end) }
        var index = first
        guard index < end, ASCII.isDigit(text[index]) else {
            throw error("`\(token)` is not a number", at: start)
        }
        index += 1
        while index < end {
            let byte = text[index]
            if ASCII.isDigit(byte) {
                index += 1
            } else if byte == ASCII.underscore {
                guard index + 1 < end, ASCII.isDigit(text[index + 1]) else {
                    throw error("`\(token)`: an underscore in a number must be between two digits", at: start)
                }
                index += 2
            } else {
                break
            }
        }
        return index
    }

    private func radixInteger(start: Int, digitsStart: Int, end: Int, radix: Int64) throws(TOMLError) -> Int64 {
        var token: String { tokenText(start, end) }
        let name = radix == 16 ? "hexadecimal" : radix == 8 ? "octal" : "binary"
        guard digitsStart < end else { throw error("`\(token)` is not a number: expected \(name) digits", at: start) }
        var value: Int64 = 0
        var previousWasDigit = false
        for index in digitsStart..<end {
            let byte = text[index]
            if byte == ASCII.underscore {
                guard previousWasDigit, index + 1 < end, Int64(ASCII.hexValue(text[index + 1])) < radix else {
                    throw error("`\(token)`: an underscore in a number must be between two digits", at: start)
                }
                previousWasDigit = false
                continue
            }
            let digit = ASCII.hexValue(byte)
            guard Int64(digit) < radix else {
                throw error(
                    "`\(token)` is not a number: `\(Character(Unicode.Scalar(byte)))` is not a \(name) digit", at: start
                )
            }
            let (times, overflow1) = value.multipliedReportingOverflow(by: radix)
            let (next, overflow2) = times.addingReportingOverflow(Int64(digit))
            if overflow1 || overflow2 { throw outOfRange(token, at: start) }
            value = next
            previousWasDigit = true
        }
        return value
    }

    /// Two digits at `index` (before `end`), or nil.
    private func twoDigits(_ index: Int, _ end: Int) -> Int? {
        guard index + 1 < end, ASCII.isDigit(text[index]), ASCII.isDigit(text[index + 1]) else { return nil }
        return Int(text[index] &- 0x30) * 10 + Int(text[index + 1] &- 0x30)
    }

    private func checkDateTime(start: Int, end: Int) throws(TOMLError) -> NodeKind {
        var token: String { tokenText(start, end) }
        let year =
            Int(text[start] &- 0x30) * 1000 + Int(text[start + 1] &- 0x30) * 100
            + Int(text[start + 2] &- 0x30) * 10 + Int(text[start + 3] &- 0x30)
        guard let month = twoDigits(start + 5, end), start + 7 < end, text[start + 7] == ASCII.minus,
            let day = twoDigits(start + 8, end)
        else {
            throw error("`\(token)` is not a valid date: dates are written YYYY-MM-DD, like 1979-05-27", at: start)
        }
        guard (1...12).contains(month) else {
            throw error("`\(token)` is not a valid date: the month must be from 01 to 12", at: start)
        }
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
        guard day >= 1 && day <= days else {
            throw error("`\(token)` is not a valid date: that month has days 01 to \(days)", at: start)
        }
        if end == start + 10 { return .localDate }
        let separator = text[start + 10]
        guard separator == UInt8(ascii: "T") || separator == UInt8(ascii: "t") || separator == ASCII.space else {
            throw error(
                "`\(token)` is not a valid date-time: expected `T` or a space and a time HH:MM:SS after the date",
                at: start)
        }
        var index = try checkTime(start: start + 11, end: end, whole: start)
        if index == end { return .localDateTime }
        let offset = text[index]
        if offset == UInt8(ascii: "Z") || offset == UInt8(ascii: "z") {
            index += 1
        } else if offset == ASCII.plus || offset == ASCII.minus {
            guard let hours = twoDigits(index + 1, end), index + 3 < end, text[index + 3] == ASCII.colon,
                let minutes = twoDigits(index + 4, end)
            else {
                throw error(
                    "`\(token)` is not a valid date-time: a UTC offset is written Z, +HH:MM or -HH:MM", at: start)
            }
            guard hours <= 23 && minutes <= 59 else {
                throw error("`\(token)` is not a valid date-time: the UTC offset is out of range", at: start)
            }
            index += 6
        }
        guard index == end else {
            throw error(
                "`\(token)` is not a valid date-time: unexpected text after the time (an offset is Z, +HH:MM or "
                    + "-HH:MM)",
                at: start)
        }
        return .offsetDateTime
    }

    /// A time HH:MM:SS[.fraction] from `start`; returns the offset after it.
    @discardableResult
    private func checkTime(start: Int, end: Int, whole: Int) throws(TOMLError) -> Int {
        var token: String { tokenText(whole, end) }
        guard let hour = twoDigits(start, end), start + 2 < end, text[start + 2] == ASCII.colon,
            let minute = twoDigits(start + 3, end)
        else {
            throw error("`\(token)` is not a valid time: times are written HH:MM:SS, like 07:32:00", at: whole)
        }
        guard start + 5 < end, text[start + 5] == ASCII.colon, let second = twoDigits(start + 6, end) else {
            throw error(
                "`\(token)` is not a valid time: TOML 1.0 requires the seconds (HH:MM:SS, like 07:32:00)", at: whole)
        }
        guard hour <= 23, minute <= 59, second <= 60 else {
            throw error("`\(token)` is not a valid time: hours go to 23, minutes to 59, seconds to 60", at: whole)
        }
        var index = start + 8
        if index < end && text[index] == ASCII.dot {
            index += 1
            guard index < end, ASCII.isDigit(text[index]) else {
                throw error("`\(token)` is not a valid time: a decimal point must be followed by digits", at: whole)
            }
            while index < end && ASCII.isDigit(text[index]) { index += 1 }
        }
        if whole == start && index != end {
            throw error("`\(token)` is not a valid time: unexpected text after HH:MM:SS", at: whole)
        }
        return index
    }

    // MARK: - UTF-8 and errors

    /// The length of the valid UTF-8 sequence at `index` (whose first byte is ≥ 0x80).
    @inline(__always) private func utf8Length(at index: Int) throws(TOMLError) -> Int {
        let length = sequenceLength(at: index)
        if length == 0 { throw invalidUTF8(at: index) }
        return length
    }

    /// The length of a valid multi-byte UTF-8 sequence at `index`, or 0.
    private func sequenceLength(at index: Int) -> Int {
        let first = text[index]
        @inline(__always) func continuation(_ offset: Int) -> Bool { text[index + offset] & 0xC0 == 0x80 }
        switch first {
        case 0xC2...0xDF:
            return continuation(1) ? 2 : 0
        case 0xE0:
            return text[index + 1] & 0xE0 == 0xA0 && continuation(2) ? 3 : 0
        case 0xED:
            return text[index + 1] & 0xE0 == 0x80 && continuation(2) ? 3 : 0
        case 0xE1...0xEF:
            return continuation(1) && continuation(2) ? 3 : 0
        case 0xF0:
            return (0x90...0xBF).contains(text[index + 1]) && continuation(2) && continuation(3) ? 4 : 0
        case 0xF1...0xF3:
            return continuation(1) && continuation(2) && continuation(3) ? 4 : 0
        case 0xF4:
            return text[index + 1] & 0xF0 == 0x80 && continuation(2) && continuation(3) ? 4 : 0
        default:
            return 0
        }
    }

    private func invalidUTF8(at index: Int) -> TOMLError {
        error(
            "invalid UTF-8 (byte 0x\(hexText(UInt32(text[index]), digits: 2))): a TOML file must be UTF-8 text",
            at: index)
    }

    /// The character at `index` if it is a valid UTF-8 sequence.
    private func scalarText(at index: Int) -> String? {
        let length = text[index] < 0x80 ? 1 : sequenceLength(at: index)
        guard length > 0 else { return nil }
        return String(decoding: UnsafeBufferPointer(start: text + index, count: length), as: UTF8.self)
    }

    /// "expected X, found Y", or the encoding or control character problem at `index`.
    private func unexpected(at index: Int, expected: String) -> TOMLError {
        let byte = text[index]
        let found: String
        switch byte {
        case 0 where index == count:
            found = "the end of the file"
        case ASCII.lineFeed, ASCII.carriageReturn:
            found = "the end of the line"
        case ASCII.tab:
            found = "a tab"
        case ASCII.space:
            found = "a space"
        case _ where byte >= 0x80:
            guard let scalar = scalarText(at: index) else { return invalidUTF8(at: index) }
            found = "`\(scalar)`"
        case _ where ASCII.isControl(byte):
            return error("\(controlCharacterName(byte)) is not allowed in a TOML file outside strings", at: index)
        default:
            found = "`\(Character(Unicode.Scalar(byte)))`"
        }
        return error("expected \(expected), found \(found)", at: index)
    }

    private func controlCharacterName(_ byte: UInt8) -> String {
        let names: [UInt8: String] = [
            0: " (NUL)", 0x08: " (backspace)", 0x0B: " (vertical tab)", 0x0C: " (form feed)",
            0x1B: " (escape)", 0x7F: " (delete)",
        ]
        return "control character U+\(hex4(byte))\(names[byte] ?? "")"
    }

    private func hex4(_ byte: UInt8) -> String { hexText(UInt32(byte), digits: 4) }

    private func hexText(_ value: UInt32, digits: Int) -> String {
        let text = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, digits - text.count)) + text
    }

    /// The line an offset is on (for messages about earlier definitions).
    private func line(of offset: UInt32) -> Int { lineAndColumn(of: Int(offset)).line }

    private func lineAndColumn(of offset: Int) -> (line: Int, column: Int) {
        var line = 1
        var lineStart = bodyStart
        var index = bodyStart
        while index < offset {
            if text[index] == ASCII.lineFeed {
                line += 1
                lineStart = index + 1
            }
            index += 1
        }
        var column = 1
        for index in lineStart..<max(lineStart, offset) where text[index] & 0xC0 != 0x80 { column += 1 }
        return (line, column)
    }

    private func error(_ message: String, at offset: Int) -> TOMLError {
        let (line, column) = lineAndColumn(of: offset)
        return TOMLError(line: line, column: column, message: message)
    }
}
