@_spi(Fuzzing) import GitLabOIDCAWS
import TOML

extension FuzzTargets {
    /// Mapping loading (`MappingLoader.parse`); a mapping that loads is then used the way the
    /// hook uses it: rules matched against a token's claims, session names rendered. Matching
    /// in the document (what the hook does) must agree with matching the rules built from it.
    public static func mapping(_ input: [UInt8]) {
        let lineCount = input.reduce(1) { $0 + ($1 == 0x0A ? 1 : 0) }
        if let document = try? TOMLDocument(parsing: input) {
            precondition(
                MappingLoader.quickPathAgreesWithFullCheck(document),
                "the loader's quick path accepted a rule its full check refuses or reads differently")
        }
        do {
            let loaded = try MappingLoader.parse(bytes: input, path: "fuzz.toml", rules: .document)
            let mapping = loaded.mapping
            precondition(!mapping.issuer.isEmpty, "a mapping without issuer loaded")
            precondition(mapping.retry.isWithinLimits, "retry settings out of their limits")
            let rules = Array(mapping.rules)
            for rule in rules {
                precondition(!rule.conditions.isEmpty, "\(rule.label) has no conditions")
                precondition(rule.conditions.allSatisfy { !$0.patterns.isEmpty }, "\(rule.label): a condition without patterns")
                guard let assumption = rule.assumption else { continue }
                for role in assumption.roles {
                    precondition(RoleARN(role.description) == role, "a role ARN does not round-trip")
                }
                for hop in assumption.chain {
                    precondition(hop.duration.map(ChainHop.durationLimits.contains) ?? true, "a hop duration out of range")
                    precondition(hop.tags.count <= ChainHop.maximumTags, "too many tags")
                }
                let settings = EffectiveSettings(assumption, of: rule, mapping: mapping)
                precondition(durationLimits.contains(settings.duration))
                precondition(AWSRegion.isValid(settings.region), "an invalid region loaded")
                precondition(settings.output != .webIdentity || assumption.chain.isEmpty, "a chain with web identity")
                _ = STS.endpoint(region: settings.region, fips: mapping.stsFIPS, override: mapping.stsEndpoint)
                checkSessionName(SessionName.render(settings.sessionNameTemplate, claims: sampleClaims))
            }
            for claims in [sampleClaims, otherClaims] {
                let inDocument = RuleMatcher.select(in: mapping.rules, claims: claims, continuingPast: { _ in true })
                let inValues = RuleMatcher.select(in: rules, claims: claims, continuingPast: { _ in true })
                precondition(inDocument == inValues, "matching in the document disagrees with matching the rules")
            }
            for warning in loaded.warnings { checkDiagnostic(warning, lineCount: lineCount) }
        } catch {
            precondition(!error.diagnostics.isEmpty, "a mapping was refused without a reason")
            precondition(!error.errors.isEmpty, "a mapping was refused without an error")
            for diagnostic in error.diagnostics { checkDiagnostic(diagnostic, lineCount: lineCount) }
        }
    }

    /// Pattern matching. The input is `pattern NUL value`; the matcher must agree with a
    /// plain backtracking matcher of the documented rules.
    public static func pattern(_ input: [UInt8]) {
        let split = input.firstIndex(of: 0) ?? input.endIndex
        let source = String(decoding: input[..<split], as: UTF8.self)
        let value = String(decoding: input[split...].dropFirst(), as: UTF8.self)
        let pattern = Pattern(source)
        let matched = pattern.matches(value)
        if pattern.matchesEverything { precondition(matched, "`**` did not match \(value.debugDescription)") }
        if pattern.isLiteral { precondition(matched == (source == value), "a literal pattern disagrees with ==") }
        let patternBytes = Array(source.utf8)
        let valueBytes = Array(value.utf8)
        guard patternBytes.count <= 256, valueBytes.count <= 256 else { return }
        precondition(
            matched == ReferenceGlob(pattern: patternBytes, value: valueBytes).matches(),
            "Pattern(\(source.debugDescription)).matches(\(value.debugDescription)) is \(matched)")
    }
}

/// The pattern rules as written in the product contract, matched by plain backtracking with
/// memoisation: `**` any run of bytes, `*` any run without `/`, everything else literal.
struct ReferenceGlob {
    let pattern: [UInt8]
    let value: [UInt8]
    private var memo: [Int: Bool] = [:]

    init(pattern: [UInt8], value: [UInt8]) {
        self.pattern = pattern
        self.value = value
    }

    func matches() -> Bool {
        var copy = self
        return copy.match(0, 0)
    }

    private mutating func match(_ p: Int, _ v: Int) -> Bool {
        let key = p * (value.count + 1) + v
        if let known = memo[key] { return known }
        let result: Bool
        if p == pattern.count {
            result = v == value.count
        } else if pattern[p] == UInt8(ascii: "*") {
            let double = p + 1 < pattern.count && pattern[p + 1] == UInt8(ascii: "*")
            let next = p + (double ? 2 : 1)
            var found = false
            var end = v
            while true {
                if match(next, end) {
                    found = true
                    break
                }
                guard end < value.count, double || value[end] != UInt8(ascii: "/") else { break }
                end += 1
            }
            result = found
        } else {
            result = v < value.count && value[v] == pattern[p] && match(p + 1, v + 1)
        }
        memo[key] = result
        return result
    }
}
