import GitLabOIDCAWS

extension FuzzTargets {
    /// Mapping loading (`MappingLoader.parse` with `parserGuard`: `.childProcess` as `load`
    /// does, or `.none`); a mapping that loads is then used the way the hook uses it: rules
    /// matched against a token's claims, session names rendered.
    ///
    /// The child process is one per input, which makes fuzzing slow; `Fuzz/run.sh` fuzzes
    /// without it in libFuzzer's crash-tolerant fork mode and then replays every crashing
    /// input with it.
    public static func mapping(_ input: [UInt8], parserGuard: TOMLParserGuard) {
        let source = String(decoding: input, as: UTF8.self)
        let lineCount = source.utf8.reduce(1) { $0 + ($1 == 0x0A ? 1 : 0) }
        do {
            let loaded = try MappingLoader.parse(
                source: source, path: "fuzz.toml", parserGuard: parserGuard)
            let mapping = loaded.mapping
            precondition(!mapping.issuer.isEmpty, "a mapping without issuer loaded")
            precondition(mapping.retry.connectTimeout <= mapping.retry.requestTimeout)
            precondition((1...20).contains(mapping.retry.maxAttempts))
            for rule in mapping.rules {
                precondition(!rule.conditions.isEmpty, "\(rule.label) has no conditions")
                guard let assumption = rule.assumption else { continue }
                for role in assumption.roles {
                    precondition(RoleARN(role.description) == role, "a role ARN does not round-trip")
                }
                let settings = EffectiveSettings(assumption, of: rule, mapping: mapping)
                precondition((900...43200).contains(settings.duration))
                _ = STS.endpoint(region: settings.region, fips: mapping.stsFIPS, override: mapping.stsEndpoint)
                checkSessionName(SessionName.render(settings.sessionNameTemplate, claims: sampleClaims))
            }
            _ = RuleMatcher.allMatches(in: mapping.rules, claims: sampleClaims)
            for warning in loaded.warnings { checkDiagnostic(warning, lineCount: lineCount) }
        } catch {
            precondition(!error.diagnostics.isEmpty, "a mapping was refused without a reason")
            for diagnostic in error.diagnostics { checkDiagnostic(diagnostic, lineCount: lineCount) }
        }
    }

    /// Compiled mappings (`CompiledMapping`, what `compile` writes and the hook prefers). The
    /// expected source digest is taken from the input itself (offset 16) and the trailing
    /// checksum is recomputed, so that mutations reach the settings and rule decoders; the
    /// corpus starts from files `gitlab-oidc-aws compile` wrote. A decoded mapping must hold
    /// settings a mapping file could hold, and matching straight from the bytes must agree
    /// with matching the fully decoded rules.
    public static func compiledMapping(_ input: [UInt8]) {
        var bytes = input
        if bytes.count >= CompiledMapping.headerSize + CompiledMapping.digestSize {
            let bodyEnd = bytes.count - CompiledMapping.digestSize
            bytes.replaceSubrange(bodyEnd..., with: Digest.sha256(bytes[..<bodyEnd]))
        }
        let digest = bytes.count >= CompiledMapping.headerSize ? Array(bytes[16..<48]) : []
        guard let compiled = try? CompiledMapping(bytes: bytes, sourceDigest: digest, path: "fuzz.toml") else { return }
        precondition(compiled.settings.retry.isWithinLimits, "retry settings no mapping file can have")
        precondition(durationLimits.contains(compiled.settings.duration), "a duration no mapping file can have")
        _ = try? compiled.allMatches(claims: sampleClaims)
        guard compiled.ruleCount <= 1000, let rules = try? compiled.rules() else { return }
        for case let .assume(assumption) in rules.map(\.action) {
            if let duration = assumption.duration {
                precondition(durationLimits.contains(duration), "a rule duration out of range")
            }
            for hop in assumption.chain {
                if let duration = hop.duration {
                    precondition(ChainHop.durationLimits.contains(duration), "a chain hop duration out of range")
                }
            }
            checkSessionName(
                SessionName.render(assumption.sessionName ?? compiled.settings.sessionName, claims: sampleClaims))
        }
        do {
            let fromBytes = try compiled.firstMatch(claims: sampleClaims)
            precondition(
                fromBytes == RuleMatcher.firstMatch(in: rules, claims: sampleClaims),
                "matching from the bytes disagrees with matching the decoded rules")
        } catch {
            preconditionFailure("every rule decodes, but matching from the bytes fails: \(error)")
        }
    }

    /// Pattern compilation and matching. The input is `pattern NUL value`; the compiled
    /// matcher must agree with a plain backtracking matcher of the documented rules.
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
