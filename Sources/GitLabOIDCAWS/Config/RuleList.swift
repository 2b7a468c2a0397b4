import Glibc
import TOML

/// The rules of a mapping, in file order.
///
/// A mapping loaded from a file keeps its rules in the parsed document, validated but not
/// built: a rule becomes a `Rule` value when it is read (`self[n]`), and the hook matches a
/// token's claims straight against the document (`RuleMatcher.select`), building only the
/// rules it selects. Commands that look at every rule many times (`check`) read them once
/// into an array. A mapping built in code holds `Rule` values; changing a list (tests do)
/// makes it hold values too.
public struct RuleList: RandomAccessCollection, MutableCollection, Equatable, Sendable, ExpressibleByArrayLiteral {
    enum Storage: Sendable {
        case values([Rule])
        case document(RuleDocument)
    }

    private(set) var storage: Storage

    public init(_ rules: [Rule]) {
        storage = .values(rules)
    }

    public init() {
        storage = .values([])
    }

    public init(arrayLiteral rules: Rule...) {
        storage = .values(rules)
    }

    init(document: RuleDocument) {
        storage = .document(document)
    }

    public typealias Indices = Range<Int>

    public var startIndex: Int { 0 }

    public var endIndex: Int {
        switch storage {
        case let .values(rules): return rules.count
        case let .document(document): return document.references.count
        }
    }

    /// Rule `position + 1`.
    public subscript(position: Int) -> Rule {
        get {
            switch storage {
            case let .values(rules): return rules[position]
            case let .document(document): return document.rule(at: position)
            }
        }
        set {
            var rules = Array(self)
            rules[position] = newValue
            storage = .values(rules)
        }
    }

    /// Inserts `rule` before position `index`.
    public mutating func insert(_ rule: Rule, at index: Int) {
        var rules = Array(self)
        rules.insert(rule, at: index)
        storage = .values(rules)
    }

    public static func == (left: RuleList, right: RuleList) -> Bool {
        left.count == right.count && left.elementsEqual(right)
    }
}

/// The rules of a loaded mapping file: the document's `rule` array, and where each validated
/// rule and its `match` table stand in it.
struct RuleDocument: Sendable {
    let rules: TOMLArray
    let references: [RuleReference]

    /// The rule at `position`, built from the document.
    func rule(at position: Int) -> Rule {
        guard let table = rules[references[position].rule].table else {
            preconditionFailure("rule \(position + 1) was validated as a table")
        }
        return RuleDecoder.rule(table, number: position + 1)
    }

    /// `RuleMatcher.select` on the document: each rule's conditions tested on the bytes of
    /// its patterns, no rule built but the ones selected (and, when none matches, the closest).
    func select(claims: Claims, continuingPast: (Rule) -> Bool) -> RuleSelection {
        let cache = ClaimCache(claims: claims)
        var position = 0
        while position < references.count {
            defer { position += 1 }
            guard matches(references[position], cache) else { continue }
            let first = rule(at: position)
            var later: [Rule] = []
            if continuingPast(first) {
                for next in position + 1..<references.count where matches(references[next], cache) {
                    later.append(rule(at: next))
                }
            }
            return .matched(first: first, later: later)
        }
        return .none(closest: closestMiss(cache))
    }

    func match(_ reference: RuleReference) -> TOMLTable? {
        rules[reference.rule].table?[reference.match].value.table
    }

    func matches(_ reference: RuleReference, _ cache: ClaimCache) -> Bool {
        guard let match = match(reference) else { return false }
        for condition in match where !cache.holds(condition) { return false }
        return true
    }

    /// `RuleMatcher.closestMiss` on the document.
    func closestMiss(_ cache: ClaimCache) -> RuleMiss? {
        var best: (position: Int, satisfied: Int, failed: Int)?
        for (position, reference) in references.enumerated() where !reference.skips {
            guard let match = match(reference) else { continue }
            var satisfied = 0
            var failed = -1
            var index = 0
            for condition in match {
                if cache.holds(condition) {
                    satisfied += 1
                } else if failed < 0 {
                    failed = index
                }
                index += 1
            }
            if failed >= 0, satisfied > (best?.satisfied ?? -1) { best = (position, satisfied, failed) }
        }
        guard let best else { return nil }
        let rule = rule(at: best.position)
        let condition = rule.conditions[best.failed]
        return RuleMiss(
            rule: rule, condition: condition, actual: cache.claims.string(condition.claim), satisfied: best.satisfied)
    }
}

/// The token's claims as bytes, looked up by the bytes of a `match` key: the first few dozen
/// claim names a mapping uses are kept, in memory of the cache's own (no reference counting
/// per condition), so that most conditions cost one short comparison.
final class ClaimCache {
    let claims: Claims
    /// Slots in use.
    private var count = 0
    private static let capacity = 64
    /// Per slot: the claim's name and value (nil base address: the token lacks the claim).
    private let names: UnsafeMutablePointer<UnsafeMutableBufferPointer<UInt8>>
    private let values: UnsafeMutablePointer<UnsafeMutableBufferPointer<UInt8>>
    private let present: UnsafeMutablePointer<Bool>

    init(claims: Claims) {
        self.claims = claims
        names = .allocate(capacity: ClaimCache.capacity)
        values = .allocate(capacity: ClaimCache.capacity)
        present = .allocate(capacity: ClaimCache.capacity)
    }

    deinit {
        for slot in 0..<count {
            names[slot].deallocate()
            values[slot].deallocate()
        }
        names.deallocate()
        values.deallocate()
        present.deallocate()
    }

    /// Whether the claim named by `condition`'s key matches one of its patterns.
    func holds(_ condition: TOMLTable.Entry) -> Bool {
        let patterns = condition.value
        let cached = condition.withKeyUTF8 { slot(for: $0) }
        if cached >= 0 {
            guard present[cached] else { return false }
            return ClaimCache.matches(patterns, UnsafeBufferPointer(values[cached]))
        }
        let found: String? = condition.withKeyUTF8 { claims.string(String(decoding: $0, as: UTF8.self)) }
        guard var value = found else { return false }
        return value.withUTF8 { ClaimCache.matches(patterns, $0) }
    }

    /// The cache slot of a claim name, added when new; -1 when the cache is full.
    private func slot(for name: UnsafeBufferPointer<UInt8>) -> Int {
        for slot in 0..<count where names[slot].count == name.count {
            if name.isEmpty || memcmp(names[slot].baseAddress!, name.baseAddress!, name.count) == 0 { return slot }
        }
        guard count < ClaimCache.capacity else { return -1 }
        let slot = count
        var value = claims.string(String(decoding: name, as: UTF8.self))
        (present + slot).initialize(to: value != nil)
        (names + slot).initialize(to: ClaimCache.copy(name))
        (values + slot).initialize(to: value?.withUTF8(ClaimCache.copy) ?? ClaimCache.copy(UnsafeBufferPointer(start: nil, count: 0)))
        count += 1
        return slot
    }

    /// `bytes` in memory of their own (at least one byte, so that there is an address).
    private static func copy(_ bytes: UnsafeBufferPointer<UInt8>) -> UnsafeMutableBufferPointer<UInt8> {
        let memory = UnsafeMutablePointer<UInt8>.allocate(capacity: max(bytes.count, 1))
        if let base = bytes.baseAddress { memory.initialize(from: base, count: bytes.count) }
        return UnsafeMutableBufferPointer(start: memory, count: bytes.count)
    }

    /// Whether `claim` matches the pattern `value`, or one of the list `value`.
    static func matches(_ value: TOMLValue, _ claim: UnsafeBufferPointer<UInt8>) -> Bool {
        if let array = value.array { return array.contains { matchesScalar($0, claim) } }
        return matchesScalar(value, claim)
    }

    /// Strings are patterns; integers and booleans are compared with the claim's string form.
    static func matchesScalar(_ value: TOMLValue, _ claim: UnsafeBufferPointer<UInt8>) -> Bool {
        switch value.kind {
        case .string:
            return value.withUTF8 { Pattern.matches(source: $0, value: claim) } ?? false
        case .integer:
            return isDecimal(value.integer ?? 0, claim)
        case .boolean:
            let text: StaticString = value.boolean == true ? "true" : "false"
            return text.withUTF8Buffer { $0.elementsEqual(claim) }
        default:
            return false
        }
    }

    /// Whether `bytes` are `number` in decimal, as `String(number)` writes it.
    static func isDecimal(_ number: Int64, _ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var magnitude = number.magnitude
        var index = bytes.count
        repeat {
            index -= 1
            guard index >= 0, bytes[index] == 48 + UInt8(magnitude % 10) else { return false }
            magnitude /= 10
        } while magnitude > 0
        if number < 0 {
            index -= 1
            guard index >= 0, bytes[index] == UInt8(ascii: "-") else { return false }
        }
        return index == 0
    }
}
