/// A claim pattern from the mapping file: `*` matches any run of characters except `/`,
/// `**` matches any run including `/`, and every other character (`.` and `?` too) is literal.
/// A pattern always matches the whole claim value.
public struct Pattern: Hashable, Sendable, CustomStringConvertible {
    /// One piece of a compiled pattern.
    public enum Piece: Hashable, Sendable {
        case literal([UInt8])
        /// `*`: any run of bytes without `/`.
        case segmentWildcard
        /// `**`: any run of bytes.
        case anyWildcard
    }

    /// The pattern as written in the mapping file.
    public let source: String
    /// The compiled pieces; adjacent wildcards are merged.
    public let pieces: [Piece]

    /// Compiles `source`. Every string is a valid pattern.
    public init(_ source: String) {
        self.source = source
        var pieces: [Piece] = []
        var literal: [UInt8] = []
        let bytes = Array(source.utf8)
        var index = 0
        func flushLiteral() {
            if !literal.isEmpty { pieces.append(.literal(literal)); literal = [] }
        }
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "*") {
                flushLiteral()
                let isDouble = index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "*")
                index += isDouble ? 2 : 1
                let piece: Piece = isDouble ? .anyWildcard : .segmentWildcard
                // `*` next to `**` adds nothing: keep the broader one.
                if let last = pieces.last, last == .anyWildcard || last == .segmentWildcard {
                    if last == .segmentWildcard { pieces[pieces.count - 1] = piece }
                    continue
                }
                pieces.append(piece)
            } else {
                literal.append(bytes[index])
                index += 1
            }
        }
        flushLiteral()
        self.pieces = pieces
    }

    public var description: String { source }

    /// True when the pattern has no wildcard.
    public var isLiteral: Bool { pieces.allSatisfy { if case .literal = $0 { true } else { false } } }

    /// True when the pattern matches every value (`**`).
    public var matchesEverything: Bool { pieces == [.anyWildcard] }

    /// Whether `value` matches the whole pattern.
    ///
    /// Runs in O(pattern pieces × value length) at worst, with no recursion, so hostile
    /// patterns or claims cannot make it slow.
    public func matches(_ value: String) -> Bool {
        var value = value
        return value.withUTF8 { matches(bytes: $0) }
    }

    /// Whether the UTF-8 `bytes` match the whole pattern.
    public func matches(bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var source = source
        return source.withUTF8 { Pattern.matches(source: $0, value: bytes) }
    }

    /// Whether `value` matches the pattern whose source text (as written in the mapping file)
    /// is `source`, both UTF-8. Works on the source directly, so the compiled mapping can
    /// match patterns without building a `Pattern`; allocates nothing for values up to a few
    /// kilobytes.
    ///
    /// A run of one `*` is a segment wildcard, a run of two or more is `**` (a `*` next to
    /// `**` adds nothing). Runs in O(pattern length × value length) at worst, with no
    /// recursion, so hostile patterns or claims cannot make it slow.
    public static func matches(source: UnsafeBufferPointer<UInt8>, value: UnsafeBufferPointer<UInt8>) -> Bool {
        let star = UInt8(ascii: "*")
        guard let firstStar = source.firstIndex(of: star) else {
            return source.count == value.count && source.elementsEqual(value)
        }
        guard firstStar <= value.count, source[..<firstStar].elementsEqual(value[..<firstStar]) else { return false }
        let count = value.count
        return withUnsafeTemporaryAllocation(of: Bool.self, capacity: count + 1) { reachable in
            // reachable[i]: the pattern so far can consume exactly value[0..<i].
            reachable.initialize(repeating: false)
            reachable[firstStar] = true
            var index = firstStar
            while index < source.count {
                var end = index
                if source[index] == star {
                    while end < source.count && source[end] == star { end += 1 }
                    let crossesSlashes = end - index >= 2
                    var open = false
                    for position in 0...count {
                        if reachable[position] { open = true }
                        if open { reachable[position] = true }
                        if !crossesSlashes && position < count && value[position] == UInt8(ascii: "/") { open = false }
                    }
                } else {
                    while end < source.count && source[end] != star { end += 1 }
                    let literal = source[index..<end]
                    var any = false
                    // Backwards, so that reachable[start] is read before it is overwritten.
                    for stop in stride(from: count, through: 0, by: -1) {
                        let start = stop - literal.count
                        let matched = start >= 0 && reachable[start] && literal.elementsEqual(value[start..<stop])
                        reachable[stop] = matched
                        any = any || matched
                    }
                    if !any { return false }
                }
                index = end
            }
            return reachable[count]
        }
    }
}
