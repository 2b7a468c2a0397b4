import Testing

@testable import GitLabOIDCAWS

@Suite struct PatternTests {
    @Test func literalMatchesWholeValueOnly() {
        let pattern = Pattern("platform/infra")
        #expect(pattern.matches("platform/infra"))
        #expect(!pattern.matches("platform/infra2"))
        #expect(!pattern.matches("xplatform/infra"))
        #expect(!pattern.matches(""))
    }

    @Test func singleStarStopsAtSlash() {
        let pattern = Pattern("platform/*")
        #expect(pattern.matches("platform/a"))
        #expect(pattern.matches("platform/"))
        #expect(!pattern.matches("platform/a/b"))
        #expect(!pattern.matches("platform"))
    }

    @Test func doubleStarCrossesSlashes() {
        let pattern = Pattern("platform/**")
        #expect(pattern.matches("platform/a"))
        #expect(pattern.matches("platform/a/b/c"))
        #expect(pattern.matches("platform/"))
        #expect(!pattern.matches("platformx/a"))
    }

    @Test func wildcardsMatchTheEmptyString() {
        #expect(Pattern("*").matches(""))
        #expect(Pattern("**").matches(""))
        #expect(Pattern("a*b").matches("ab"))
        #expect(Pattern("a**b").matches("ab"))
    }

    @Test func doubleStarMayStandAnywhere() {
        #expect(Pattern("**/deploy").matches("group/sub/deploy"))
        #expect(Pattern("group/**/infra").matches("group/a/b/infra"))
        #expect(Pattern("group/**/infra").matches("group//infra"))
        #expect(!Pattern("group/**/infra").matches("group/infra"))
        #expect(Pattern("release-**").matches("release-1.2/hotfix"))
    }

    @Test func dotAndQuestionMarkAreLiteral() {
        #expect(Pattern("v1.2").matches("v1.2"))
        #expect(!Pattern("v1.2").matches("v1x2"))
        #expect(Pattern("a?c").matches("a?c"))
        #expect(!Pattern("a?c").matches("abc"))
    }

    @Test func severalWildcardsBacktrack() {
        let pattern = Pattern("*-*-prod")
        #expect(pattern.matches("eu-west-prod"))
        #expect(pattern.matches("a-b-c-prod"))
        #expect(!pattern.matches("a/b-c-prod"))
        #expect(Pattern("**a**a**a**b").matches(String(repeating: "a", count: 500) + "b"))
        #expect(!Pattern("**a**a**a**b").matches(String(repeating: "a", count: 500)))
    }

    @Test func adjacentWildcardsCollapse() {
        #expect(Pattern("a***b").pieces == Pattern("a**b").pieces)
        #expect(Pattern("a*/b").matches("ax/b"))
        #expect(Pattern("**").matchesEverything)
        #expect(Pattern("abc").isLiteral)
    }

    @Test func multiByteCharactersAreLiteral() {
        #expect(Pattern("grüppe/*").matches("grüppe/prøject"))
        #expect(!Pattern("grüppe/*").matches("gruppe/x"))
    }
}
