import Glibc

/// What a node of the arena holds (the public `TOMLValue.Kind`, one byte).
@usableFromInline enum NodeKind: UInt8 {
    case string, integer, float, boolean, offsetDateTime, localDateTime, localDate, localTime, array, table
}

/// How a table or an array came to be.
@usableFromInline enum NodeOrigin: UInt8 {
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

/// One value of the document, with the key it has in its table if any. Thirty-two bytes.
///
/// Text is referenced by byte offsets into the retained source. A key's bytes are those after
/// `keyOffset` (after its opening quote if quoted), `keyLength` of them; a quoted key with
/// escapes has its decoded bytes in the key buffer instead (`Flags.keyInBuffer`,
/// `DocumentStorage.escapedKeys`). A string's content is between its quotes, decoded on access.
@usableFromInline struct Node {
    @usableFromInline static let none = UInt32.max

    /// Offset of the key's first character (its opening quote if quoted); `none` without key.
    @usableFromInline var keyOffset: UInt32
    /// The length of the decoded key.
    @usableFromInline var keyLength: UInt32
    /// Offset of the value's first character: a quote, a digit, `[`, `{`; for a table from a
    /// header the header's `[`; for a table created by a key path, that key.
    @usableFromInline var valueOffset: UInt32
    /// The line of the value and of the key, from 1 (a key and its value always start on the
    /// same line: a header is one line, `=` and the start of the value follow the key on its).
    @usableFromInline var line: UInt32
    /// Containers: how many children.
    @usableFromInline var count: UInt32
    @usableFromInline var kind: NodeKind
    @usableFromInline var origin: NodeOrigin
    @usableFromInline var flags: UInt8
    /// Levels below the root table.
    @usableFromInline var depth: UInt8
    /// Integers: the value. Floats: the bit pattern. Booleans: 0 or 1. Strings: content start
    /// (low 32 bits) and end (high 32 bits). Date-times: the end of their text (low 32 bits).
    /// Containers: first and last child (`Node.none` when empty).
    @usableFromInline var payload: UInt64

    @inlinable var low: UInt32 {
        get { UInt32(truncatingIfNeeded: payload) }
        set { payload = payload & 0xFFFF_FFFF_0000_0000 | UInt64(newValue) }
    }

    @inlinable var high: UInt32 {
        get { UInt32(truncatingIfNeeded: payload >> 32) }
        set { payload = payload & 0xFFFF_FFFF | UInt64(newValue) << 32 }
    }

    @usableFromInline enum Flags {
        /// A quoted key with escapes: its decoded bytes are in the key buffer.
        @usableFromInline static let keyInBuffer: UInt8 = 1
        /// A basic string with backslash escapes.
        @usableFromInline static let escapes: UInt8 = 2
        /// A multi-line string with CRLF line breaks (read as LF).
        @usableFromInline static let carriageReturns: UInt8 = 4
        /// A table whose keys are in the hash index.
        static let indexed: UInt8 = 8
    }
}

/// What is kept per node besides the node: the next sibling, and a signature of the key (its
/// length and first three bytes) that tells most keys apart in one comparison. Eight bytes.
@usableFromInline struct Link {
    /// The next sibling, or `Node.none`.
    @usableFromInline var next: UInt32
    @usableFromInline var signature: UInt32

    /// The signature of a key: its length (at most 255) in the top byte, then its first three
    /// bytes (fewer if shorter). Equal keys have equal signatures; equal signatures of keys of at
    /// most three bytes mean equal keys.
    static func signature(of key: UnsafeBufferPointer<UInt8>) -> UInt32 {
        var word: UInt32 = 0
        for index in 0..<Swift.min(key.count, 3) { word |= UInt32(key[index]) << (8 * index) }
        return word | UInt32(Swift.min(key.count, 255)) << 24
    }

    /// The same for a key in the source, reading a whole word (the padding covers the bytes
    /// after the input).
    @inline(__always) static func signature(ofKeyAt key: UnsafePointer<UInt8>, length: Int) -> UInt32 {
        let word = UInt32(littleEndian: UnsafeRawPointer(key).loadUnaligned(as: UInt32.self))
        let kept: UInt32 = length >= 3 ? 0x00FF_FFFF : (UInt32(1) << (8 * UInt32(length))) &- 1
        return word & kept | UInt32(Swift.min(length, 255)) << 24
    }
}

/// Memory for the large buffers of a document (the source, the node arena): from a megabyte
/// on, pages mapped from the kernel, which come zeroed, and faulted in ahead of use in one
/// call (`MADV_POPULATE_WRITE`) instead of one page fault per page as they are first written
/// (a page fault costs about a microsecond, a tenth of the time to parse a page's worth of
/// TOML). From 4 MB on, the kernel is also asked for 2 MB pages (`MADV_HUGEPAGE`; the
/// system's transparent huge page setting decides), which halves the cost of faulting in a
/// 100,000-rule mapping. Smaller buffers come from `malloc`.
enum PageMemory {
    static let threshold = 256 << 10
    static let hugeThreshold = 4 << 20

    /// `bytes` bytes, zeroed, the first `populated` of them faulted in; nil below `threshold`
    /// or when the kernel refuses the mapping (the caller then uses `malloc`).
    static func allocate(bytes: Int, populated: Int) -> UnsafeMutableRawPointer? {
        guard bytes >= threshold else { return nil }
        let mapped = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
        guard let mapped, mapped != MAP_FAILED else { return nil }
        if bytes >= hugeThreshold { _ = madvise(mapped, bytes, MADV_HUGEPAGE) }
        // MADV_POPULATE_WRITE (Linux 5.14); on older kernels the pages fault in as they are used.
        _ = madvise(mapped, Swift.min(populated, bytes), 23)
        return mapped
    }

    static func deallocate(_ pointer: UnsafeMutableRawPointer, bytes: Int) {
        munmap(pointer, bytes)
    }
}

/// The memory of the node arena: nodes and their links, grown by doubling; freed with this
/// object.
///
/// The parser writes through the pointers (cached, refreshed after `grow`); once parsing is
/// done the arena is only read, which makes sharing it between threads safe.
final class NodeArena: @unchecked Sendable {
    private(set) var nodes: UnsafeMutablePointer<Node>
    private(set) var links: UnsafeMutablePointer<Link>
    private(set) var capacity: Int
    /// Whether `nodes` and `links` are `PageMemory` (else `malloc`ed).
    private var mapped: Bool

    /// Room for `capacity` nodes, of which about `expected` are faulted in ahead.
    init(capacity: Int, expected: Int = 0) {
        self.capacity = Swift.max(capacity, 16)
        (nodes, links, mapped) = NodeArena.allocate(capacity: self.capacity, expected: expected)
    }

    private static func allocate(capacity: Int, expected: Int) -> (
        UnsafeMutablePointer<Node>, UnsafeMutablePointer<Link>, Bool
    ) {
        let nodeBytes = capacity * MemoryLayout<Node>.stride
        let linkBytes = capacity * MemoryLayout<Link>.stride
        if let nodes = PageMemory.allocate(bytes: nodeBytes, populated: expected * MemoryLayout<Node>.stride) {
            if let links = PageMemory.allocate(bytes: linkBytes, populated: expected * MemoryLayout<Link>.stride) {
                return (
                    nodes.bindMemory(to: Node.self, capacity: capacity),
                    links.bindMemory(to: Link.self, capacity: capacity), true
                )
            }
            PageMemory.deallocate(nodes, bytes: nodeBytes)
        }
        return (.allocate(capacity: capacity), .allocate(capacity: capacity), false)
    }

    private static func deallocate(
        _ nodes: UnsafeMutablePointer<Node>, _ links: UnsafeMutablePointer<Link>, capacity: Int, mapped: Bool
    ) {
        if mapped {
            PageMemory.deallocate(UnsafeMutableRawPointer(nodes), bytes: capacity * MemoryLayout<Node>.stride)
            PageMemory.deallocate(UnsafeMutableRawPointer(links), bytes: capacity * MemoryLayout<Link>.stride)
        } else {
            nodes.deallocate()
            links.deallocate()
        }
    }

    deinit {
        NodeArena.deallocate(nodes, links, capacity: capacity, mapped: mapped)
    }

    /// Doubles the capacity, keeping the first `count` nodes and links.
    func grow(keeping count: Int) {
        let (largerNodes, largerLinks, largerMapped) = NodeArena.allocate(capacity: capacity * 2, expected: count)
        largerNodes.moveInitialize(from: nodes, count: count)
        largerLinks.moveInitialize(from: links, count: count)
        NodeArena.deallocate(nodes, links, capacity: capacity, mapped: mapped)
        nodes = largerNodes
        links = largerLinks
        mapped = largerMapped
        capacity *= 2
    }
}

/// A hash index from (table, key) to node, for tables too large to search linearly.
///
/// Open addressing with linear probing. Each slot keeps the key's hash, so growing never reads
/// the keys and a probe compares keys only when hashes match. Keys are hashed with the
/// standard library's `Hasher`, which is seeded at random per process: a file cannot be
/// crafted to make its keys collide.
struct KeyIndex: Sendable {
    struct Slot {
        var hash: Int
        /// The table plus one (0 marks a free slot).
        var tag: UInt32
        var node: UInt32
    }

    private(set) var slots: [Slot] = []
    private var used = 0

    static func hash(table: UInt32, key: UnsafeBufferPointer<UInt8>) -> Int {
        var hasher = Hasher()
        hasher.combine(table)
        hasher.combine(bytes: UnsafeRawBufferPointer(key))
        return hasher.finalize()
    }

    /// The node of `table` whose key has `hash` and `matches`, or `Node.none`.
    func find(table: UInt32, hash: Int, matches: (UInt32) -> Bool) -> UInt32 {
        let (node, _) = probe(table: table, hash: hash, matches: matches)
        return node
    }

    /// `find`, and when the key is not there, the free slot where it would go (-1 if none).
    func probe(table: UInt32, hash: Int, matches: (UInt32) -> Bool) -> (node: UInt32, freeSlot: Int) {
        guard !slots.isEmpty else { return (Node.none, -1) }
        let mask = slots.count - 1
        var index = hash & mask
        while true {
            let slot = slots[index]
            if slot.tag == 0 { return (Node.none, index) }
            if slot.hash == hash && slot.tag == table &+ 1 && matches(slot.node) { return (slot.node, -1) }
            index = (index + 1) & mask
        }
    }

    /// Adds a node known not to be there; `freeSlot`, from a `probe` for it since the last
    /// insertion, saves probing again.
    mutating func insert(table: UInt32, node: UInt32, hash: Int, freeSlot: Int = -1) {
        let slot = Slot(hash: hash, tag: table &+ 1, node: node)
        used += 1
        if used * 2 > slots.count {
            let old = slots
            slots = [Slot](repeating: Slot(hash: 0, tag: 0, node: 0), count: Swift.max(64, old.count * 2))
            for slot in old where slot.tag != 0 { place(slot) }
            place(slot)
        } else if freeSlot >= 0 {
            slots[freeSlot] = slot
        } else {
            place(slot)
        }
    }

    private mutating func place(_ slot: Slot) {
        let mask = slots.count - 1
        var index = slot.hash & mask
        while slots[index].tag != 0 { index = (index + 1) & mask }
        slots[index] = slot
    }
}

/// The retained source: the input and `Parser.padding` zero bytes, in one allocation that
/// lives as long as this object (so pointers into it stay valid while a view holds it). Only a
/// `TOMLSource` that references it alone writes to it.
@usableFromInline final class SourceBuffer: @unchecked Sendable {
    let bytes: UnsafeMutablePointer<UInt8>
    let count: Int
    /// The `PageMemory` size when the bytes are mapped pages, else 0 (`malloc`ed).
    private let mappedBytes: Int

    /// `count` zero bytes, and the padding.
    init(count: Int, padding: Int) {
        self.count = count
        if let mapped = PageMemory.allocate(bytes: count + padding, populated: count + padding) {
            bytes = mapped.bindMemory(to: UInt8.self, capacity: count + padding)
            mappedBytes = count + padding
        } else {
            bytes = .allocate(capacity: count + padding)
            bytes.initialize(repeating: 0, count: count + padding)
            mappedBytes = 0
        }
    }

    convenience init(copying input: UnsafeRawBufferPointer, padding: Int) {
        self.init(count: input.count, padding: padding)
        if let base = input.baseAddress {
            UnsafeMutableRawPointer(bytes).copyMemory(from: base, byteCount: count)
        }
    }

    deinit {
        if mappedBytes > 0 {
            PageMemory.deallocate(UnsafeMutableRawPointer(bytes), bytes: mappedBytes)
        } else {
            bytes.deallocate()
        }
    }
}

/// Everything a parsed document consists of; shared, immutable, by all its views (hence
/// `@unchecked Sendable`: the pointers point into `source`, `arena` and `keys`, which nothing
/// writes any more).
@usableFromInline final class DocumentStorage: @unchecked Sendable {
    /// Tables with more entries than this are searched through `index`.
    static let linearSearchLimit = 12

    let source: SourceBuffer
    @usableFromInline let text: UnsafePointer<UInt8>
    let arena: NodeArena
    @usableFromInline let nodes: UnsafePointer<Node>
    @usableFromInline let links: UnsafePointer<Link>
    @usableFromInline let nodeCount: Int
    /// The decoded bytes of keys with escapes.
    let keys: SourceBuffer
    /// For each node whose key is in `keys`: where its bytes start there.
    let escapedKeys: [UInt32: UInt32]
    /// Where line 1 starts: after a byte order mark, if any.
    @usableFromInline let bodyStart: Int
    /// On lines longer than `columnCheckpointSpacing`, every that many bytes: the offset (high
    /// 32 bits) and its column (low 32 bits), ascending.
    @usableFromInline let checkpoints: [UInt64]

    /// See `checkpoints`.
    @usableFromInline static let columnCheckpointSpacing: UInt32 = 4096
    let index: KeyIndex

    init(
        source: SourceBuffer, arena: NodeArena, nodeCount: Int, keyBuffer: [UInt8], escapedKeys: [UInt32: UInt32],
        bodyStart: Int, checkpoints: [UInt64], index: KeyIndex
    ) {
        self.source = source
        text = UnsafePointer(source.bytes)
        self.arena = arena
        nodes = UnsafePointer(arena.nodes)
        links = UnsafePointer(arena.links)
        self.nodeCount = nodeCount
        keys = keyBuffer.withUnsafeBytes { SourceBuffer(copying: $0, padding: 0) }
        self.escapedKeys = escapedKeys
        self.bodyStart = bodyStart
        self.checkpoints = checkpoints
        self.index = index
    }

    /// Line and column (in Unicode scalars) of a byte offset on a known line: the characters
    /// back to the line's start are counted, at most `columnCheckpointSpacing` bytes of them
    /// (on a longer line, from the last checkpoint).
    @inlinable func position(of offset: UInt32, line: UInt32) -> TOMLPosition {
        let end = Int(offset)
        let limit = Swift.max(bodyStart, end - Int(DocumentStorage.columnCheckpointSpacing))
        var index = end
        var column = 1
        // Eight bytes at a time while none is a line feed: each byte but a UTF-8 continuation
        // byte (10xxxxxx) is a column.
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highBits: UInt64 = 0x8080_8080_8080_8080
        while index - 8 >= limit {
            let word = UInt64(littleEndian: UnsafeRawPointer(text + index - 8).loadUnaligned(as: UInt64.self))
            let lineFeeds = word ^ (ones &* 0x0A)
            if (lineFeeds &- ones) & ~lineFeeds & highBits != 0 { break }
            let continuations = word & highBits & ~(word << 1)
            column += 8 - continuations.nonzeroBitCount
            index -= 8
        }
        while index > limit {
            let byte = text[index - 1]
            if byte == 0x0A { return TOMLPosition(line: Int(line), column: column) }
            if byte & 0xC0 != 0x80 { column += 1 }
            index -= 1
        }
        if index == bodyStart || text[index - 1] == 0x0A { return TOMLPosition(line: Int(line), column: column) }
        (index, column) = checkpoint(before: offset)
        while index < end {
            if text[index] & 0xC0 != 0x80 { column += 1 }
            index += 1
        }
        return TOMLPosition(line: Int(line), column: column)
    }

    /// The last checkpoint at or before `offset`, on a line longer than the spacing.
    @usableFromInline func checkpoint(before offset: UInt32) -> (offset: Int, column: Int) {
        var low = 0
        var high = checkpoints.count
        while low < high {
            let middle = (low + high) / 2
            if checkpoints[middle] >> 32 <= UInt64(offset) { low = middle + 1 } else { high = middle }
        }
        let found = checkpoints[low - 1]
        return (Int(found >> 32), Int(found & 0xFFFF_FFFF))
    }

    /// The decoded key of a node (valid while this storage lives).
    @inlinable func keyBytes(of node: UInt32) -> UnsafeBufferPointer<UInt8> {
        let entry = nodes[Int(node)]
        if entry.flags & Node.Flags.keyInBuffer == 0 {
            let first = text[Int(entry.keyOffset)]
            // A quoted key starts after its quote: `"` or `'`.
            let start = Int(entry.keyOffset) + (first == 0x22 || first == 0x27 ? 1 : 0)
            return UnsafeBufferPointer(start: text + start, count: Int(entry.keyLength))
        }
        return escapedKeyBytes(of: node)
    }

    @usableFromInline func escapedKeyBytes(of node: UInt32) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: keys.bytes + Int(escapedKeys[node]!), count: Int(nodes[Int(node)].keyLength))
    }

    @inlinable func index(after index: TOMLIndex) -> TOMLIndex {
        precondition(Int(index.node) < nodeCount, "an index past the end")
        return TOMLIndex(node: links[Int(index.node)].next)
    }

    /// Whether `child` is a node in `container` (checked cheaply: a node of the document, at
    /// the depth of a child; enough that no index reads outside the document).
    @inlinable func isChild(_ child: UInt32, of container: UInt32) -> Bool {
        Int(child) < nodeCount && nodes[Int(child)].depth == nodes[Int(container)].depth &+ 1
    }

    /// The child of `table` with this key, or `Node.none`.
    func child(of table: UInt32, key: UnsafeBufferPointer<UInt8>) -> UInt32 {
        let container = nodes[Int(table)]
        if container.flags & Node.Flags.indexed != 0 {
            return index.find(table: table, hash: KeyIndex.hash(table: table, key: key)) { candidate in
                keyBytes(of: candidate).elementsEqual(key)
            }
        }
        var candidate = container.low
        while candidate != Node.none {
            if nodes[Int(candidate)].keyLength == UInt32(key.count), keyBytes(of: candidate).elementsEqual(key) {
                return candidate
            }
            candidate = links[Int(candidate)].next
        }
        return Node.none
    }
}
