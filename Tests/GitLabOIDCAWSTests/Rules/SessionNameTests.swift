import Testing

@testable import GitLabOIDCAWS

@Suite struct SessionNameTests {
    let claims = Claims(strings: [
        ("project_id", "42"), ("job_id", "1001"), ("project_path", "group/sub project"), ("ref", "feature/ä"),
    ])

    @Test func rendersTheDefaultTemplate() {
        #expect(SessionName.render("gitlab-{project_id}-{job_id}", claims: claims) == "gitlab-42-1001")
    }

    @Test func replacesDisallowedCharacters() {
        #expect(SessionName.render("{project_path}@{ref}", claims: claims) == "group-sub-project@feature--")
        #expect(SessionName.sanitise("a+b=c,d.e@f_g-h") == "a+b=c,d.e@f_g-h")
        #expect(SessionName.sanitise("a b/c:d") == "a-b-c-d")
    }

    @Test func missingClaimRendersEmpty() {
        #expect(SessionName.render("x-{environment}-{job_id}", claims: claims) == "x--1001")
    }

    @Test func cutsToSixtyFourCharacters() {
        let long = Claims(strings: [("ref", String(repeating: "r", count: 100))])
        let name = SessionName.render("gitlab-{ref}", claims: long)
        #expect(name.count == 64)
        #expect(name.hasPrefix("gitlab-rrr"))
    }

    @Test func tooShortFallsBackToJobID() {
        #expect(SessionName.render("{environment}", claims: claims) == "gitlab-1001")
        #expect(SessionName.render("{project_id}", claims: Claims(strings: [("project_id", "7"), ("job_id", "9")])) == "gitlab-9")
    }

    @Test func templateProblemsAreReported() {
        #expect(SessionName.placeholders(in: "a-{b}-{c}") == .success(["b", "c"]))
        #expect(SessionName.placeholders(in: "a-{b") == .failure(.unclosedBrace))
        #expect(SessionName.placeholders(in: "a-{}") == .failure(.emptyPlaceholder))
        #expect(SessionName.placeholders(in: "{a{b}}") == .failure(.nestedBrace))
    }
}
