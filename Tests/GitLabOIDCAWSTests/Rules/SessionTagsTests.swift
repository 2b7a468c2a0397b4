import Testing

@testable import GitLabOIDCAWS

@Suite struct SessionTagsTests {
    let claims = Claims(strings: [
        ("project_path", "group/project"), ("ref", "feat/ünï côde*[x]#1"), ("environment", "prod env/β"),
    ])

    @Test func valuesComeFromClaimsAndMissingClaimsDropTheTag() {
        let (tags, transitive) = SessionTags.render(
            [
                SessionTagTemplate(key: "project", value: "{project_path}"),
                SessionTagTemplate(key: "where", value: "{environment}@{ref}"),
                SessionTagTemplate(key: "tier", value: "{deployment_tier}"),
                SessionTagTemplate(key: "fixed", value: "ci"),
            ], transitiveKeys: ["tier", "project", "unknown"], claims: claims)
        #expect(
            tags == [
                SessionTag(key: "project", value: "group/project"),
                SessionTag(key: "where", value: "prod env/β@feat/ünï côde--x--1"),
                SessionTag(key: "fixed", value: "ci"),
            ])
        #expect(transitive == ["project"])
    }

    @Test func keysAndValuesAreSanitisedAndCut() {
        let long = String(repeating: "ä", count: 300)
        let (tags, transitive) = SessionTags.render(
            [SessionTagTemplate(key: "k!" + long, value: long + "{ref}")], transitiveKeys: ["k!" + long], claims: claims)
        #expect(tags.count == 1)
        #expect(tags[0].key.unicodeScalars.count == 128 && tags[0].key.hasPrefix("k-ä"))
        #expect(tags[0].value.unicodeScalars.count == 256)
        #expect(transitive == [tags[0].key])
    }
}
