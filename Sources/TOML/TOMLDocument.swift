/// A parsed TOML 1.0 document: the source bytes it was read from and every value in it.
///
/// ```swift
/// let document = try TOMLDocument(parsing: Array(text.utf8))
/// for entry in document.root {
///     print(entry.key, entry.keyPosition, entry.value.kind)
/// }
/// let issuer = document.root["issuer"]?.string
/// ```
///
/// Design: one pass over a copy of the bytes (followed by zero padding, which ends every scan
/// without bounds checks; `TOMLSource` saves the copy) builds a flat arena of 32-byte nodes,
/// one per value, implicit tables included, each with an 8-byte link (next sibling, key
/// signature). Keys and strings are not copied: a node refers to their bytes in the retained
/// source, and strings are decoded when read (`TOMLValue.string`, `TOMLValue.withUTF8`).
/// Duplicate keys are found by comparing key signatures (length and first three bytes) in
/// small tables and through a hash index, seeded at random per process, in tables of more
/// than a dozen keys, so parsing is linear in the input whatever it holds. The parser never
/// recurses; values nest at most `TOMLDocument.maximumDepth` levels. Every node keeps its
/// line; columns are counted when asked for, back to the line feed before (on lines longer
/// than 4 KiB, from a checkpoint recorded while parsing), so that no query costs more than
/// that.
///
/// The document is immutable and `Sendable`; its views (`TOMLTable`, `TOMLArray`,
/// `TOMLValue`) keep it alive.
public struct TOMLDocument: Sendable {
    /// The deepest a value may be nested: tables (by headers, dotted keys or braces) and arrays
    /// together, counted from the root table. Deeper documents are refused with a `TOMLError`.
    public static let maximumDepth = 128

    /// The largest input accepted, in bytes (offsets are 32-bit).
    public static let maximumSize = Int(UInt32.max) - 1024

    let storage: DocumentStorage

    /// Parses UTF-8 bytes as a TOML 1.0 document. A leading byte order mark is skipped.
    public init(parsing bytes: [UInt8]) throws(TOMLError) {
        storage = try bytes.withUnsafeBufferPointer { (buffer) throws(TOMLError) in
            try Parser.parse(UnsafeRawBufferPointer(buffer))
        }
    }

    /// Parses UTF-8 bytes as a TOML 1.0 document. A leading byte order mark is skipped.
    public init(parsing bytes: UnsafeRawBufferPointer) throws(TOMLError) {
        storage = try Parser.parse(bytes)
    }

    /// Parses the bytes of `source` as a TOML 1.0 document, keeping them without a copy (see
    /// `TOMLSource`). A leading byte order mark is skipped.
    public init(parsing source: TOMLSource) throws(TOMLError) {
        storage = try Parser.parse(source.buffer)
    }

    /// The document's top-level table.
    public var root: TOMLTable { TOMLTable(storage: storage, node: 0) }

    /// The source bytes the document was parsed from.
    public var source: [UInt8] { Array(UnsafeBufferPointer(start: storage.text, count: storage.source.count)) }
}

/// Bytes to parse, in a buffer that a `TOMLDocument` keeps as its source without copying it:
/// read a file straight into it.
///
/// ```swift
/// var source = TOMLSource(count: size)
/// let read = source.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
/// let document = try TOMLDocument(parsing: source)
/// ```
///
/// A value type: writing to a source that a document holds first copies it.
public struct TOMLSource: Sendable {
    var buffer: SourceBuffer

    /// `count` zero bytes.
    public init(count: Int) {
        precondition(count >= 0 && count <= TOMLDocument.maximumSize, "a TOML source of \(count) bytes")
        buffer = SourceBuffer(count: count, padding: Parser.padding)
    }

    /// The number of bytes.
    public var count: Int { buffer.count }

    /// Calls `body` with the bytes to fill or change.
    public mutating func withUnsafeMutableBytes<Result>(
        _ body: (UnsafeMutableRawBufferPointer) throws -> Result
    ) rethrows -> Result {
        if !isKnownUniquelyReferenced(&buffer) {
            let copy = SourceBuffer(count: buffer.count, padding: Parser.padding)
            copy.bytes.update(from: buffer.bytes, count: buffer.count)
            buffer = copy
        }
        return try body(UnsafeMutableRawBufferPointer(start: buffer.bytes, count: buffer.count))
    }
}

/// A line and column in the source, both from 1; columns count Unicode scalars, a tab as one.
public struct TOMLPosition: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let line: Int
    public let column: Int

    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    public static func < (left: TOMLPosition, right: TOMLPosition) -> Bool {
        (left.line, left.column) < (right.line, right.column)
    }

    /// `LINE:COLUMN`.
    public var description: String { "\(line):\(column)" }
}

/// One value of a document (a view; it keeps the document alive).
///
/// The accessors are `@inlinable`: a loader that walks a large document pays neither a call
/// nor reference counting per value.
public struct TOMLValue: Sendable {
    /// The type of a value.
    public enum Kind: Sendable, Hashable {
        case string, integer, float, boolean
        /// `1979-05-27T07:32:00Z`, `1979-05-27 07:32:00.5-07:00`.
        case offsetDateTime
        /// `1979-05-27T07:32:00`.
        case localDateTime
        /// `1979-05-27`.
        case localDate
        /// `07:32:00`.
        case localTime
        case array, table
    }

    @usableFromInline let storage: DocumentStorage
    @usableFromInline let node: UInt32

    @inlinable init(storage: DocumentStorage, node: UInt32) {
        self.storage = storage
        self.node = node
    }

    @inlinable var entry: Node { storage.nodes[Int(node)] }

    @inlinable public var kind: Kind {
        switch entry.kind {
        case .string: .string
        case .integer: .integer
        case .float: .float
        case .boolean: .boolean
        case .offsetDateTime: .offsetDateTime
        case .localDateTime: .localDateTime
        case .localDate: .localDate
        case .localTime: .localTime
        case .array: .array
        case .table: .table
        }
    }

    /// Where the value starts: its first character; for a table defined by a `[header]` or
    /// `[[header]]`, that header's `[`; for a table created by a dotted key or a header path,
    /// the key that created it (see `TOMLTable.origin`).
    @inlinable public var position: TOMLPosition {
        let entry = self.entry
        return storage.position(of: entry.valueOffset, line: entry.line)
    }

    /// The line where the value starts (`position.line`, without counting the column).
    @inlinable public var line: Int { Int(entry.line) }

    /// The value of a string, decoded (escapes resolved, CRLF line breaks read as LF).
    @inlinable public var string: String? {
        withUTF8 { String(decoding: $0, as: UTF8.self) }
    }

    /// Calls `body` with the UTF-8 bytes of a string value, without copying them when the
    /// string has no escapes; `nil` for other kinds.
    @inlinable
    public func withUTF8<Result>(_ body: (UnsafeBufferPointer<UInt8>) throws -> Result) rethrows -> Result? {
        let entry = self.entry
        guard entry.kind == .string else { return nil }
        if entry.flags & (Node.Flags.escapes | Node.Flags.carriageReturns) == 0 {
            return try withExtendedLifetime(storage) {
                try body(UnsafeBufferPointer(start: storage.text + Int(entry.low), count: Int(entry.high - entry.low)))
            }
        }
        return try decodedString().withUnsafeBufferPointer(body)
    }

    /// The value of a string with escapes or CRLF line breaks.
    @usableFromInline func decodedString() -> [UInt8] {
        let entry = self.entry
        let content = UnsafeBufferPointer(start: storage.text + Int(entry.low), count: Int(entry.high - entry.low))
        var decoded: [UInt8] = []
        decoded.reserveCapacity(content.count)
        StringDecoding.decode(content, escapes: entry.flags & Node.Flags.escapes != 0, into: &decoded)
        return decoded
    }

    /// The value of an integer.
    @inlinable public var integer: Int64? {
        let entry = self.entry
        return entry.kind == .integer ? Int64(bitPattern: entry.payload) : nil
    }

    /// The value of a float (`inf`, `-inf` and `nan` included).
    @inlinable public var float: Double? {
        let entry = self.entry
        return entry.kind == .float ? Double(bitPattern: entry.payload) : nil
    }

    /// The value of a boolean.
    @inlinable public var boolean: Bool? {
        let entry = self.entry
        return entry.kind == .boolean ? entry.payload != 0 : nil
    }

    /// The components of any of the four date and time kinds.
    public var dateTime: TOMLDateTime? {
        let entry = self.entry
        switch entry.kind {
        case .offsetDateTime, .localDateTime, .localDate, .localTime:
            return TOMLDateTime(
                validated: UnsafeBufferPointer(
                    start: storage.text + Int(entry.valueOffset), count: Int(entry.low - entry.valueOffset)))
        default:
            return nil
        }
    }

    /// The value as an array.
    @inlinable public var array: TOMLArray? {
        entry.kind == .array ? TOMLArray(storage: storage, node: node) : nil
    }

    /// The value as a table.
    @inlinable public var table: TOMLTable? {
        entry.kind == .table ? TOMLTable(storage: storage, node: node) : nil
    }
}

/// A position in a `TOMLTable` or `TOMLArray`: one of its entries, in document order.
public struct TOMLIndex: Sendable, Hashable, Comparable {
    /// The entry's node; siblings are created in document order, so their nodes ascend.
    @usableFromInline let node: UInt32

    @inlinable init(node: UInt32) { self.node = node }

    @inlinable public static func < (left: TOMLIndex, right: TOMLIndex) -> Bool { left.node < right.node }
}

/// A table: its entries in document order, and lookup by key.
///
/// A collection of `Entry` (iterate it, or use `count`, `first`, `map`...; its indices are
/// `TOMLIndex`). Lookup by key is a linear search in tables of up to a dozen keys and a hash
/// lookup in larger ones.
public struct TOMLTable: Sendable, Collection {
    /// How a table came to be, for messages that say where it was defined.
    public enum Origin: Sendable, Hashable {
        /// The document's top-level table.
        case document
        /// A `[header]`; the table's position is the header's `[`.
        case header
        /// One element of an array of tables; the position is its own `[[header]]`'s `[`.
        case arrayOfTablesElement
        /// A `{ ... }` value; the position is its `{`.
        case inline
        /// Created by a dotted key (`a.b = 1` creates the table `a`); the position is that key.
        case dottedKey
        /// Created by a header path (`[a.b]` creates `a`) and never given its own header; the
        /// position is where the path first named it.
        case implicit
    }

    /// One key and its value.
    public struct Entry: Sendable {
        @usableFromInline let storage: DocumentStorage
        @usableFromInline let node: UInt32

        @inlinable init(storage: DocumentStorage, node: UInt32) {
            self.storage = storage
            self.node = node
        }

        /// The key, decoded (for a dotted key, this table's component of it).
        @inlinable public var key: String {
            withKeyUTF8 { String(decoding: $0, as: UTF8.self) }
        }

        /// Calls `body` with the key's UTF-8 bytes, without copying them.
        @inlinable
        public func withKeyUTF8<Result>(_ body: (UnsafeBufferPointer<UInt8>) throws -> Result) rethrows -> Result {
            try withExtendedLifetime(storage) { try body(storage.keyBytes(of: node)) }
        }

        /// Whether the key is `key`, compared byte for byte without decoding or allocating.
        @inlinable public func hasKey(_ key: StaticString) -> Bool {
            withKeyUTF8 { bytes in key.withUTF8Buffer { bytes.elementsEqual($0) } }
        }

        /// Where the key is written: its first character, or opening quote. For a table from a
        /// header, the last key of that header; for an array of tables, of its first header.
        @inlinable public var keyPosition: TOMLPosition {
            let entry = storage.nodes[Int(node)]
            return storage.position(of: entry.keyOffset, line: entry.line)
        }

        /// The line of the key (`keyPosition.line`, without counting the column). A key and the
        /// start of its value are always on one line.
        @inlinable public var line: Int { Int(storage.nodes[Int(node)].line) }

        @inlinable public var value: TOMLValue { TOMLValue(storage: storage, node: node) }
    }

    @usableFromInline let storage: DocumentStorage
    @usableFromInline let node: UInt32

    @inlinable init(storage: DocumentStorage, node: UInt32) {
        self.storage = storage
        self.node = node
    }

    public var origin: Origin {
        switch storage.nodes[Int(node)].origin {
        case .header: .header
        case .arrayOfTablesElement: .arrayOfTablesElement
        case .inline: .inline
        case .dottedKey: .dottedKey
        case .implicit: .implicit
        default: .document
        }
    }

    /// See `TOMLValue.position`; line 1, column 1 for the root table.
    public var position: TOMLPosition { node == 0 ? TOMLPosition(line: 1, column: 1) : value.position }

    /// The table as a value.
    @inlinable public var value: TOMLValue { TOMLValue(storage: storage, node: node) }

    @inlinable public var startIndex: TOMLIndex { TOMLIndex(node: storage.nodes[Int(node)].low) }
    @inlinable public var endIndex: TOMLIndex { TOMLIndex(node: Node.none) }
    @inlinable public func index(after index: TOMLIndex) -> TOMLIndex { storage.index(after: index) }
    /// The number of entries (without walking them).
    @inlinable public var count: Int { Int(storage.nodes[Int(node)].count) }

    @inlinable public subscript(position: TOMLIndex) -> Entry {
        precondition(storage.isChild(position.node, of: node), "the index is not one of this table's")
        return Entry(storage: storage, node: position.node)
    }

    /// The entry with this key, or `nil`.
    public func entry(forKey key: String) -> Entry? {
        var key = key
        let child = key.withUTF8 { storage.child(of: node, key: $0) }
        return child == Node.none ? nil : Entry(storage: storage, node: child)
    }

    /// The value of the entry with this key, or `nil`.
    public subscript(key: String) -> TOMLValue? { entry(forKey: key)?.value }
}

/// An array: its values in order.
///
/// A collection of `TOMLValue` (iterate it, or use `count`, `first`, `map`...; its indices are
/// `TOMLIndex`).
public struct TOMLArray: Sendable, Collection {
    @usableFromInline let storage: DocumentStorage
    @usableFromInline let node: UInt32

    @inlinable init(storage: DocumentStorage, node: UInt32) {
        self.storage = storage
        self.node = node
    }

    /// `true` for an array made by `[[header]]` lines, `false` for one written as `[ ... ]`.
    public var isArrayOfTables: Bool { storage.nodes[Int(node)].origin == .arrayOfTables }

    /// Where the array starts: its `[`, or the first `[[header]]`'s `[`.
    public var position: TOMLPosition { value.position }

    /// The array as a value.
    @inlinable public var value: TOMLValue { TOMLValue(storage: storage, node: node) }

    @inlinable public var startIndex: TOMLIndex { TOMLIndex(node: storage.nodes[Int(node)].low) }
    @inlinable public var endIndex: TOMLIndex { TOMLIndex(node: Node.none) }
    @inlinable public func index(after index: TOMLIndex) -> TOMLIndex { storage.index(after: index) }
    /// The number of elements (without walking them).
    @inlinable public var count: Int { Int(storage.nodes[Int(node)].count) }

    @inlinable public subscript(position: TOMLIndex) -> TOMLValue {
        precondition(storage.isChild(position.node, of: node), "the index is not one of this array's")
        return TOMLValue(storage: storage, node: position.node)
    }
}

/// A date, a time, or both, with an optional UTC offset, as written in the document.
///
/// The four TOML kinds: offset date-time (all parts), local date-time (no offset), local date
/// (only `date`), local time (only `time`). Fractions of a second beyond nanoseconds are
/// truncated in `nanosecond`; `text` keeps every digit.
public struct TOMLDateTime: Sendable, Hashable, CustomStringConvertible {
    /// A calendar date.
    public struct LocalDate: Sendable, Hashable {
        public let year: Int
        public let month: Int
        public let day: Int

        public init(year: Int, month: Int, day: Int) {
            self.year = year
            self.month = month
            self.day = day
        }
    }

    /// A time of day. `second` may be 60 (a leap second).
    public struct LocalTime: Sendable, Hashable {
        public let hour: Int
        public let minute: Int
        public let second: Int
        public let nanosecond: Int

        public init(hour: Int, minute: Int, second: Int, nanosecond: Int) {
            self.hour = hour
            self.minute = minute
            self.second = second
            self.nanosecond = nanosecond
        }
    }

    public let date: LocalDate?
    public let time: LocalTime?
    /// Minutes east of UTC (`Z` is 0, `-07:00` is -420); `nil` for local kinds.
    public let offsetMinutes: Int?
    /// The value as written in the document.
    public let text: String

    public var description: String { text }

    /// Reads text that the parser has validated.
    init(validated text: UnsafeBufferPointer<UInt8>) {
        func number(_ start: Int, _ count: Int) -> Int {
            var value = 0
            for index in start..<start + count { value = value * 10 + Int(text[index] &- 0x30) }
            return value
        }
        self.text = String(decoding: text, as: UTF8.self)
        var timeStart = 0
        if text.count >= 10, text[4] == UInt8(ascii: "-") {
            date = LocalDate(year: number(0, 4), month: number(5, 2), day: number(8, 2))
            timeStart = 11
        } else {
            date = nil
        }
        guard text.count > timeStart else {
            time = nil
            offsetMinutes = nil
            return
        }
        var index = timeStart + 8
        var nanosecond = 0
        if index < text.count, text[index] == UInt8(ascii: ".") {
            index += 1
            var digits = 0
            while index < text.count, text[index] &- 0x30 < 10 {
                if digits < 9 { nanosecond = nanosecond * 10 + Int(text[index] &- 0x30) }
                digits += 1
                index += 1
            }
            for _ in digits..<max(digits, 9) { nanosecond *= 10 }
        }
        time = LocalTime(
            hour: number(timeStart, 2), minute: number(timeStart + 3, 2), second: number(timeStart + 6, 2),
            nanosecond: nanosecond)
        if index < text.count {
            switch text[index] {
            case UInt8(ascii: "+"): offsetMinutes = number(index + 1, 2) * 60 + number(index + 4, 2)
            case UInt8(ascii: "-"): offsetMinutes = -(number(index + 1, 2) * 60 + number(index + 4, 2))
            default: offsetMinutes = 0
            }
        } else {
            offsetMinutes = nil
        }
    }
}
