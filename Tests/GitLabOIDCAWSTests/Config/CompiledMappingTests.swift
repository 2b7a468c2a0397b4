import Glibc
import Testing

@testable import GitLabOIDCAWS

@Suite struct CompiledMappingTests {
    static let source = """
        issuer = "https://gitlab.example.com"
        audience = ["sts.amazonaws.com", "other"]
        token_variables = ["AWS_ID_TOKEN", "OTHER_TOKEN"]
        jwks_url = "https://gitlab.example.com/oauth/discovery/keys"
        cache_dir = "/var/cache/goa"
        region = "eu-west-1"
        sts_endpoint = "http://127.0.0.1:8080/"
        sts_fips = true
        duration = 7200
        session_name = "ci-{project_id}-{job_id}"
        output = "web-identity"
        block_instance_metadata = true
        on_no_token = "fail"
        on_no_match = "fail"
        max_attempts = 3
        deadline = 30.5
        connect_timeout = 2
        request_timeout = 10

        [[rule]]
        name = "infra production"
        role = "arn:aws:iam::111122223333:role/infra-prod"
        region = "us-west-2"
        duration = 1800
        session_name = "prod-{job_id}"
        session_policy = '{"Version":"2012-10-17","Statement":[]}'
        policy_arns = ["arn:aws:iam::aws:policy/ReadOnlyAccess"]
        output = "env"
        [rule.match]
        project_path = "platform/infra"
        ref = ["main", "release/*"]
        ref_protected = true

        [[rule]]
        role = "arn:aws:iam::111122223333:role/platform"
        output = "profile"
        profile = "platform"
        match = { namespace_path = ["platform", "platform/**"], project_id = 42 }

        [[rule]]
        name = "everyone else"
        role = "arn:aws-cn:iam::111122223333:role/x"
        match = { project_path = "**" }
        """

    static let sourceBytes = Array(source.utf8)

    static func loaded() throws -> Mapping {
        try MappingLoader.parse(source: source, path: "oidc-aws.toml").mapping
    }

    static func compiled() throws -> [UInt8] {
        CompiledMapping.encode(try loaded(), sourceDigest: Digest.sha256(sourceBytes))
    }

    func decode(_ bytes: [UInt8]) throws(CompiledMappingError) -> CompiledMapping {
        try CompiledMapping(bytes: bytes, sourceDigest: Digest.sha256(Self.sourceBytes), path: "oidc-aws.toml")
    }

    /// `bytes` with its trailing checksum made right again, as a careful forger would.
    func resealed(_ bytes: [UInt8]) -> [UInt8] {
        var bytes = bytes
        let end = bytes.count - 32
        bytes.replaceSubrange(end..., with: Digest.sha256(bytes[..<end]))
        return bytes
    }

    @Test func roundTripsSettingsAndRules() throws {
        let mapping = try Self.loaded()
        let compiled = try decode(try Self.compiled())
        var settings = mapping
        settings.rules = []
        #expect(compiled.settings == settings)
        #expect(compiled.ruleCount == 3)
        #expect(try compiled.rules() == mapping.rules)
        #expect(try compiled.rule(at: 1).label == mapping.rules[1].label)
    }

    @Test func matchesLikeTheRuleMatcher() throws {
        let mapping = try Self.loaded()
        let compiled = try decode(try Self.compiled())
        let cases: [[(String, String)]] = [
            [("project_path", "platform/infra"), ("ref", "main"), ("ref_protected", "true")],
            [("project_path", "platform/infra"), ("ref", "release/1.2"), ("ref_protected", "true")],
            [("project_path", "platform/infra"), ("ref", "release/1/2"), ("ref_protected", "true")],
            [("project_path", "platform/infra"), ("ref", "main")],
            [("project_path", "platform/web"), ("namespace_path", "platform/sub/deep"), ("project_id", "42")],
            [("project_path", "platform/web"), ("namespace_path", "platform"), ("project_id", "43")],
            [("namespace_path", "platform")],
            [],
        ]
        for strings in cases {
            let claims = Claims(strings: strings)
            #expect(try compiled.firstMatch(claims: claims) == RuleMatcher.firstMatch(in: mapping.rules, claims: claims))
            #expect(try compiled.allMatches(claims: claims) == RuleMatcher.allMatches(in: mapping.rules, claims: claims))
        }
        #expect(try compiled.firstMatch(claims: Claims(strings: cases[0]))?.number == 1)
        #expect(try compiled.firstMatch(claims: Claims(strings: cases[4]))?.number == 2)
        #expect(try compiled.firstMatch(claims: Claims(strings: cases[2]))?.number == 3)
        #expect(try compiled.firstMatch(claims: Claims(strings: [])) == nil)
    }

    @Test func detectsAChangedByte() throws {
        var bytes = try Self.compiled()
        bytes[bytes.count / 2] ^= 0x20
        #expect(throws: CompiledMappingError.checksumMismatch) { try decode(bytes) }
    }

    @Test func refusesOtherMappingContents() throws {
        let bytes = try Self.compiled()
        #expect(throws: CompiledMappingError.sourceMismatch) {
            try CompiledMapping(bytes: bytes, sourceDigest: Digest.sha256(Array((Self.source + "\n").utf8)), path: "m")
        }
    }

    @Test func refusesOtherFilesAndVersions() throws {
        #expect(throws: CompiledMappingError.notCompiledMapping) { try decode(Array(Self.source.utf8)) }
        var bytes = try Self.compiled()
        bytes[8] = 9
        #expect(throws: CompiledMappingError.unsupportedVersion(9)) { try decode(resealed(bytes)) }
    }

    @Test func everyTruncationIsAnError() throws {
        let bytes = try Self.compiled()
        for length in 0..<bytes.count {
            #expect(throws: CompiledMappingError.self) { try decode(Array(bytes[..<length])) }
        }
    }

    /// Damage behind a correct checksum (which only root or the mapping's owner could write)
    /// still gives an error or a mapping, never a crash; the fuzz entry point does the same.
    @Test func survivesDamageBehindAValidChecksum() throws {
        let original = try Self.compiled()
        var generator = SystemRandomNumberGenerator()
        for round in 0..<2000 {
            var bytes = original
            for _ in 0...(round % 4) {
                let index = Int.random(in: 48..<(bytes.count - 32), using: &generator)
                bytes[index] = round % 3 == 0 ? 0xFF : UInt8.random(in: 0...255, using: &generator)
            }
            let damaged = resealed(bytes)
            if let compiled = try? decode(damaged) {
                _ = try? compiled.firstMatch(claims: Claims(strings: [("project_path", "platform/infra")]))
                _ = try? compiled.rules()
            }
            FuzzEntryPoints.compiledMapping(damaged)
        }
        FuzzEntryPoints.compiledMapping([])
        FuzzEntryPoints.compiledMapping(Array(original[..<60]))
    }

    // MARK: The hook's choice between compiled and TOML

    func directory() -> String {
        var template = Array("/tmp/goa-compiled-XXXXXX".utf8CString)
        _ = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        return String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// A mapping file and its compiled form in a new folder; returns the mapping's path.
    func install() throws -> String {
        let mappingPath = directory() + "/oidc-aws.toml"
        try FileSystem.writeAtomically(Self.sourceBytes, to: mappingPath, mode: 0o644)
        try FileSystem.writeAtomically(try Self.compiled(), to: CompiledMapping.path(for: mappingPath), mode: 0o644)
        return mappingPath
    }

    func load(_ path: String) throws -> (HookMapping, [String]) {
        var lines: [String] = []
        let loaded = try HookMapping.load(path: path) { lines.append($0) }
        return (loaded, lines)
    }

    /// The name of the first rule `loaded` selects for `claims`.
    func selectedName(_ loaded: HookMapping, _ claims: Claims) throws -> String? {
        guard case let .matched(first, _) = try loaded.select(claims: claims, continuingPast: { _ in false }, log: { _ in })
        else { return nil }
        return first.name
    }

    @Test func hookUsesACurrentTrustedCompiledMapping() throws {
        let path = try install()
        let (loaded, lines) = try load(path)
        #expect(loaded.compiled != nil)
        #expect(lines.isEmpty)
        #expect(loaded.mapping.issuer == "https://gitlab.example.com")
        let claims = Claims(strings: [("project_path", "platform/infra"), ("ref", "main"), ("ref_protected", "true")])
        #expect(try selectedName(loaded, claims) == "infra production")
    }

    @Test func hookReadsTheTOMLWhenThereIsNoCompiledMapping() throws {
        let path = try install()
        unlink(CompiledMapping.path(for: path))
        let (loaded, lines) = try load(path)
        #expect(loaded.compiled == nil)
        #expect(lines.isEmpty)
        #expect(loaded.mapping.rules.count == 3)
    }

    @Test func hookIgnoresAnOutOfDateCompiledMapping() throws {
        let path = try install()
        let edited = Self.source.replacing("platform/infra", with: "platform/other")
        try FileSystem.writeAtomically(Array(edited.utf8), to: path, mode: 0o644)
        let (loaded, lines) = try load(path)
        #expect(loaded.compiled == nil)
        #expect(lines.count == 1)
        #expect(lines.first?.contains("out of date") == true)
        let claims = Claims(strings: [("project_path", "platform/infra"), ("ref", "main"), ("ref_protected", "true")])
        #expect(try selectedName(loaded, claims) == "everyone else")
    }

    @Test func hookIgnoresACompiledMappingOthersMayWrite() throws {
        let path = try install()
        chmod(CompiledMapping.path(for: path), 0o666)
        let (loaded, lines) = try load(path)
        #expect(loaded.compiled == nil)
        #expect(lines.first?.contains("group or others may write it") == true)
    }

    @Test func hookIgnoresACompiledMappingOfAnotherOwner() throws {
        let path = try install()
        let compiledPath = CompiledMapping.path(for: path)
        // Only root can give a file away; elsewhere check the rule itself.
        if geteuid() == 0 {
            #expect(chown(compiledPath, 12345, 12345) == 0)
            let (loaded, lines) = try load(path)
            #expect(loaded.compiled == nil)
            #expect(lines.first?.contains("owned by uid 12345") == true)
            // The mapping's owner may own the compiled form.
            #expect(chown(path, 12345, 12345) == 0)
            #expect(try load(path).0.compiled != nil)
        }
        #expect(HookMapping.trustProblem(owner: 1000, permissions: 0o644, mappingOwner: 0) != nil)
        #expect(HookMapping.trustProblem(owner: 1000, permissions: 0o644, mappingOwner: 1000) == nil)
        #expect(HookMapping.trustProblem(owner: 0, permissions: 0o644, mappingOwner: 1000) == nil)
        #expect(HookMapping.trustProblem(owner: 0, permissions: 0o664, mappingOwner: 0) != nil)
        #expect(HookMapping.trustProblem(owner: 0, permissions: 0o646, mappingOwner: 0) != nil)
    }

    @Test func hookIgnoresACompiledMappingThatIsNoFile() throws {
        let path = try install()
        let compiledPath = CompiledMapping.path(for: path)
        unlink(compiledPath)
        #expect(mkfifo(compiledPath, 0o644) == 0)
        let (loaded, lines) = try load(path)
        #expect(loaded.compiled == nil)
        #expect(lines.first?.contains("not a regular file") == true)
    }

    @Test func hookIgnoresADamagedCompiledMapping() throws {
        let path = try install()
        var bytes = try Self.compiled()
        bytes[100] ^= 1
        try FileSystem.writeAtomically(bytes, to: CompiledMapping.path(for: path), mode: 0o644)
        let (loaded, lines) = try load(path)
        #expect(loaded.compiled == nil)
        #expect(lines.first?.contains("checksum") == true)
    }
}
