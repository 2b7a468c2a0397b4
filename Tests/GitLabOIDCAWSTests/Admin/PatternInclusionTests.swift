import GitLabOIDCAWSTestSupport
import Testing

@testable import GitLabOIDCAWS

@Suite struct PatternInclusionTests {
    func answer(_ lhs: [String], _ rhs: [String], pathShaped: Bool = false) -> PatternInclusion.Answer {
        PatternInclusion.check([lhs.map(Pattern.init)], in: rhs.map(Pattern.init), pathShaped: pathShaped)
    }

    func included(_ lhs: [String], _ rhs: [String]) -> Bool { answer(lhs, rhs) == .included }

    @Test func literalsAndWildcards() {
        #expect(included(["a"], ["a"]))
        #expect(!included(["a"], ["b"]))
        #expect(included(["a"], ["*"]))
        #expect(included(["*"], ["**"]))
        #expect(!included(["**"], ["*"]))
        #expect(included(["a*"], ["*"]))
        #expect(!included(["*"], ["a*"]))
        #expect(included(["g/p"], ["g/*"]))
        #expect(!included(["g/p/q"], ["g/*"]))
        #expect(included(["g/p/q"], ["g/**"]))
        #expect(included(["x*y"], ["x**"]))
        #expect(included([""], ["*"]))
        #expect(included([""], ["**"]))
        #expect(!included([""], ["?"]))
    }

    @Test func equivalentSpellings() {
        // Both mean "has at least one /".
        #expect(included(["*/**"], ["**/*"]))
        #expect(included(["**/*"], ["*/**"]))
        #expect(included(["*/**"], ["**/**"]))
        #expect(!included(["**/**"], ["*/*"]))
    }

    @Test func unionsOnTheRightCanCoverTogether() {
        // Neither covers "**" alone; together they do (no slash, or some slash).
        #expect(!included(["**"], ["*"]))
        #expect(!included(["**"], ["*/**"]))
        #expect(included(["**"], ["*", "*/**"]))
        #expect(included(["a", "b"], ["a", "b*"]))
        #expect(!included(["a", "ab", "c"], ["a", "b*"]))
    }

    @Test func intersectionsOnTheLeft() {
        let lhs: [[Pattern]] = [[Pattern("**")], [Pattern("*/**")]]
        #expect(PatternInclusion.check(lhs, in: [Pattern("*/**")]) == .included)
        #expect(PatternInclusion.check([[Pattern("a*")], [Pattern("*b")]], in: [Pattern("a**b"), Pattern("ab")]) == .included)
        #expect(PatternInclusion.check([], in: [Pattern("**")]) == .included)
        #expect(PatternInclusion.check([], in: [Pattern("*")]) == .notIncluded(witness: "/"))
    }

    @Test func witnessesAreReal() throws {
        for (lhs, rhs) in [("**", "*"), ("release/**", "release/*"), ("a*", "a"), ("g/**/p", "g/*/p")] {
            guard case let .notIncluded(witness) = answer([lhs], [rhs]) else {
                Issue.record("\(lhs) is not included in \(rhs)")
                continue
            }
            #expect(Pattern(lhs).matches(witness) && !Pattern(rhs).matches(witness), "\(lhs) \(rhs) \(witness)")
        }
    }

    @Test func theSearchFindsAShortestWitness() {
        // No quick candidate works here ("ab", "axb", "ax/xb" are all accepted on the right).
        #expect(answer(["a**b"], ["a*b", "a*/*b"]) == .notIncluded(witness: "a//b"))
    }

    @Test func pathShapedValuesHaveNoEmptySegments() {
        guard case let .notIncluded(witness) = answer(["release/**"], ["release/*"], pathShaped: true) else {
            Issue.record("expected not included")
            return
        }
        #expect(Pattern("release/**").matches(witness))
        #expect(!Pattern("release/*").matches(witness))
        #expect(!witness.contains("//") && !witness.hasSuffix("/"))
        // "**" and "*/**" differ only on values such as "" and "/", which are not path-shaped...
        #expect(answer(["**"], ["*", "*/*/**", "*/*"], pathShaped: true) == .included)
        // ...but a path with a trailing segment still counts.
        #expect(answer(["**"], ["*/*"], pathShaped: true) != .included)
    }

    @Test func widenedMakesEveryWildcardCrossSlashes() {
        #expect(Pattern("g/*/p").widened == Pattern("g/**/p"))
        #expect(Pattern("*").widened.matches("a/b"))
        #expect(Pattern("main").widened == Pattern("main"))
        #expect(Pattern("a*").hasSegmentWildcard)
        #expect(!Pattern("a**").hasSegmentWildcard)
    }

    /// Every answer is checked against the matcher: a witness must be accepted on the left and
    /// refused on the right, and "included" must hold for every short value.
    @Test func agreesWithTheMatcherOnRandomPatterns() {
        var random = SeededGenerator(state: 7)
        let pieces = ["a", "b", "/", "*", "**"]
        func randomPattern() -> String {
            (0..<Int.random(in: 0...4, using: &random)).map { _ in pieces.randomElement(using: &random)! }.joined()
        }
        var values: [String] = [""]
        var frontier: [String] = [""]
        for _ in 0..<5 {
            frontier = frontier.flatMap { prefix in ["a", "b", "/", "c"].map { prefix + $0 } }
            values += frontier
        }
        for _ in 0..<400 {
            let lhs = (0..<Int.random(in: 1...2, using: &random)).map { _ in Pattern(randomPattern()) }
            let rhs = (0..<Int.random(in: 1...2, using: &random)).map { _ in Pattern(randomPattern()) }
            let accepted = { (patterns: [Pattern], value: String) in patterns.contains { $0.matches(value) } }
            switch PatternInclusion.check([lhs], in: rhs) {
            case let .notIncluded(witness):
                #expect(accepted(lhs, witness) && !accepted(rhs, witness), "\(lhs) \(rhs) \(witness)")
            case .included:
                for value in values where accepted(lhs, value) {
                    #expect(accepted(rhs, value), "\(lhs) ⊆ \(rhs) claimed, but \(value)")
                }
            case .undecided:
                Issue.record("small patterns must be decided: \(lhs) \(rhs)")
            }
        }
    }

    @Test func givesUpBeyondTheStateBudget() {
        let lhs = [[Pattern("a**b")]]
        let rhs = [Pattern("a*b"), Pattern("a*/*b")]
        #expect(PatternInclusion.check(lhs, in: rhs, stateBudget: 1) == .undecided)
        #expect(PatternInclusion.check(lhs, in: rhs) == .notIncluded(witness: "a//b"))
    }
}
