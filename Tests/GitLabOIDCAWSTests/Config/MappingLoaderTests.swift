import GitLabOIDCAWSTestSupport
import TOML
import Glibc
import Testing

@testable import GitLabOIDCAWS

@Suite struct MappingLoaderTests {
    func load(_ source: String) throws(ConfigError) -> LoadedMapping {
        try MappingLoader.parse(source: source, path: "oidc-aws.toml")
    }

    /// The errors of a mapping that must fail to load.
    func errors(_ source: String) -> [ConfigDiagnostic] {
        do {
            _ = try load(source)
            Issue.record("the mapping loaded but should not have")
            return []
        } catch {
            return error.errors
        }
    }

    static let issuer = "issuer = \"https://gitlab.example.com\"\n"

    @Test func loadsTheContractExample() throws {
        let loaded = try load(
            """
            issuer = "https://gitlab.example.com"
            audience = ["sts.amazonaws.com"]
            token_variables = ["AWS_ID_TOKEN"]
            region = "eu-west-1"
            duration = 3600
            session_name = "gitlab-{project_id}-{job_id}"
            on_no_token = "skip"
            on_no_match = "fail"

            [[rule]]
            name = "infra production deploys"
            role = "arn:aws:iam::111122223333:role/infra-prod-deploy"
            duration = 1800
            [rule.match]
            project_path = "platform/infra"
            ref_type = "branch"
            ref = "main"
            ref_protected = true
            environment = "production"

            [[rule]]
            name = "platform read-only"
            role = "arn:aws:iam::111122223333:role/platform-readonly"
            match = { namespace_path = ["platform", "platform/**"], project_id = 42 }
            session_policy = { Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "s3:GetObject", Resource = "*" }] }
            """)
        let mapping = loaded.mapping
        #expect(mapping.issuer == "https://gitlab.example.com")
        #expect(mapping.region == "eu-west-1")
        #expect(mapping.onNoMatch == .fail)
        #expect(mapping.rules.count == 2)
        let first = mapping.rules[0]
        #expect(first.line == 10)
        #expect(first.assumption?.duration == 1800)
        #expect(first.conditions.map(\.claim) == ["project_path", "ref_type", "ref", "ref_protected", "environment"])
        #expect(first.conditions.map(\.line) == [15, 16, 17, 18, 19])
        #expect(first.conditions[3].patterns == [Pattern("true")])
        let second = mapping.rules[1]
        #expect(second.line == 21)
        #expect(second.conditions.map(\.claim) == ["namespace_path", "project_id"])
        #expect(second.conditions[0].patterns.map(\.source) == ["platform", "platform/**"])
        #expect(second.conditions[1].patterns == [Pattern("42")])
        #expect(
            second.assumption?.sessionPolicy
                == #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#)
        #expect(second.role?.account == "111122223333")
        #expect(loaded.warnings.isEmpty)
    }

    @Test func appliesTheDocumentedDefaults() throws {
        let mapping = try load(
            """
            issuer = "https://gitlab.example.com"
            [[rule]]
            role = "arn:aws:iam::111122223333:role/r"
            match = { project_path = "**" }
            """
        ).mapping
        #expect(mapping.audiences == ["sts.amazonaws.com"])
        #expect(mapping.tokenVariables == ["AWS_ID_TOKEN"])
        #expect(mapping.region == "us-east-1")
        #expect(mapping.duration == 3600)
        #expect(mapping.sessionName == "gitlab-{project_id}-{job_id}")
        #expect(mapping.onNoToken == .skip && mapping.onNoMatch == .skip)
        #expect(mapping.output == .env)
        #expect(mapping.retry == RetrySettings())
        #expect(mapping.stsEndpoint == nil && mapping.jwksURL == nil && !mapping.stsFIPS)
        #expect(mapping.mode == .enforce && mapping.help == nil && mapping.allowedAccountIDs == nil)
    }

    @Test func readsEveryKeyOfTheContract() throws {
        let loaded = try load(
            """
            issuer = "https://gitlab.example.com"
            mode = "shadow"
            help = "AWS access: see https://wiki.example.com/ci-aws or #platform"
            allowed_account_ids = ["111122223333", "444455556666"]
            block_instance_metadata = true
            output = "profile"

            [[rule]]
            name = "merge requests get nothing"
            skip = true
            match = { pipeline_source = "merge_request_event" }

            [[rule]]
            name = "deploy"
            role = "arn:aws:iam::111122223333:role/entry"
            allowed_account_ids = ["444455556666"]
            profile = "deploy"
            region = "eu-central-2"
            match = { project_path = "group/project" }
            [[rule.chain]]
            role = "arn:aws:iam::444455556666:role/target"
            external_id = "ext-1"
            duration = 1200
            session_name = "hop-{job_id}"
            tags = { project = "{project_path}", ref = "{ref}" }
            transitive_tag_keys = ["project"]
            session_policy = '{"Version": "2012-10-17"}'
            policy_arns = ["arn:aws:iam::aws:policy/ReadOnlyAccess"]
            [[rule.chain]]
            role = "arn:aws:iam::444455556666:role/last"
            """)
        #expect(loaded.warnings.isEmpty, "\(loaded.warnings)")
        let mapping = loaded.mapping
        #expect(mapping.mode == .shadow)
        #expect(mapping.help == "AWS access: see https://wiki.example.com/ci-aws or #platform")
        #expect(mapping.allowedAccountIDs == ["111122223333", "444455556666"])
        #expect(mapping.blockInstanceMetadata && mapping.output == .profile)
        let skip = mapping.rules[0]
        #expect(skip.action == .skip && skip.name == "merge requests get nothing" && skip.line == 8)
        let rule = mapping.rules[1]
        let assumption = try #require(rule.assumption)
        #expect(assumption.allowedAccountIDs == ["444455556666"] && assumption.profile == "deploy")
        #expect(assumption.region == "eu-central-2")
        #expect(assumption.chain.count == 2)
        #expect(
            assumption.chain[0]
                == ChainHop(
                    role: RoleARN("arn:aws:iam::444455556666:role/target")!, externalID: "ext-1", duration: 1200,
                    sessionName: "hop-{job_id}",
                    tags: [
                        SessionTagTemplate(key: "project", value: "{project_path}"),
                        SessionTagTemplate(key: "ref", value: "{ref}"),
                    ], transitiveTagKeys: ["project"], sessionPolicy: #"{"Version":"2012-10-17"}"#,
                    policyARNs: ["arn:aws:iam::aws:policy/ReadOnlyAccess"], line: 20))
        #expect(assumption.chain[1] == ChainHop(role: RoleARN("arn:aws:iam::444455556666:role/last")!, line: 29))
        #expect(assumption.finalRole.name == "last")
    }

    @Test func theDocumentFormReadsTheSameRules() throws {
        let text = Self.issuer + MappingFixtures.rule(#"project_path = "g/*", ref = ["main", 7, true]"#)
            + "[[rule]]\nskip = true\nmatch.pipeline_source = \"push\"\n"
        let values = try MappingLoader.parse(source: text, path: "m.toml").mapping
        let document = try MappingLoader.parse(source: text, path: "m.toml", rules: .document).mapping
        #expect(document == values)
        #expect(Array(document.rules) == Array(values.rules))
        #expect(values.rules[0].conditions[1].patterns.map(\.source) == ["main", "7", "true"])
    }

    @Test func unknownKeysNameTheLineAndSuggestTheKey() {
        let found = errors(
            """
            issuer = "https://gitlab.example.com"
            regoin = "eu-west-1"

            [[rule]]
            role = "arn:aws:iam::111122223333:role/r"
            durration = 900
            [rule.match]
            project_path = "g/p"
            [[rule.chain]]
            rol = "arn:aws:iam::111122223333:role/s"
            """)
        #expect(found.map(\.line) == [2, 6, 9, 10])
        #expect(found[0].message.contains("unknown key `regoin`"))
        #expect(found[0].message.contains("did you mean `region`?"))
        #expect(found[1].message.contains("`durration` in rule 1"))
        #expect(found[1].message.contains("did you mean `duration`?"))
        #expect(found[1].description.hasPrefix("oidc-aws.toml:6: error: "))
        #expect(found[2].message.contains("has no `role`"))
        #expect(found[3].message.contains("unknown key `rol` in rule 1, [[rule.chain]] 1; did you mean `role`?"))
    }

    @Test func aMisspeltRulesHeaderIsReportedOnItsLine() {
        let found = errors(
            Self.issuer + "\n# rules\n[[rules]]\nrole = \"arn:aws:iam::111122223333:role/r\"\nmatch = { ref = \"main\" }\n")
        #expect(found.count == 1)
        #expect(found[0].line == 4)
        #expect(found[0].message.contains("unknown key `rules` at the top level; did you mean `rule`?"))
    }

    @Test func reportsWrongTypesAndRanges() {
        let found = errors(
            """
            issuer = "https://gitlab.example.com"
            duration = "3600"
            on_no_match = "ignore"
            region = "Europe"
            mode = "dry-run"
            help = "two\\nlines"

            [[rule]]
            name = "short"
            role = "arn:aws:iam::111122223333:role/r"
            duration = 600
            match = { project_path = "g/p" }
            """)
        #expect(found.map(\.line) == [2, 3, 4, 5, 6, 11])
        #expect(found[0].message.contains("`duration` must be an integer"))
        #expect(found[1].message.contains("must be \"skip\" or \"fail\""))
        #expect(found[2].message.contains("is not an AWS region name"))
        #expect(found[3].message.contains("`mode` is \"dry-run\" but must be \"enforce\" or \"shadow\""))
        #expect(found[4].message.contains("`help` must be one line"))
        #expect(found[5].message.contains("rule 1 \"short\": `duration` is 600 but must be between 900 and 43200"))
    }

    @Test func regionTyposAreRefusedAndNewRegionsAccepted() throws {
        let found = errors(Self.issuer + "region = \"eu-wset-1\"\n")
        #expect(found.count == 1 && found[0].line == 2)
        #expect(found[0].message.contains("its direction must be one of"))
        #expect(found[0].message.contains("did you mean \"eu-west-1\"?"))
        for region in ["us-east-1", "us-gov-west-1", "cn-northwest-1", "ap-southeast-9", "eusc-de-east-1"] {
            #expect(try load(Self.issuer + "region = \"\(region)\"\n").mapping.region == region, "\(region)")
        }
        for region in ["EU-west-1", "eu-west", "eu-west-01", "eu--west-1", "us-east-1-", "e u-west-1", "west-1"] {
            #expect(!AWSRegion.isValid(region), "\(region)")
        }
    }

    @Test func refusesRulesWithoutOrWithEmptyMatch() {
        let found = errors(
            """
            issuer = "https://gitlab.example.com"

            [[rule]]
            role = "arn:aws:iam::111122223333:role/a"

            [[rule]]
            role = "arn:aws:iam::111122223333:role/b"
            match = {}

            [[rule]]
            role = "arn:aws:iam::111122223333:role/c"
            match = { ref = [] }
            """)
        #expect(found.map(\.line) == [3, 8, 12])
        #expect(found[0].message.contains("rule 1 has no `match`"))
        #expect(found[1].message.contains("`match` is empty"))
        #expect(found[1].message.contains("project_path = \"**\""))
        #expect(found[2].message.contains("empty list"))
    }

    @Test func refusesBadRoleARNsAndURLs() {
        let found = errors(
            """
            issuer = "http://gitlab.example.com"
            sts_endpoint = "ftp://sts.example"

            [[rule]]
            role = "arn:aws:iam::12345:role/r"
            match = { ref = "main" }

            [[rule]]
            role = "arn:aws:s3:::bucket"
            match = { ref = "main" }

            [[rule]]
            role = "arn:aws:iam::111122223333:user/deploy"
            match = { ref = "main" }
            """)
        #expect(found.map(\.line) == [1, 2, 5, 9, 13])
        #expect(found[0].message.contains("plain http:// is only accepted for loopback hosts"))
        #expect(found[1].message.contains("must start with https://"))
        #expect(found[2].message.contains("has an account id of 5 characters; AWS account ids have exactly 12 digits"))
        #expect(found[3].message.contains("is not an IAM role ARN"))
        #expect(found[4].message.contains("the hook can only assume roles"))
    }

    @Test func skipRulesHaveNoRoleAndOtherRulesNeedOne() throws {
        let found = errors(
            Self.issuer + """
                [[rule]]
                skip = true
                role = "arn:aws:iam::111122223333:role/r"
                match = { ref = "main" }

                [[rule]]
                skip = true
                match = { ref = "main" }
                [[rule.chain]]
                role = "arn:aws:iam::111122223333:role/r"

                [[rule]]
                skip = false
                match = { ref = "main" }
                """)
        #expect(found.map(\.line) == [4, 10, 13])
        #expect(found[0].message.contains("says skip = true and has a `role`"))
        #expect(found[1].message.contains("says skip = true and has a [[rule.chain]]"))
        #expect(found[2].message.contains("rule 3 has no `role`"))
        let loaded = try load(Self.issuer + "[[rule]]\nskip = true\nregion = \"eu-west-1\"\nmatch = { ref = \"main\" }\n")
        #expect(loaded.warnings.map(\.message) == ["rule 1: `region` does nothing in a skip rule, which assumes no role"])
    }

    @Test func chainHopsAreChecked() {
        let tags = (1...51).map { "t\($0) = \"v\"" }.joined(separator: ", ")
        let found = errors(
            Self.issuer + """
                [[rule]]
                role = "arn:aws:iam::111122223333:role/r"
                match = { ref = "main" }
                [[rule.chain]]
                role = "arn:aws:iam::111122223333:role/s"
                duration = 7200
                [[rule.chain]]
                role = "arn:aws:iam::111122223333:role/s"
                tags = { \(tags) }
                [[rule.chain]]
                role = "arn:aws:iam::111122223333:role/s"
                tags = { "aws:x" = "v", "a b" = "{ref}", "A B" = "{ref}", "x!" = "v" }
                transitive_tag_keys = ["a b", "other"]
                external_id = "x"
                """)
        #expect(found.map(\.line) == [7, 10, 13, 13, 13, 14, 15])
        #expect(found[0].message.contains("`duration` is 7200 but must be between 900 and 3600"))
        #expect(found[1].message.contains("`tags` has 51 tags; STS accepts at most 50"))
        #expect(found.contains { $0.message.contains("\"aws:x\" starts with aws:, which AWS reserves") })
        #expect(found.contains { $0.message.contains("\"A B\" differs from another only in case") })
        #expect(found.contains { $0.message.contains("\"x!\" may only use letters") })
        #expect(found[5].message.contains("names \"other\", which is not a key of this hop's `tags`"))
        #expect(found[6].message.contains("`external_id` must be 2 to 1224 characters"))
    }

    @Test func aChainCannotGoWithWebIdentity() {
        let hop = "[[rule.chain]]\nrole = \"arn:aws:iam::111122223333:role/s\"\n"
        let own = errors(
            Self.issuer + "[[rule]]\nrole = \"arn:aws:iam::111122223333:role/r\"\noutput = \"web-identity\"\n"
                + "match = { ref = \"main\" }\n" + hop)
        #expect(own.count == 1 && own[0].line == 6)
        #expect(own[0].message.contains("has a [[rule.chain]] and output = \"web-identity\""))
        let inherited = errors(Self.issuer + "output = \"web-identity\"\n" + MappingFixtures.rule("ref = \"main\"") + hop)
        #expect(inherited.count == 1 && inherited[0].message.contains("cannot carry one"))
    }

    @Test func accountListsAreTwelveDigitStrings() {
        let found = errors(
            Self.issuer + """
                allowed_account_ids = [111122223333, "12345", "11112222333a"]
                [[rule]]
                role = "arn:aws:iam::111122223333:role/r"
                allowed_account_ids = []
                match = { ref = "main" }
                """)
        #expect(found.map(\.line) == [2, 2, 2, 5])
        #expect(found[0].message.contains("item 1 must be written in quotes (\"111122223333\")"))
        #expect(found[1].message.contains("\"12345\" is not an AWS account id"))
        #expect(found[3].message.contains("empty list, which allows no account"))
    }

    /// Settings written below a `[[rule]]` end up in the rule, or in its `match`: an error that
    /// says where the key has to go, on the key's line.
    @Test func settingsTOMLPlacedInARuleAreErrorsThatSayWhereToMoveThem() {
        let appended = errors(
            Self.issuer + """
                [[rule]]
                role = "arn:aws:iam::111122223333:role/r"
                [rule.match]
                project_path = "g/p"
                on_no_match = "fail"
                """)
        #expect(appended.count == 1 && appended[0].line == 6)
        #expect(
            appended[0].message
                == "`on_no_match` is a top-level setting, not a claim, but TOML reads it as a claim in the `match` of rule 1 because it is written below [rule.match]; move it above the first [[rule]]"
        )
        let inRule = errors(Self.issuer + MappingFixtures.rule("ref = \"main\"") + "on_no_match = \"fail\"\n")
        #expect(inRule.count == 1 && inRule[0].line == 5)
        #expect(inRule[0].message.contains("TOML puts it in rule 1 because it is written below that rule's [[rule]] header"))
        #expect(inRule[0].message.hasSuffix("move it above the first [[rule]]"))
        let roleBelowMatch = errors(
            Self.issuer + "[[rule]]\nname = \"x\"\n[rule.match]\nref = \"main\"\nrole = \"arn:aws:iam::111122223333:role/r\"\n")
        #expect(roleBelowMatch.map(\.line) == [2, 6])
        #expect(roleBelowMatch[0].message.contains("has no `role`"))
        #expect(roleBelowMatch[1].message.contains("`role` is a key of the rule, not a claim"))
        #expect(roleBelowMatch[1].message.hasSuffix("move it above [rule.match]"))
        let regionBelowMatch = errors(Self.issuer + "[[rule]]\nrole = \"arn:aws:iam::111122223333:role/r\"\n[rule.match]\nref = \"main\"\nregion = \"eu-west-1\"\n")
        #expect(regionBelowMatch.count == 1)
        #expect(regionBelowMatch[0].message.contains("to set it for this rule, or above the first [[rule]]"))
        let belowHop = errors(
            Self.issuer + MappingFixtures.rule("ref = \"main\"")
                + "[[rule.chain]]\nrole = \"arn:aws:iam::111122223333:role/s\"\nregion = \"eu-west-1\"\nmode = \"shadow\"\n")
        #expect(belowHop.map(\.line) == [7, 8])
        #expect(belowHop[0].message.contains("move it above the rule's first [[rule.chain]]"))
        #expect(belowHop[1].message.contains("`mode` is a top-level setting"))
    }

    @Test func acceptsLoopbackHTTP() throws {
        for issuer in ["http://127.0.0.1:8080", "http://localhost", "http://[::1]:9000/", "http://127.10.0.1"] {
            let mapping = try load(
                """
                issuer = "\(issuer)"
                [[rule]]
                role = "arn:aws:iam::111122223333:role/r"
                match = { ref = "main" }
                """
            ).mapping
            #expect(mapping.issuer == issuer)
        }
    }

    @Test func requiresTheIssuer() {
        let found = errors("region = \"us-east-1\"\n")
        #expect(found.count == 1)
        #expect(found[0].line == 1)
        #expect(found[0].message.contains("`issuer` is required"))
    }

    @Test func reportsTOMLSyntaxErrorsWithTheirLine() {
        let found = errors("issuer = \"https://gitlab.example.com\"\n\n[[rule]\nrole = 1\n")
        #expect(found.count == 1)
        #expect(found[0].line == 3)
        #expect(found[0].message.hasPrefix("not valid TOML: "))
        #expect(found[0].message.hasSuffix("(column 7)"))
    }

    @Test func warnsAboutClaimsGitLabDoesNotSend() throws {
        let loaded = try load(
            """
            issuer = "https://gitlab.example.com"
            [[rule]]
            role = "arn:aws:iam::111122223333:role/r"
            match = { projct_path = "g/p" }
            """)
        #expect(loaded.warnings.count == 1)
        #expect(loaded.warnings[0].line == 4)
        #expect(loaded.warnings[0].message.contains("did you mean `project_path`?"))
    }

    @Test func limitsSessionPoliciesAndPolicyARNs() {
        let big = String(repeating: "x", count: 2100)
        let arns = (1...11).map { "\"arn:aws:iam::aws:policy/P\($0)\"" }.joined(separator: ", ")
        let found = errors(
            """
            issuer = "https://gitlab.example.com"
            [[rule]]
            role = "arn:aws:iam::111122223333:role/r"
            match = { ref = "main" }
            session_policy = '{"Version": "\(big)"}'
            policy_arns = [\(arns)]

            [[rule]]
            role = "arn:aws:iam::111122223333:role/r"
            match = { ref = "main" }
            session_policy = "not json"
            policy_arns = "arn:aws:s3:::bucket"
            """)
        #expect(found.map(\.line) == [5, 6, 11, 12])
        #expect(found[0].message.contains("STS accepts at most 2048"))
        #expect(found[1].message.contains("at most 10"))
        #expect(found[2].message.contains("not valid JSON"))
        #expect(found[3].message.contains("is not an IAM policy ARN"))
    }

    @Test func collectsEveryErrorOfAValidTOMLFile() {
        let found = errors(
            """
            issuer = 1
            region = "nowhere"
            [[rule]]
            role = "r"
            match = { ref = 1.5 }
            [[rule]]
            match = { }
            """)
        #expect(found.map(\.line) == [1, 2, 4, 5, 6, 7])
    }

    @Test func suggestsNearMisses() {
        #expect(Suggestion.closest(to: "regoin", among: MappingLoader.topLevelKeys) == "region")
        #expect(Suggestion.closest(to: "issuer_url", among: MappingLoader.topLevelKeys) == nil)
        #expect(Suggestion.closest(to: "Issuer", among: MappingLoader.topLevelKeys) == "issuer")
    }
}

/// Reading the file: the only I/O of loading.
@Suite struct MappingFileTests {
    @Test func aMissingFileIsReportedWithoutALine() throws {
        let error = try #require(throws: ConfigError.self) {
            try MappingLoader.load(path: "/nonexistent/oidc-aws.toml")
        }
        #expect(error.errors.count == 1 && error.errors[0].line == 0)
        #expect(
            error.description.hasPrefix(
                "/nonexistent/oidc-aws.toml: error: cannot open /nonexistent/oidc-aws.toml: No such file or directory; check the --config path"
            ))
    }

    @Test func somethingElseThanARegularFileIsNamed() throws {
        let directory = TemporaryDirectory()
        let fifo = directory.path + "/fifo.toml"
        #expect(mkfifo(fifo, 0o600) == 0)
        for (path, kind) in [(directory.path, "a directory"), (fifo, "a FIFO (named pipe)"), ("/dev/null", "a device")] {
            let error = try #require(throws: ConfigError.self) { try MappingLoader.load(path: path) }
            #expect(error.description == "\(path): error: cannot read \(path): it is \(kind), not a regular file; give the path of the mapping file with --config")
        }
    }

    @Test func aFileIsReadWhole() throws {
        let directory = TemporaryDirectory()
        let text = MappingLoaderTests.issuer + (1...300).map { MappingFixtures.rule("project_id = \($0)") }.joined()
        directory.write("m.toml", text)
        let mapping = try MappingLoader.load(path: directory.path + "/m.toml").mapping
        #expect(mapping.rules.count == 300)
        #expect(mapping.rules[299].conditions[0].patterns == [Pattern("300")])
    }
}

/// Most rules of a large mapping take the loader's quick path; it must accept only what the
/// full check accepts without a word, and leave everything else to it.
@Suite struct PlainRuleTests {
    func plain(_ rule: String, settings: String = "") throws -> Bool {
        let document = try TOMLDocument(parsing: Array(rule.utf8))
        let table = try #require(document.root["rule"]?.array?.first?.table)
        let quick = MappingReader.plainRule(table, overrides: true) != nil
        var reader = MappingReader(path: "m.toml")
        let full = reader.readRule(
            table, at: try #require(document.root["rule"]?.array?.startIndex), number: 1,
            mapping: Mapping(issuer: "https://gitlab.example.com"))
        if quick { #expect(full != nil && reader.diagnostics.isEmpty, "\(rule): \(reader.diagnostics)") }
        return quick
    }

    @Test func theCommonShapesTakeIt() throws {
        #expect(try plain("[[rule]]\nrole = \"arn:aws:iam::111122223333:role/r\"\nmatch = { project_path = \"g/*\", ref = [\"main\", 1, true] }\n"))
        #expect(try plain("[[rule]]\nname = \"n\"\nrole = \"arn:aws-cn:iam::111122223333:role/p/r\"\nduration = 1800\nregion = \"eu-west-1\"\npolicy_arns = [\"arn:aws:iam::aws:policy/ReadOnlyAccess\"]\n[rule.match]\nproject_id = 4\n"))
    }

    @Test(arguments: [
        "role = \"arn:aws:iam::111122223333:role/r\"\nmatch = { projet_path = \"g/*\" }",
        "role = \"arn:aws:iam::111122223333:role/r\"\nmatch = { project_path = 1.5 }",
        "role = \"arn:aws:iam::111122223333:role/r\"\nmatch = { project_path = [] }",
        "role = \"arn:aws:iam::111122223333:role/r\"\nmatch = {}",
        "role = \"arn:aws:iam::1111:role/r\"\nmatch = { ref = \"main\" }",
        "role = \"arn:aws:iam::111122223333:role/r\"\nmatch = { ref = \"main\" }\nduration = 60",
        "role = \"arn:aws:iam::111122223333:role/r\"\nmatch = { ref = \"main\" }\nregion = \"eu-wset-1\"",
        "role = \"arn:aws:iam::111122223333:role/r\"\nmatch = { ref = \"main\" }\nsession_name = \"{nope}\"",
        "role = \"arn:aws:iam::111122223333:role/r\"\nmatch = { ref = \"main\" }\nprofile = \"p\"",
        "role = \"arn:aws:iam::111122223333:role/r\"\nmatch = { ref = \"main\", on_no_match = \"fail\" }",
        "role = \"arn:aws:iam::111122223333:role/r\"",
        "name = 1\nrole = \"arn:aws:iam::111122223333:role/r\"\nmatch = { ref = \"main\" }",
        "skip = true\nmatch = { ref = \"main\" }",
        "role = \"arn:aws:iam::111122223333:role/r\"\nmatch = { ref = \"main\" }\npolicy_arns = []",
    ])
    func everythingElseIsLeftToTheFullCheck(rule: String) throws {
        #expect(try !plain("[[rule]]\n" + rule + "\n"))
    }
}
