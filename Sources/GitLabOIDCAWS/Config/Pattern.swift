import Glibc

/// A claim pattern from the mapping file: `*` matches any run of characters except `/`,
/// `**` (a run of two or more `*`) matches any run including `/`, and every other character
/// (`.`, `?`, `[` too) is literal. A pattern always matches the whole claim value.
///
/// A pattern is its source text; `matches(source:value:)` is the one matcher, used both on
/// `Pattern` values and straight on the bytes of the mapping file's document (the hook
/// matches without building patterns). `pieces` gives the structure to the analyses.
public struct Pattern: Hashable, Sendable, CustomStringConvertible {
    /// One piece of a pattern.
    public enum Piece: Hashable, Sendable {
        case literal([UInt8])
        /// `*`: any run of bytes without `/`.
        case segmentWildcard
        /// `**`: any run of bytes.
        case anyWildcard
    }

    /// The pattern as written in the mapping file. Every string is a valid pattern.
    public let source: String

    public init(_ source: String) {
        self.source = source
    }

    public var description: String { source }

    /// The pieces, in order: literals, and wildcards where a run of one `*` is `*`, a run of
    /// two or more `**`; a wildcard run never follows another (`*` next to `**` adds nothing).
    public var pieces: [Piece] {
        var pieces: [Piece] = []
        var literal: [UInt8] = []
        var run = 0
        func flushRun() {
            guard run > 0 else { return }
            pieces.append(run == 1 ? .segmentWildcard : .anyWildcard)
            run = 0
        }
        for byte in source.utf8 {
            if byte == Pattern.star {
                if !literal.isEmpty {
                    pieces.append(.literal(literal))
                    literal = []
                }
                run += 1
            } else {
                flushRun()
                literal.append(byte)
            }
        }
        flushRun()
        if !literal.isEmpty { pieces.append(.literal(literal)) }
        return pieces
    }

    /// True when the pattern has no wildcard.
    public var isLiteral: Bool { !source.utf8.contains(Pattern.star) }

    /// True when the pattern matches every value (`**`).
    public var matchesEverything: Bool { source.utf8.count >= 2 && source.utf8.allSatisfy { $0 == Pattern.star } }

    /// The bytes before the first wildcard: every value the pattern matches starts with them.
    public var literalPrefix: Substring.UTF8View {
        let utf8 = source.utf8
        return source[..<(utf8.firstIndex(of: Pattern.star) ?? utf8.endIndex)].utf8
    }

    /// Whether `value` matches the whole pattern.
    public func matches(_ value: String) -> Bool {
        var value = value
        return value.withUTF8 { matches(bytes: $0) }
    }

    /// Whether the UTF-8 `bytes` match the whole pattern.
    public func matches(bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var source = source
        return source.withUTF8 { Pattern.matches(source: $0, value: bytes) }
    }

    static let star = UInt8(ascii: "*")

    /// Whether `count` bytes at `left` and `right` are equal (no bytes are always equal).
    @inline(__always) static func equal(_ left: UnsafePointer<UInt8>?, _ right: UnsafePointer<UInt8>?, _ count: Int)
        -> Bool
    {
        guard count > 0, let left, let right else { return true }
        return memcmp(left, right, count) == 0
    }

    /// Whether `value` matches the pattern whose source text (as written in the mapping file)
    /// is `source`, both UTF-8: the matcher. Allocates nothing for values up to a few
    /// kilobytes, and runs in O(pattern length × value length) at worst, with no recursion,
    /// so hostile patterns or claims cannot make it slow.
    public static func matches(source: UnsafeBufferPointer<UInt8>, value: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let firstStar = source.firstIndex(of: star) else {
            return source.count == value.count && equal(source.baseAddress, value.baseAddress, source.count)
        }
        guard firstStar <= value.count, equal(source.baseAddress, value.baseAddress, firstStar) else { return false }
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
                    let literal = source.baseAddress.map { $0 + index }
                    let length = end - index
                    var any = false
                    // Backwards, so that reachable[start] is read before it is overwritten.
                    for stop in stride(from: count, through: 0, by: -1) {
                        let start = stop - length
                        let matched =
                            start >= 0 && reachable[start] && equal(literal, value.baseAddress.map { $0 + start }, length)
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
