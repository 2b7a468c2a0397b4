import TOML
import TOMLTestSupport
import Testing

/// The `toml` fuzz target's invariants (`TOMLFuzz.run`), on its corpus and on every toml-test
/// document.
@Suite struct FuzzInvariantTests {
    @Test func replaysTheCorpus() throws {
        let directory = TestFiles.repository + "/Fuzz/corpus/toml"
        let names = TestFiles.names(in: directory)
        #expect(names.count >= 10, "the seed corpus in \(directory) is missing")
        for name in names {
            let input = try #require(TestFiles.read("\(directory)/\(name)"), "cannot read \(name)")
            TOMLFuzz.run(input)
        }
    }

    @Test func holdForEveryTOMLTestDocument() throws {
        let suite = try TOMLTestSuiteTests.suite()
        let documents = suite.files.filter { $0.hasSuffix(".toml") }
        for file in documents {
            TOMLFuzz.run(try #require(TestFiles.read("\(suite.directory)/\(file)"), "cannot read \(file)"))
        }
        #expect(!documents.isEmpty)
    }

    /// The renderer is what the round trip relies on: it must be able to fail.
    @Test func theComparisonSeesDifferences() throws {
        let left = try TOMLDocument(parsing: Array("a = [1, {b = nan}]\n".utf8))
        for other in ["a = [1, {b = -nan}]\n", "a = [1, {c = nan}]\n", "a = [1.0, {b = nan}]\n", "a = [1]\n"] {
            let right = try TOMLDocument(parsing: Array(other.utf8))
            #expect(TOMLComparison.difference(left.root.value, right.root.value) != nil, "\(other)")
        }
        #expect(TOMLComparison.difference(left.root.value, left.root.value) == nil)
    }
}
