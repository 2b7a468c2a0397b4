import Testing

@testable import GitLabOIDCAWS

@Suite struct MappingLoaderTests {
    func load(_ source: String) throws(ConfigError) -> LoadedMapping {
        try MappingLoader.parse(source: source, path: "oidc-aws.toml")
    }

    /// The diagnostics of a mapping that must fail to load.
    func errors(_ source: String) -> [ConfigDiagnostic] {
        do {
            _ = try load(source)
            Issue.record("the mapping loaded but should not have")
            return []
        } catch {
            return error.errors
        }
    }

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
        #expect(second.assumption?.sessionPolicy?.hasPrefix("{\"Statement\":[{") == true)
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
            """)
        #expect(found.count == 2)
        #expect(found[0].line == 2)
        #expect(found[0].message.contains("unknown key `regoin`"))
        #expect(found[0].message.contains("did you mean `region`?"))
        #expect(found[1].line == 6)
        #expect(found[1].message.contains("`durration` in rule 1"))
        #expect(found[1].message.contains("did you mean `duration`?"))
        #expect(found[1].description.hasPrefix("oidc-aws.toml:6: error: "))
    }

    @Test func reportsWrongTypesAndRanges() {
        let found = errors(
            """
            issuer = "https://gitlab.example.com"
            duration = "3600"
            on_no_match = "ignore"
            region = "Europe"

            [[rule]]
            name = "short"
            role = "arn:aws:iam::111122223333:role/r"
            duration = 600
            match = { project_path = "g/p" }
            """)
        #expect(found.map(\.line) == [2, 3, 4, 9])
        #expect(found[0].message.contains("`duration` must be an integer"))
        #expect(found[1].message.contains("must be \"skip\" or \"fail\""))
        #expect(found[2].message.contains("not an AWS region"))
        #expect(found[3].message.contains("rule 1 \"short\": `duration` is 600 but must be between 900 and 43200"))
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
            """)
        #expect(found.map(\.line) == [1, 2, 5, 9])
        #expect(found[0].message.contains("plain http:// is only accepted for loopback hosts"))
        #expect(found[1].message.contains("must start with https://"))
        #expect(found[2].message.contains("is not an IAM role ARN"))
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
        #expect(found[0].message.contains("`issuer` is required"))
    }

    @Test func reportsTOMLSyntaxErrorsWithTheirLine() {
        let found = errors("issuer = \"https://gitlab.example.com\"\n\n[[rule]\nrole = 1\n")
        #expect(found.count == 1)
        #expect(found[0].line == 3)
        #expect(found[0].message.hasPrefix("not valid TOML"))
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
            """)
        #expect(found.map(\.line) == [5, 6, 11])
        #expect(found[0].message.contains("STS accepts at most 2048"))
        #expect(found[1].message.contains("at most 10"))
        #expect(found[2].message.contains("not valid JSON"))
    }

    @Test func keyLinesSurviveMultiLineStringsAndArrays() {
        let lines = TOMLKeyLines(
            source: """
                issuer = "https://gitlab.example.com"
                audience = [
                  "a",   # comment with key = "x"
                  "b",
                ]
                [[rule]]
                session_policy = '''
                { "fake": "key = 1" }
                [[rule]]
                '''
                role = "r"
                [rule.match]
                "ref" = "main"
                [[rule]]
                match.project_path = "x"
                """)
        #expect(lines.line(of: "issuer") == 1)
        #expect(lines.line(of: "audience") == 2)
        #expect(lines.line(of: "rule[1]") == 6)
        #expect(lines.line(of: "rule[1].session_policy") == 7)
        #expect(lines.line(of: "rule[1].role") == 11)
        #expect(lines.line(of: "rule[1].match") == 12)
        #expect(lines.line(of: "rule[1].match.ref") == 13)
        #expect(lines.line(of: "rule[2]") == 14)
        #expect(lines.line(of: "rule[2].match.project_path") == 15)
        #expect(lines.line(of: "rule[3]") == nil)
        #expect(lines.nearestLine(of: "rule[2].match.unknown") == 15)
        #expect(lines.nearestLine(of: "rule[2].role") == 14)
    }

    @Test func suggestsNearMisses() {
        #expect(Suggestion.closest(to: "regoin", among: MappingLoader.topLevelKeys) == "region")
        #expect(Suggestion.closest(to: "issuer_url", among: MappingLoader.topLevelKeys) == nil)
        #expect(Suggestion.closest(to: "Issuer", among: MappingLoader.topLevelKeys) == "issuer")
    }
}
