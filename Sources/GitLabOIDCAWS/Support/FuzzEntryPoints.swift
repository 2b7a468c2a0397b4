import TOML

/// The code the fuzz targets in `Fuzz/` run, and the unit test that replays their corpus.
///
/// Each entry point takes arbitrary bytes, feeds them to one parser the hook exposes to
/// untrusted input, and checks what must hold whatever the input. A broken invariant stops
/// the process through `precondition`, which libFuzzer reports as a crash, like any other
/// trap (index out of range, overflow, a sanitizer finding).
public enum FuzzEntryPoints {
    /// Every target, by the name of its corpus folder `Fuzz/corpus/<name>/`.
    public static let targets: [(name: String, run: @Sendable ([UInt8]) -> Void)] = [
        ("token", token), ("sts-answer", stsAnswer), ("mapping", mapping), ("pattern", pattern),
    ]

    /// Token decoding (`JWT.init`), then what the hook derives from an unverified token:
    /// the claim checks, rule matching and the session name.
    public static func token(_ input: [UInt8]) {
        let text = String(decoding: input, as: UTF8.self)
        guard let jwt = try? JWT(text) else { return }
        precondition(text.utf8.count <= JWT.maximumLength, "an over-long token was accepted")
        precondition(text.utf8.starts(with: jwt.signingInput), "the signing input is not a prefix of the token")
        precondition(!jwt.signature.isEmpty, "an empty signature was accepted")
        precondition(jwt.claims.json.objectMembers != nil, "the claims are not an object")
        _ = try? ClaimPolicy(issuer: "https://gitlab.example.com", audiences: ["sts.amazonaws.com"])
            .check(jwt.claims, now: 1_800_000_000)
        _ = RuleMatcher.firstMatch(in: sampleRules, claims: jwt.claims)
        checkSessionName(SessionName.render("gitlab-{project_id}-{job_id}-{ref}", claims: jwt.claims))
    }

    /// STS answer parsing (`STS.parseAnswer`). The first byte picks the HTTP status, the rest
    /// is the body.
    public static func stsAnswer(_ input: [UInt8]) {
        let statuses = [200, 400, 403, 500, 503, 302]
        let status = input.first.map { statuses[Int($0) % statuses.count] } ?? 200
        do {
            let credentials = try STS.parseAnswer(status: status, body: Array(input.dropFirst()))
            precondition((200..<300).contains(status), "credentials accepted from HTTP \(status)")
            for value in [credentials.accessKeyID, credentials.secretAccessKey, credentials.sessionToken] {
                precondition(!value.isEmpty && !value.utf8.contains(where: isControl), "unusable credential value")
            }
            precondition((try? EnvFile.render(EnvLines.credentials(credentials, role: "r", region: "us-east-1"))) != nil)
        } catch {
            // Messages reach the job log: one line, bounded, whatever the server sent.
            let message = error.description
            precondition(!message.utf8.contains(where: isControl), "control characters in an STS error message")
            precondition(message.utf8.count <= 4096, "an STS error message of \(message.utf8.count) bytes")
            _ = error.retryDecision(afterAttempt: 1)
        }
    }

    /// Mapping loading (`MappingLoader.parse`); a mapping that loads is then used the way the
    /// hook uses it: rules matched against a token's claims, session names rendered. Matching
    /// in the document (what the hook does) must agree with matching the rules built from it.
    public static func mapping(_ input: [UInt8]) {
        let lineCount = input.reduce(1) { $0 + ($1 == 0x0A ? 1 : 0) }
        if let document = try? TOMLDocument(parsing: input) { checkPlainRules(document) }
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

    /// A rule the loader's quick path accepts is one its full check accepts without a word.
    static func checkPlainRules(_ document: TOMLDocument) {
        guard let rules = document.root["rule"]?.array else { return }
        for index in rules.indices {
            guard let table = rules[index].table, let match = MappingReader.plainRule(table, overrides: true) else {
                continue
            }
            var reader = MappingReader(path: "fuzz.toml")
            let reference = reader.readRule(
                table, at: index, number: 1, mapping: Mapping(issuer: "https://gitlab.example.com"))
            precondition(reader.diagnostics.isEmpty, "the quick path accepted a rule with \(reader.diagnostics)")
            precondition(reference?.match == match && reference?.skips == false, "the quick path found another match")
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

    // MARK: Shared fixtures and checks

    static let sampleClaims = Claims(strings: [
        ("project_path", "group/project"), ("namespace_path", "group"), ("ref", "main"), ("ref_type", "branch"),
        ("ref_protected", "true"), ("project_id", "42"), ("job_id", "1001"), ("environment", "production"),
    ])

    /// Claims of another job: integers and booleans as GitLab sends them, a tag, no environment.
    static let otherClaims = Claims(strings: [
        ("project_path", "platform/infra"), ("namespace_path", "platform"), ("ref", "v1.2"), ("ref_type", "tag"),
        ("ref_protected", "false"), ("project_id", "-7"), ("namespace_id", "0"), ("job_id", "9"), ("sub", ""),
    ])

    static let sampleRules: [Rule] = {
        let role = RoleARN("arn:aws:iam::111122223333:role/deploy")!
        return [
            Rule(
                number: 1, line: 1, name: nil, role: role,
                conditions: [
                    Condition(claim: "project_path", patterns: [Pattern("group/**"), Pattern("*/infra")], line: 2),
                    Condition(claim: "ref", patterns: [Pattern("main")], line: 3),
                ]),
            Rule(
                number: 2, line: 4, name: nil, role: role,
                conditions: [Condition(claim: "namespace_path", patterns: [Pattern("**")], line: 5)]),
        ]
    }()

    static func isControl(_ byte: UInt8) -> Bool { byte < 0x20 || byte == 0x7F }

    static func checkSessionName(_ name: String) {
        precondition(name.utf8.count <= 64, "a session name of \(name.utf8.count) bytes")
        precondition(name.utf8.count >= 2, "a session name shorter than 2 characters")
        precondition(
            name.unicodeScalars.allSatisfy(SessionName.isAllowed), "a session name with characters STS refuses")
    }

    static func checkDiagnostic(_ diagnostic: ConfigDiagnostic, lineCount: Int) {
        precondition((1...lineCount).contains(diagnostic.line), "a diagnostic on line \(diagnostic.line) of \(lineCount)")
        _ = diagnostic.description
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
