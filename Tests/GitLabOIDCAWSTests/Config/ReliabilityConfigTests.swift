import Glibc
import Testing

@testable import GitLabOIDCAWS

@Suite struct ReliabilitySettingsTests {
    let rule = """
        [[rule]]
        role = "arn:aws:iam::111122223333:role/r"
        match = { project_path = "**" }
        """

    func load(_ top: String) -> Result<Mapping, ConfigError> {
        Result { () throws(ConfigError) -> Mapping in
            try MappingLoader.parse(source: "issuer = \"https://gitlab.example.com\"\n\(top)\n\(rule)\n", path: "m.toml").mapping
        }
    }

    func errors(_ top: String) -> String {
        if case let .failure(error) = load(top) { return error.description }
        return ""
    }

    @Test func fipsIsRefusedWhereSTSHasNoFIPSEndpoint() {
        #expect(errors("sts_fips = true\nregion = \"eu-west-1\"").contains("no FIPS endpoint in eu-west-1"))
        #expect(errors("sts_fips = true\nregion = \"us-west-2\"").isEmpty)
        #expect(errors("sts_fips = true\nregion = \"eu-west-1\"\nsts_endpoint = \"https://sts.example.com/\"").isEmpty)
        let ruleRegion = try? MappingLoader.parse(
            source: "issuer = \"https://g\"\nsts_fips = true\n\(rule)\nregion = \"eu-west-1\"\n", path: "m.toml")
        #expect(ruleRegion == nil)
    }

    @Test func retrySettingsHaveDefaultsAndCanBeChanged() throws {
        let defaults = try load("").get().retry
        #expect(defaults.maxAttempts == 5 && defaults.deadline == 60)
        #expect(defaults.connectTimeout == 5 && defaults.requestTimeout == 15)
        let custom = try load("max_attempts = 2\ndeadline = 7.5\nconnect_timeout = 0.5\nrequest_timeout = 2").get().retry
        #expect(custom.maxAttempts == 2 && custom.deadline == 7.5)
        #expect(custom.connectTimeout == 0.5 && custom.requestTimeout == 2)
        #expect(errors("max_attempts = 0").contains("max_attempts"))
        #expect(errors("connect_timeout = 20\nrequest_timeout = 10").contains("connect_timeout"))
    }

    @Test func blockInstanceMetadataIsOffUnlessAskedFor() throws {
        #expect(try load("").get().blockInstanceMetadata == false)
        #expect(try load("block_instance_metadata = true").get().blockInstanceMetadata == true)
        #expect(errors("block_instance_metadata = \"yes\"").contains("block_instance_metadata"))
    }

    @Test func caFileMustHoldAPEMCertificate() throws {
        let path = "/tmp/gitlab-oidc-aws-test-ca-\(getpid()).pem"
        defer { unlink(path) }
        try FileSystem.writeAtomically(Array("not a certificate\n".utf8), to: path)
        #expect(errors("ca_file = \"\(path)\"").contains("no PEM certificate"))
        try FileSystem.writeAtomically(Array("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n".utf8), to: path)
        #expect(try load("ca_file = \"\(path)\"").get().caFile == path)
        #expect(errors("ca_file = \"/nonexistent/ca.pem\"").contains("not a readable file"))
    }
}

/// Table headers that made the TOML parser (toml++ 3.4 in TOMLKit) abort the process are
/// refused with a config error before parsing (found by fuzzing the mapping loader).
@Suite struct MalformedHeaderTests {
    func message(_ source: String) -> String? {
        do {
            _ = try MappingLoader.parse(source: source, path: "m.toml")
            return nil
        } catch {
            return error.description
        }
    }

    @Test(arguments: [
        ("\"\"=''\n[.", 2, "\".\""), ("[é]", 1, "\"é\""), ("[[.a]]", 1, "\".\""), ("[\n]", 1, "a line break"),
        ("[[[a]]]", 1, "\"[\""), ("\u{FEFF}[ #]", 1, "\"#\""), ("issuer = \"https://g\"\n[\u{7F}]", 2, "byte 0x7F"),
    ])
    func isAConfigErrorNotAnAbort(source: String, line: Int, found: String) throws {
        let text = try #require(message(source))
        #expect(text.hasPrefix("m.toml:\(line): error: not valid TOML: a table header must start with a key"))
        #expect(text.contains("found \(found)"))
    }

    @Test func validHeadersAndNestedArraysPass() {
        #expect(TOMLKeyLines(source: "[a]\n[[b.c]]\n[ \"d\" ]\n['e'.f]\nx = [\n[+1],\n]\n").malformedHeader == nil)
        #expect(message("[]")?.contains("blank bare keys") == true)
        #expect(message("[ [a]]")?.contains("contiguous") == true)
    }

    @Test func deepNestingDoesNotExhaustTheStack() {
        let deep = "a = " + String(repeating: "[", count: 100_000) + "\n[.]\n"
        #expect(message(deep)?.contains("not valid TOML") == true)
        let nested = "a = " + String(repeating: "[", count: 200) + String(repeating: "]", count: 200) + "\n[.]\n"
        #expect(TOMLKeyLines(source: nested).malformedHeader?.line == 2)
    }
}

/// Documents on which toml++ 3.4 aborts are refused in a child process, with the line.
@Suite struct TOMLSandboxTests {
    @Test func aDocumentThatKillsTheParserIsRefusedWithItsLine() throws {
        let source = "issuer = \"https://g\"\n\n# a comment\ne = 1939-05-27T:\n[[rule]]\n"
        #expect(!TOMLSandbox.parserSurvives(source))
        #expect(TOMLSandbox.crashingLine(source) == 4)
        let error = try #require(throws: ConfigError.self) {
            try MappingLoader.parse(source: source, path: "m.toml", parserGuard: .childProcess)
        }
        #expect(error.description.hasPrefix("m.toml:4: error: not valid TOML: the TOML parser stopped on this line"))
    }
}

/// A compiled mapping holds only settings a mapping file can hold; anything else (damage, a
/// forged file) is refused rather than used, e.g. a NaN timeout.
@Suite struct CompiledMappingLimitsTests {
    func decode(_ change: (inout Mapping) -> Void) -> CompiledMappingError? {
        var mapping = Mapping(issuer: "https://gitlab.example.com")
        change(&mapping)
        let digest = [UInt8](repeating: 7, count: 32)
        do {
            _ = try CompiledMapping(
                bytes: CompiledMapping.encode(mapping, sourceDigest: digest), sourceDigest: digest, path: "m.toml")
            return nil
        } catch {
            return error
        }
    }

    @Test func settingsWithinTheLoadersLimitsDecode() {
        #expect(decode { _ in } == nil)
        #expect(decode { $0.retry.maxAttempts = 20; $0.retry.requestTimeout = 3600; $0.duration = 43200 } == nil)
    }

    @Test func settingsNoMappingFileCanHoldAreRefused() {
        #expect(decode { $0.retry.maxAttempts = 0 } == .invalidValue("retry or timeout setting"))
        #expect(decode { $0.retry.requestTimeout = .nan } == .invalidValue("retry or timeout setting"))
        #expect(decode { $0.retry.deadline = .infinity } == .invalidValue("retry or timeout setting"))
        #expect(decode { $0.retry.connectTimeout = 20; $0.retry.requestTimeout = 10 } == .invalidValue("retry or timeout setting"))
        #expect(decode { $0.duration = 60 } == .invalidValue("duration"))
    }
}
