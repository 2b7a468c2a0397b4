import Testing

@testable import GitLabOIDCAWS

@Suite struct RuleMatcherTests {
    let mapping = try! MappingLoader.parse(
        source: """
            issuer = "https://gitlab.example.com"

            [[rule]]
            name = "prod"
            role = "arn:aws:iam::111122223333:role/prod"
            match = { project_path = "platform/infra", ref = "main", ref_protected = true, environment = "production" }

            [[rule]]
            name = "platform direct"
            role = "arn:aws:iam::111122223333:role/platform"
            match = { project_path = "platform/*" }

            [[rule]]
            name = "by id"
            role = "arn:aws:iam::111122223333:role/by-id"
            match = { project_id = [7, 8] }

            [[rule]]
            name = "everything"
            role = "arn:aws:iam::111122223333:role/all"
            match = { project_path = "**", ref_type = ["branch", "tag"] }
            """, path: "m.toml"
    ).mapping

    func winner(_ claims: [(String, String)]) -> String? {
        RuleMatcher.firstMatch(in: mapping.rules, claims: Claims(strings: claims))?.name
    }

    @Test func firstMatchingRuleWins() {
        let prod: [(String, String)] = [
            ("project_path", "platform/infra"), ("ref", "main"), ("ref_protected", "true"), ("environment", "production"),
            ("ref_type", "branch"),
        ]
        #expect(winner(prod) == "prod")
        #expect(RuleMatcher.allMatches(in: mapping.rules, claims: Claims(strings: prod)).map(\.name) == ["prod", "platform direct", "everything"])
    }

    @Test func everyConditionMustHold() {
        #expect(winner([("project_path", "platform/infra"), ("ref", "main"), ("ref_protected", "false"), ("environment", "production")]) == "platform direct")
    }

    @Test func singleStarDoesNotReachSubgroups() {
        #expect(winner([("project_path", "platform/a/b"), ("ref_type", "branch")]) == "everything")
        #expect(winner([("project_path", "platform/a")]) == "platform direct")
    }

    @Test func anyPatternOfAListMayMatch() {
        #expect(winner([("project_path", "x/y"), ("project_id", "8")]) == "by id")
        #expect(winner([("project_path", "x/y"), ("project_id", "9"), ("ref_type", "tag")]) == "everything")
    }

    @Test func aMissingClaimNeverMatches() {
        #expect(winner([("project_path", "x/y")]) == nil)
        let outcome = RuleMatcher.evaluate(mapping.rules[3], claims: Claims(strings: [("project_path", "x/y")]))
        #expect(outcome == .failed(mapping.rules[3].conditions[1], actual: nil))
    }

    @Test func booleansAndIntegersCompareAsGitLabSendsThem() throws {
        let claims = Claims(json: try JSONValue.parse(#"{"project_id":7,"ref_protected":true}"#))!
        #expect(claims.string("project_id") == "7")
        #expect(claims.string("ref_protected") == "true")
        #expect(RuleMatcher.firstMatch(in: mapping.rules, claims: claims)?.name == "by id")
    }

    @Test func claimsFromCIVariablesAreNotConsulted() {
        // Matching sees only the claims it is given: a job's CI_PROJECT_PATH has no way in.
        #expect(winner([("CI_PROJECT_PATH", "platform/infra"), ("project_path", "other/x"), ("ref_type", "branch")]) == "everything")
    }

    @Test func onePassFindsTheFirstMatchAndGoesOnOnlyWhenAsked() {
        let claims = Claims(strings: [("project_path", "platform/infra"), ("ref_type", "branch"), ("project_id", "7")])
        #expect(
            RuleMatcher.select(in: mapping.rules, claims: claims, continuingPast: { _ in false })
                == .matched(first: mapping.rules[1], later: []))
        var askedAbout: [Int] = []
        let all = RuleMatcher.select(
            in: mapping.rules, claims: claims,
            continuingPast: { rule in
                askedAbout.append(rule.number)
                return true
            })
        #expect(all == .matched(first: mapping.rules[1], later: [mapping.rules[2], mapping.rules[3]]))
        #expect(askedAbout == [2], "asked once, about the first match")
    }

    @Test func theClosestRuleHoldsTheMostConditionsAndTiesGoToTheEarlierOne() throws {
        let claims = Claims(strings: [
            ("project_path", "platform/infra"), ("ref", "main"), ("ref_protected", "false"), ("ref_type", "pipeline"),
        ])
        let withoutPlatform = mapping.rules.filter { $0.name != "platform direct" }
        guard case let .none(closest?) = RuleMatcher.select(in: withoutPlatform, claims: claims, continuingPast: { _ in true })
        else {
            Issue.record("a rule matched")
            return
        }
        #expect(closest.rule.name == "prod")
        #expect(closest.satisfied == 2)
        #expect(closest.description == #"rule 1 "prod" wants ref_protected = true; this job has false"#)

        let tie = try #require(RuleMatcher.closestMiss(in: mapping.rules, claims: Claims(strings: [("project_path", "x/y")])))
        #expect(tie.rule.name == "everything", "the only rule with a condition that holds")
        let none = try #require(RuleMatcher.closestMiss(in: mapping.rules, claims: Claims(strings: [])))
        #expect(none.rule.name == "prod", "no condition holds anywhere: the first rule")
        #expect(none.description == #"rule 1 "prod" wants project_path = "platform/infra"; this job's token has no project_path"#)
    }

    @Test func skipRulesAreNeverTheClosest() {
        let skip = Rule(
            number: 1, line: 1, name: "skip", conditions: [Condition(claim: "ref", patterns: [Pattern("x")], line: 1)],
            action: .skip)
        #expect(RuleMatcher.closestMiss(in: [skip], claims: Claims(strings: [("ref", "y")])) == nil)
    }

    @Test func claimValuesInMessagesStayOnOneLineAndShort() {
        #expect(RuleMiss.shown("42") == "42")
        #expect(RuleMiss.shown("true") == "true")
        #expect(RuleMiss.shown("main") == #""main""#)
        #expect(RuleMiss.shown("a\nb") == #""a b""#)
        #expect(RuleMiss.shown(String(repeating: "x", count: 500)).count < 140)
    }
}
