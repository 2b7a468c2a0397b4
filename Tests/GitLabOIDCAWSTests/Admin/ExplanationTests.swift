import GitLabOIDCAWSTestSupport
import Testing

@testable import GitLabOIDCAWS

@Suite struct ExplanationTests {
    let rules =
        MappingFixtures.rule(#"project_path = "platform/infra", ref = "main", environment = "production""#, role: "prod", name: "prod")
        + MappingFixtures.rule(#"project_path = ["g/*", "h/*"]"#, role: "apps")

    func explain(_ claims: [(String, String)], settings: String = "") throws -> Explanation {
        Explanation(mapping: try MappingFixtures.load(rules, settings: settings).mapping, claims: Claims(strings: claims))
    }

    @Test func eachRuleTriedSaysWhichConditionFailedAndWhy() throws {
        let report = try explain([("project_path", "g/app"), ("ref_type", "branch"), ("ref", "dev"), ("job_id", "9"), ("project_id", "5")])
        let lines = report.text.split(separator: "\n").map(String.init)
        #expect(lines[0].hasPrefix("rule 1 \"prod\" (line "))
        #expect(lines[0].contains(#"no match: project_path is "g/app", wanted "platform/infra" (line "#))
        #expect(lines[1].hasPrefix("rule 2 (line ") && lines[1].hasSuffix("): matches"))
        #expect(lines.contains("role: arn:aws:iam::111122223333:role/apps"))
        #expect(lines.contains("session name: gitlab-5-9"))
        #expect(lines.contains("duration: 3600 s"))
        #expect(lines.contains("region: us-east-1"))
        #expect(lines.contains { $0.hasPrefix("sub seen by AWS: project_path:g/app:ref_type:branch:ref:dev (no sub claim given") })
        #expect(lines.contains { $0.hasPrefix("trust policy: admits this sub (as `trust-policy --role ") })
        #expect(report.winner?.number == 2)
    }

    @Test func aMissingClaimIsSaidToBeMissing() throws {
        let report = try explain([("project_path", "platform/infra"), ("ref", "main")])
        #expect(report.text.contains(#"no match: environment is missing from the token, wanted "production""#))
    }

    @Test func withoutAWinnerItSaysWhatTheHookWillDo() throws {
        let skip = try explain([("project_path", "x/y")])
        #expect(skip.winner == nil)
        #expect(skip.text.hasSuffix(#"no rule matches; on_no_match = "skip": the hook writes nothing and the job runs without AWS credentials from it"#))
        let fail = try explain([("project_path", "x/y")], settings: #"on_no_match = "fail""#)
        #expect(fail.text.contains(#"on_no_match = "fail": the hook fails the job (exit 1)"#))
        #expect(fail.json["match"] == .null)
        #expect(fail.json["on_no_match"] == .string("fail"))
    }

    @Test func aGivenSubIsTestedAgainstTheTrustPolicy() throws {
        let custom = try explain([("project_path", "g/app"), ("sub", "project_path:g/app:ref:main")])
        #expect(custom.subject == Explanation.Subject(value: "project_path:g/app:ref:main", derived: false))
        #expect(custom.trustAdmitsSubject == false)
        #expect(custom.text.contains("does NOT admit this sub"))
        let unknown = try explain([("project_path", "g/app")])
        #expect(unknown.subject == nil)
        #expect(unknown.text.contains("sub seen by AWS: unknown"))
    }

    @Test func theJSONReportHasEveryRuleTriedAndTheMatch() throws {
        let json = try explain([("project_path", "g/app"), ("ref_type", "tag"), ("ref", "v1"), ("job_id", "3")]).json
        let reparsed = try JSONValue.parse(json.prettyText)
        guard case let .array(tried)? = reparsed["rules"] else {
            Issue.record("no rules")
            return
        }
        #expect(tried.count == 2)
        #expect(tried[0]["matched"] == .bool(false))
        #expect(tried[0]["name"] == .string("prod"))
        #expect(tried[0]["failed"]?["claim"] == .string("project_path"))
        #expect(tried[0]["failed"]?["actual"] == .string("g/app"))
        #expect(tried[0]["failed"]?["wanted"] == .array([.string("platform/infra")]))
        #expect(tried[1]["matched"] == .bool(true))
        #expect(tried[1]["name"] == .null)
        let match = reparsed["match"]
        #expect(match?["role"] == .string("arn:aws:iam::111122223333:role/apps"))
        #expect(match?["session_name"] == .string("gitlab--3"))
        #expect(match?["duration"] == .integer(3600))
        #expect(match?["sub"] == .string("project_path:g/app:ref_type:tag:ref:v1"))
        #expect(match?["sub_derived"] == .bool(true))
        #expect(match?["trust_policy_admits_sub"] == .bool(true))
    }

    @Test func defaultSubjectNeedsAllThreeClaims() {
        #expect(GitLabSubject.defaultSubject(Claims(strings: [("ref", "main"), ("ref_type", "branch"), ("project_path", "g/p")]))
            == "project_path:g/p:ref_type:branch:ref:main")
        #expect(GitLabSubject.defaultSubject(Claims(strings: [("project_path", "g/p")])) == nil)
    }

    @Test func aChainIsShownHopByHopAsTheHookWouldAssumeIt() {
        let report = Explanation(
            mapping: MappingModelTests.mapping,
            claims: Claims(strings: [("project_path", "group/project"), ("ref", "main"), ("job_id", "1001"), ("project_id", "42")]))
        let lines = report.text.split(separator: "\n").map(String.init)
        #expect(lines.contains("role: arn:aws:iam::111122223333:role/entry"))
        #expect(lines.contains("session name: gitlab-42-1001"))
        #expect(
            lines.contains(
                "chain hop 2: arn:aws:iam::444455556666:role/target as session hop-1001, 1200 s, with an external id, with session policies, tags project=group/project, ref=main (transitive: project)"
            ))
        #expect(lines.contains("profile default: arn:aws:iam::111122223333:role/entry -> arn:aws:iam::444455556666:role/target (rule 2 \"chained\")"))
        guard case let .array(hops)? = report.json["match"]?["chain"], let hop = hops.first else {
            Issue.record("no chain in the JSON report")
            return
        }
        #expect(hop["tags"]?["ref"] == .string("main"))
        #expect(hop["external_id"] == .bool(true))
    }
}
