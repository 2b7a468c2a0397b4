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
}

@Suite struct RetrierTests {
    final class FakeTime: @unchecked Sendable {
        var now = 0.0
        var sleeps: [Double] = []
    }

    func retrier(_ time: FakeTime, attempts: Int = 5, deadline: Double = 60) -> Retrier {
        var settings = RetrySettings()
        settings.maxAttempts = attempts
        settings.deadline = deadline
        let clock = Clock(now: { 0 }, monotonic: { time.now }, sleep: { time.sleeps.append($0); time.now += $0 })
        var retrier = Retrier(settings: settings, clock: clock, log: { _ in })
        retrier.random = { 0.999 }
        return retrier
    }

    struct Failure: Error { let retry: Bool }

    @Test func retriesWithGrowingBackoffUntilSuccess() throws {
        let time = FakeTime()
        var calls = 0
        let value = try retrier(time).run(
            "x",
            operation: { (_: Double) throws(Failure) -> Int in
                calls += 1
                if calls < 4 { throw Failure(retry: true) }
                return 42
            }, classify: { error, _ in error.retry ? .retry : .stop })
        #expect(value == 42)
        #expect(calls == 4)
        #expect(time.sleeps.count == 3)
        #expect(time.sleeps[0] < 0.2 && time.sleeps[1] < 0.4 && time.sleeps[2] < 0.8 && time.sleeps[2] > 0.79)
    }

    @Test func stopsOnPermanentErrorsAndAtTheLimit() {
        let time = FakeTime()
        var calls = 0
        #expect(throws: Failure.self) {
            try retrier(time).run(
                "x", operation: { (_: Double) throws(Failure) -> Int in calls += 1; throw Failure(retry: false) },
                classify: { error, _ in error.retry ? .retry : .stop })
        }
        #expect(calls == 1)
        calls = 0
        #expect(throws: Failure.self) {
            try retrier(time, attempts: 3).run(
                "x", operation: { (_: Double) throws(Failure) -> Int in calls += 1; throw Failure(retry: true) },
                classify: { error, _ in error.retry ? .retry : .stop })
        }
        #expect(calls == 3)
    }

    @Test func respectsTheDeadlineAndShrinksTheLastTimeout() {
        let time = FakeTime()
        var timeouts: [Double] = []
        #expect(throws: Failure.self) {
            try retrier(time, attempts: 20, deadline: 20).run(
                "x",
                operation: { (timeout: Double) throws(Failure) -> Int in
                    timeouts.append(timeout)
                    time.now += 7
                    throw Failure(retry: true)
                }, classify: { _, _ in .retry })
        }
        #expect(time.now <= 22)
        #expect(timeouts.first == 15)
        #expect(timeouts.count >= 2 && timeouts.last! < 15)
    }
}

@Suite struct JSONAndURLTests {
    @Test func roundTripsJSONKeepingKeyOrder() throws {
        let value = try JSONValue.parse(#"{"b":1,"a":[true,null,"x\u00e9"],"c":{"d":1.5}}"#)
        #expect(value.compactText == #"{"b":1,"a":[true,null,"xé"],"c":{"d":1.5}}"#)
        #expect(throws: JSONError.self) { try JSONValue.parse("{") }
        #expect(throws: JSONError.self) { try JSONValue.parse(#"{"a":1,"a":2}"#) }
    }

    @Test func endpointRules() {
        func ok(_ text: String) -> Bool { if case .success = EndpointURL.parse(text) { true } else { false } }
        #expect(ok("https://gitlab.example.com"))
        #expect(ok("https://gitlab.example.com:8443/path"))
        #expect(ok("http://127.0.0.1:9/"))
        #expect(ok("http://localhost:80"))
        #expect(ok("http://[::1]:8080"))
        #expect(!ok("http://gitlab.example.com"))
        #expect(!ok("http://127.0.0.1.evil.com/"))
        #expect(!ok("http://localhost.evil.com/"))
        #expect(!ok("https://user:pw@gitlab.example.com"))
        #expect(!ok("https://"))
        #expect(!ok("https://host:port/"))
        #expect(!ok("gitlab.example.com"))
        #expect(!ok("https://gitlab example.com"))
    }

    @Test func roleARNs() {
        let arn = RoleARN("arn:aws-cn:iam::111122223333:role/path/to/deploy")
        #expect(arn?.partition == "aws-cn")
        #expect(arn?.name == "deploy")
        #expect(arn?.description == "arn:aws-cn:iam::111122223333:role/path/to/deploy")
        #expect(RoleARN("arn:aws:iam::111122223333:user/x") == nil)
        #expect(RoleARN("arn:aws:iam::11112222333:role/x") == nil)
        #expect(RoleARN("arn:aws:iam::111122223333:role/") == nil)
        #expect(RoleARN("arn:aws:iam::111122223333:role/a b") == nil)
        #expect(RoleARN("arn:aws:iam::111122223333:role/path/") == nil)
        #expect(RoleARN("arn:aws:iam::111122223333:role/" + String(repeating: "n", count: 64))?.name.count == 64)
        #expect(RoleARN("arn:aws:iam::111122223333:role/p/" + String(repeating: "n", count: 65)) == nil)
        #expect(RoleARN("arn:aws:iam:x:111122223333:role/r") == nil)
        #expect(RoleARN("arn:aws-eu:iam::111122223333:role/r") == nil)
        #expect(RoleARN("arn:aws:iam::111122223333:role/a:b") == nil)
        #expect(RoleARN("arn:aws:iam::111122223333") == nil)
        #expect(RoleARN("arn:aws:iam::1111222233é3:role/r") == nil)
        #expect(AWSRegion.isValid("us-gov-west-1") && AWSRegion.isValid("eu-central-2") && !AWSRegion.isValid("us-east"))
    }
}
