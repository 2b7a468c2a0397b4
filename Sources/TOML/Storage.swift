/// What a node of the arena holds (the public `TOMLValue.Kind`, one byte).
enum NodeKind: UInt8 {
    case string, integer, float, boolean, offsetDateTime, localDateTime, localDate, localTime, array, table
}

/// How a table or an array came to be.
enum NodeOrigin: UInt8 {
    /// The root table.
    case document
    /// A table defined by a `[header]`.
    case header
    /// One element of an array of tables, defined by its `[[header]]`.
    case arrayOfTablesElement
    /// A `{ ... }` table; sealed once closed.
    case inline
    /// A table created by a dotted key (`a.b = 1` creates `a`).
    case dottedKey
    /// A table created by a header path (`[a.b]` creates `a`), still open for its own header.
    case implicit
    /// An array written as `[ ... ]`; sealed.
    case staticArray
    /// An array made by `[[header]]` lines.
    case arrayOfTables
    /// A scalar.
    case none
}

/// One value of the document, with the key it has in its table if any.
///
/// All text is referenced by byte offsets into the retained source: the key's data (the key as
/// written, without quotes) unless it had escapes, in which case its decoded bytes are in
/// `DocumentStorage.keyBuffer`; a string's content (between its quotes), decoded on access.
/// Forty bytes per value.
struct Node {
    static let none = UInt32.max

    /// Offset of the key's first character (its opening quote if quoted); `none` without key.
    var keyOffset: UInt32
    /// Offset of the key's decoded bytes, in the source or (`Flags.keyInBuffer`) the key buffer.
    var keyData: UInt32
    var keyLength: UInt32
    /// Offset of the value's first character: a quote, a digit, `[`, `{`; for a table from a
    /// header the header's `[`; for a table created by a key path, that key.
    var valueOffset: UInt32
    /// Strings: content start. Numbers, booleans, date-times: the end of their text.
    /// Containers: first child while parsing, then the start of their children in `children`.
    var first: UInt32
    /// Strings: content end. Containers while parsing: last child.
    var second: UInt32
    /// Containers while parsing: the next sibling.
    var next: UInt32
    var kind: NodeKind
    var origin: NodeOrigin
    var flags: UInt8
    /// Levels below the root table.
    var depth: UInt8
    /// Integers: the value; floats: the bit pattern; booleans: 0 or 1; containers: the count.
    var scalar: UInt64

    enum Flags {
        static let keyInBuffer: UInt8 = 1
        /// A basic string with backslash escapes.
        static let escapes: UInt8 = 2
        /// A multi-line string with CRLF line breaks (read as LF).
        static let carriageReturns: UInt8 = 4
        /// A table whose keys are in the hash index.
        static let indexed: UInt8 = 8
    }
}

/// A hash index from (table, key) to node, for tables too large to search linearly.
///
/// Open addressing with linear probing over slots holding `(table + 1) << 32 | node`. Keys are
/// hashed with the standard library's `Hasher`, which is seeded at random per process: a file
/// cannot be crafted to make its keys collide.
struct KeyIndex: Sendable {
    private(set) var slots: [UInt64] = []
    private var used = 0

    static func hash(table: UInt32, key: UnsafeRawBufferPointer) -> Int {
        var hasher = Hasher()
        hasher.combine(table)
        hasher.combine(bytes: key)
        return hasher.finalize()
    }

    /// The node of `table` whose key `matches`, or `Node.none`.
    func find(table: UInt32, hash: Int, matches: (UInt32) -> Bool) -> UInt32 {
        guard !slots.isEmpty else { return Node.none }
        let mask = slots.count - 1
        let tag = UInt64(table) + 1
        var slot = hash & mask
        while true {
            let entry = slots[slot]
            if entry == 0 { return Node.none }
            if entry >> 32 == tag, matches(UInt32(truncatingIfNeeded: entry)) {
                return UInt32(truncatingIfNeeded: entry)
            }
            slot = (slot + 1) & mask
        }
    }

    /// Adds a node known not to be there; `rehash` gives the hash of a slot's (table, node) when
    /// the index grows.
    mutating func insert(table: UInt32, node: UInt32, hash: Int, rehash: (UInt32, UInt32) -> Int) {
        if (used + 1) * 2 > slots.count {
            let old = slots
            slots = [UInt64](repeating: 0, count: Swift.max(64, old.count * 2))
            for entry in old where entry != 0 {
                let oldTable = UInt32(truncatingIfNeeded: (entry >> 32) - 1)
                let oldNode = UInt32(truncatingIfNeeded: entry)
                place(entry, hash: rehash(oldTable, oldNode))
            }
        }
        place((UInt64(table) + 1) << 32 | UInt64(node), hash: hash)
        used += 1
    }

    private mutating func place(_ entry: UInt64, hash: Int) {
        let mask = slots.count - 1
        var slot = hash & mask
        while slots[slot] != 0 { slot = (slot + 1) & mask }
        slots[slot] = entry
    }
}

/// Everything a parsed document consists of; shared, immutable, by all its views.
final class DocumentStorage: Sendable {
    /// Tables with more entries than this are searched through `index`.
    static let linearSearchLimit = 12

    /// The input, followed by `Parser.padding` zero bytes.
    let source: [UInt8]
    /// The input's length.
    let sourceCount: Int
    let nodes: [Node]
    /// Children of every container, each container's contiguous (`Node.first`, `Node.scalar`).
    let children: [UInt32]
    let keyBuffer: [UInt8]
    /// Offsets at which lines start (the first after a byte order mark).
    let lineStarts: [UInt32]
    let index: KeyIndex

    init(
        source: [UInt8], sourceCount: Int, nodes: [Node], children: [UInt32], keyBuffer: [UInt8],
        lineStarts: [UInt32], index: KeyIndex
    ) {
        self.source = source
        self.sourceCount = sourceCount
        self.nodes = nodes
        self.children = children
        self.keyBuffer = keyBuffer
        self.lineStarts = lineStarts
        self.index = index
    }

    /// Line and column (in Unicode scalars) of a byte offset.
    func position(of offset: UInt32) -> TOMLPosition {
        var low = 0
        var high = lineStarts.count
        while high - low > 1 {
            let middle = (low + high) / 2
            if lineStarts[middle] <= offset { low = middle } else { high = middle }
        }
        var column = 1
        var index = Int(lineStarts[low])
        while index < Int(offset) {
            if source[index] & 0xC0 != 0x80 { column += 1 }
            index += 1
        }
        return TOMLPosition(line: low + 1, column: column)
    }

    func withKeyBytes<R>(of node: UInt32, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        let entry = nodes[Int(node)]
        let buffer = entry.flags & Node.Flags.keyInBuffer != 0 ? keyBuffer : source
        return try buffer.withUnsafeBufferPointer {
            try body(UnsafeBufferPointer(rebasing: $0[Int(entry.keyData)..<Int(entry.keyData + entry.keyLength)]))
        }
    }

    /// The child of `table` with this key, or `Node.none`.
    func child(of table: UInt32, key: UnsafeBufferPointer<UInt8>) -> UInt32 {
        let container = nodes[Int(table)]
        if container.flags & Node.Flags.indexed != 0 {
            let hash = KeyIndex.hash(table: table, key: UnsafeRawBufferPointer(key))
            return index.find(table: table, hash: hash) { candidate in
                withKeyBytes(of: candidate) { $0.elementsEqual(key) }
            }
        }
        let start = Int(container.first)
        for slot in start..<start + Int(container.scalar) {
            let candidate = children[slot]
            if nodes[Int(candidate)].keyLength == UInt32(key.count),
                withKeyBytes(of: candidate, { $0.elementsEqual(key) })
            {
                return candidate
            }
        }
        return Node.none
    }
}
