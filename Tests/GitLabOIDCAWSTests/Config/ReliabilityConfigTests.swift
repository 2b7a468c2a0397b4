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

    @Test func caFileIsNotReadWhenTheMappingIsLoaded() throws {
        // Loading reads the mapping file only: `check` and `doctor` report an unusable CA file,
        // the hook's HTTPS calls fail with a transport error that names it.
        #expect(try load("ca_file = \"/nonexistent/ca.pem\"").get().caFile == "/nonexistent/ca.pem")
        #expect(errors("ca_file = \"\"").contains("`ca_file` must be the path of a PEM bundle"))
        #expect(errors("ca_file = 1").contains("`ca_file` must be a string"))
    }
}

/// Documents the TOML reader refuses (among them the ones that made the earlier parser,
/// toml++, abort the process) are config errors with their line.
@Suite struct NotTOMLTests {
    func message(_ source: String) -> String? {
        do {
            _ = try MappingLoader.parse(source: source, path: "m.toml")
            return nil
        } catch {
            return error.description
        }
    }

    @Test(arguments: [
        ("\"\"=''\n[.", 2), ("[é]", 1), ("[[.a]]", 1), ("[\n]", 1), ("[[[a]]]", 1), ("\u{FEFF}[ #]", 1),
        ("issuer = \"https://g\"\n[\u{7F}]", 2), ("issuer = \"https://g\"\n# a comment\ne = 1939-05-27T:\n", 3),
        ("issuer = \"https://g\nregion = 1\n", 1), ("a = 1\na = 2\n", 2),
    ])
    func isAConfigErrorWithItsLine(source: String, line: Int) throws {
        let text = try #require(message(source))
        #expect(text.hasPrefix("m.toml:\(line): error: not valid TOML: "), "\(text)")
        #expect(!text.contains("\n"))
    }

    @Test func invalidUTF8AndNULBytesAreRefused() throws {
        for bytes: [UInt8] in [[0x61, 0x3D, 0x22, 0xFF, 0x22], [0x61, 0x3D, 0x22, 0x00, 0x22], [0x23, 0xC3]] {
            let error = try #require(throws: ConfigError.self) { try MappingLoader.parse(bytes: bytes, path: "m.toml") }
            #expect(error.errors.count == 1 && error.errors[0].line == 1)
            #expect(error.errors[0].message.hasPrefix("not valid TOML: "))
        }
    }

    @Test func deepNestingIsRefusedWithoutExhaustingTheStack() {
        let deep = "a = " + String(repeating: "[", count: 100_000) + "\n"
        #expect(message(deep)?.contains("not valid TOML") == true)
    }
}
