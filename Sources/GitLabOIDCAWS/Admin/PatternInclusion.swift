/// Decides whether every value some patterns accept is also accepted by other patterns:
/// the question behind shadowed rules, instance-wide rules and trust policies broader than
/// the mapping.
///
/// Patterns are regular languages over bytes (`*` = `[^/]*`, `**` = `.*`), so inclusion is
/// decided exactly: every pattern list becomes a deterministic automaton by the subset
/// construction, and a breadth-first search over their product looks for a value accepted
/// on the left and refused on the right. Bytes that appear in no literal behave alike in
/// every pattern, so the search only tries each literal byte, `/`, and one other byte.
public enum PatternInclusion {
    /// The answer to "is the left side included in the right side?".
    public enum Answer: Equatable, Sendable {
        case included
        /// Not included; `witness` is a value accepted on the left and refused on the right
        /// (when found by the search, a shortest one).
        case notIncluded(witness: String)
        /// The search gave up (the automata grew beyond the state budget); treat as unknown.
        case undecided
    }

    /// Whether every value accepted by all of `lhs` (each inner list is an OR of patterns, the
    /// outer list an AND) is accepted by some pattern of `rhs`.
    ///
    /// An empty `lhs` accepts every value. With `pathShaped`, only values made of non-empty
    /// segments between single `/`s count on the left (`a/b`, never `/a`, `a//b` or `a/`):
    /// the shape of project paths and Git ref names.
    public static func check(
        _ lhs: [[Pattern]], in rhs: [Pattern], pathShaped: Bool = false, stateBudget: Int = 100_000
    ) -> Answer {
        if let answer = checkLiterals(lhs, in: rhs, pathShaped: pathShaped) { return answer }
        if let witness = quickWitness(lhs, in: rhs, pathShaped: pathShaped) { return .notIncluded(witness: witness) }
        let alphabet = Alphabet(patterns: lhs.flatMap { $0 } + rhs)
        var automata: [any StepAutomaton] = lhs.map { Automaton($0) }
        if pathShaped { automata.append(PathShape()) }
        let leftCount = automata.count
        automata.append(Automaton(rhs))

        // A product state is every automaton's state set, one after the other, each ended by -1.
        func components(_ state: [Int]) -> [ArraySlice<Int>] {
            state.split(separator: -1, omittingEmptySubsequences: false).dropLast()
        }
        // Breadth-first over the product; `parents` leads back from a state to the start.
        var states: [[Int]] = [automata.flatMap { $0.start + [-1] }]
        var parents: [(state: Int, byte: UInt8)] = [(-1, 0)]
        var seen: [[Int]: Int] = [states[0]: 0]
        var head = 0
        while head < states.count {
            let state = components(states[head])
            let leftAccepts = (0..<leftCount).allSatisfy { automata[$0].accepts(Array(state[$0])) }
            if leftAccepts && !automata[leftCount].accepts(Array(state[leftCount])) {
                var bytes: [UInt8] = []
                var current = head
                while parents[current].state >= 0 {
                    bytes.append(parents[current].byte)
                    current = parents[current].state
                }
                return .notIncluded(witness: String(decoding: bytes.reversed(), as: UTF8.self))
            }
            next: for byte in alphabet.bytes {
                var next: [Int] = []
                for (index, automaton) in automata.enumerated() {
                    let step = automaton.step(Array(state[index]), byte)
                    // A left automaton with no live state accepts nothing down this path.
                    if step.isEmpty && index < leftCount { continue next }
                    next += step
                    next.append(-1)
                }
                if seen[next] == nil {
                    if states.count >= stateBudget { return .undecided }
                    seen[next] = states.count
                    states.append(next)
                    parents.append((head, byte))
                }
            }
            head += 1
        }
        return .included
    }

    /// A value that settles the question at once, tried before any search: for each pattern
    /// on the left, its value with every wildcard empty, `x`, or (crossing a `/`) `x/x`.
    private static func quickWitness(_ lhs: [[Pattern]], in rhs: [Pattern], pathShaped: Bool) -> String? {
        guard let first = lhs.first else { return nil }
        let candidates = first.flatMap { [$0.shortestValue, $0.filled(with: "x"), $0.filled(with: "x/x")] }
        return candidates.first { value in
            lhs.allSatisfy { patterns in patterns.contains { $0.matches(value) } }
                && (!pathShaped || isPathShaped(value)) && !rhs.contains { $0.matches(value) }
        }
    }

    /// The answer without automata when the left side is a finite set of literal values.
    private static func checkLiterals(_ lhs: [[Pattern]], in rhs: [Pattern], pathShaped: Bool) -> Answer? {
        guard let first = lhs.first, first.allSatisfy(\.isLiteral) else { return nil }
        let values = first.map(\.source).filter { value in
            lhs.dropFirst().allSatisfy { patterns in patterns.contains { $0.matches(value) } }
                && (!pathShaped || isPathShaped(value))
        }
        let sorted = values.sorted { ($0.utf8.count, $0) < ($1.utf8.count, $1) }
        if let witness = sorted.first(where: { value in !rhs.contains { $0.matches(value) } }) {
            return .notIncluded(witness: witness)
        }
        return .included
    }

    static func isPathShaped(_ value: String) -> Bool {
        !value.isEmpty && value.split(separator: "/", omittingEmptySubsequences: false).allSatisfy { !$0.isEmpty }
    }

    /// True only when inclusion is proven; `undecided` counts as false.
    public static func isIncluded(_ lhs: [[Pattern]], in rhs: [Pattern], pathShaped: Bool = false) -> Bool {
        check(lhs, in: rhs, pathShaped: pathShaped) == .included
    }

    /// The bytes worth trying: one byte that no pattern names, `/`, and every literal byte.
    struct Alphabet {
        let bytes: [UInt8]

        init(patterns: [Pattern]) {
            var used = Set<UInt8>([UInt8(ascii: "/")])
            for pattern in patterns {
                for case let .literal(literal) in pattern.pieces { used.formUnion(literal) }
            }
            // A readable stand-in for "any other character", for witnesses people read.
            let preferred = Array("xyzqjkabcdefghilmnoprstuvw0123456789".utf8)
            let other = preferred.first(where: { !used.contains($0) })
                ?? (1...255).lazy.map({ UInt8($0) }).first(where: { !used.contains($0) })
            // The stand-in first: among the shortest witnesses, the search finds the most readable.
            bytes = (other.map { [$0] } ?? []) + used.sorted()
        }
    }

    /// An automaton run on sets of states (the subset construction, on the fly).
    protocol StepAutomaton {
        var start: [Int] { get }
        func step(_ states: [Int], _ byte: UInt8) -> [Int]
        func accepts(_ states: [Int]) -> Bool
    }

    /// Accepts values made of non-empty segments separated by single `/`s.
    /// State 0: at the start of a segment; state 1: inside one.
    struct PathShape: StepAutomaton {
        let start = [0]

        func step(_ states: [Int], _ byte: UInt8) -> [Int] {
            guard let state = states.first else { return [] }
            if byte != UInt8(ascii: "/") { return [1] }
            return state == 1 ? [0] : []
        }

        func accepts(_ states: [Int]) -> Bool { states == [1] }
    }

    /// The nondeterministic automaton of an OR of patterns, stepped by sets of states.
    ///
    /// Pattern `k` with `n` items (literal bytes and wildcards) owns states
    /// `offset[k] ... offset[k] + n`; state `offset[k] + i` means "the first `i` items are
    /// done", and `offset[k] + n` accepts.
    struct Automaton: StepAutomaton {
        enum Item {
            case byte(UInt8)
            case segment
            case any
        }

        private let items: [Item?]
        let start: [Int]

        init(_ patterns: [Pattern]) {
            var items: [Item?] = []
            var starts: [Int] = []
            for pattern in patterns {
                starts.append(items.count)
                for piece in pattern.pieces {
                    switch piece {
                    case let .literal(bytes): items += bytes.map { .byte($0) }
                    case .segmentWildcard: items.append(.segment)
                    case .anyWildcard: items.append(.any)
                    }
                }
                // The accepting state of this pattern: no item follows.
                items.append(nil)
            }
            self.items = items
            start = Automaton.closure(starts, items)
        }

        /// `states` plus every state reachable by letting wildcards match nothing.
        private static func closure(_ states: [Int], _ items: [Item?]) -> [Int] {
            var result = Set<Int>()
            for var state in states {
                while result.insert(state).inserted, let item = items[state], !item.isByte {
                    state += 1
                }
            }
            return result.sorted()
        }

        func step(_ states: [Int], _ byte: UInt8) -> [Int] {
            var next: [Int] = []
            for state in states {
                switch items[state] {
                case let .byte(expected)? where expected == byte: next.append(state + 1)
                case .segment? where byte != UInt8(ascii: "/"): next.append(state)
                case .any?: next.append(state)
                default: break
                }
            }
            return Automaton.closure(next, items)
        }

        func accepts(_ states: [Int]) -> Bool {
            states.contains { items[$0] == nil }
        }

    }
}

extension PatternInclusion.Automaton.Item {
    fileprivate var isByte: Bool {
        if case .byte = self { return true }
        return false
    }
}

extension Pattern {
    /// The same pattern with every wildcard crossing `/`: what IAM's `StringLike` `*` does.
    public var widened: Pattern {
        Pattern(
            pieces.map { piece -> String in
                switch piece {
                case let .literal(bytes): return String(decoding: bytes, as: UTF8.self)
                case .segmentWildcard, .anyWildcard: return "**"
                }
            }.joined())
    }

    /// The value the pattern accepts with every wildcard matching nothing.
    public var shortestValue: String { filled(with: "") }

    /// The pattern with every wildcard replaced by `text`.
    func filled(with text: String) -> String {
        pieces.map { piece -> String in
            if case let .literal(bytes) = piece { return String(decoding: bytes, as: UTF8.self) }
            return text
        }.joined()
    }

    /// True when the pattern has a `*` that stops at `/`.
    public var hasSegmentWildcard: Bool { pieces.contains(.segmentWildcard) }
}
