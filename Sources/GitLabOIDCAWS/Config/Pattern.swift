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
        if pieces.count == 1, case let .literal(literal) = pieces[0] {
            return literal.count == bytes.count && literal.elementsEqual(bytes)
        }
        // reachable[i]: the pieces handled so far can consume exactly bytes[0..<i].
        var reachable = [Bool](repeating: false, count: bytes.count + 1)
        reachable[0] = true
        for piece in pieces {
            var next = [Bool](repeating: false, count: bytes.count + 1)
            switch piece {
            case let .literal(literal):
                var any = false
                for start in 0...bytes.count where reachable[start] {
                    let end = start + literal.count
                    if end <= bytes.count && literal.elementsEqual(bytes[start..<end]) {
                        next[end] = true
                        any = true
                    }
                }
                if !any { return false }
            case .segmentWildcard:
                var open = false
                for position in 0...bytes.count {
                    if reachable[position] { open = true }
                    if open { next[position] = true }
                    if position < bytes.count && bytes[position] == UInt8(ascii: "/") { open = false }
                }
            case .anyWildcard:
                guard let first = reachable.firstIndex(of: true) else { return false }
                for position in first...bytes.count { next[position] = true }
            }
            reachable = next
        }
        return reachable[bytes.count]
    }
}
