import Glibc
import Testing

@testable import GitLabOIDCAWS

/// Replays every input in `Fuzz/corpus/<target>/` (the seeds, and every input that once
/// crashed a fuzzer) through the same entry point the fuzzer runs.
@Suite struct FuzzCorpusTests {
    static let corpus: String = {
        var parts = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(4)  // Tests/GitLabOIDCAWSTests/Support/FuzzCorpusTests.swift
        return parts.joined(separator: "/") + "/Fuzz/corpus"
    }()

    static func files(in directory: String) -> [String] {
        guard let handle = opendir(directory) else { return [] }
        defer { closedir(handle) }
        var names: [String] = []
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if !name.hasPrefix(".") { names.append(name) }
        }
        return names.sorted().map { "\(directory)/\($0)" }
    }

    @Test(arguments: FuzzEntryPoints.targets.map(\.name))
    func replaysTheCorpus(target: String) throws {
        let run = try #require(FuzzEntryPoints.targets.first { $0.name == target }?.run)
        let inputs = FuzzCorpusTests.files(in: "\(FuzzCorpusTests.corpus)/\(target)")
        #expect(inputs.count >= 5, "the seed corpus of \(target) is missing")
        for path in inputs {
            run(try FileSystem.read(path))
        }
    }

    @Test func theReferenceMatcherFollowsTheContract() {
        func matches(_ pattern: String, _ value: String) -> Bool {
            ReferenceGlob(pattern: Array(pattern.utf8), value: Array(value.utf8)).matches()
        }
        #expect(matches("group/*", "group/project"))
        #expect(!matches("group/*", "group/sub/project"))
        #expect(matches("group/**", "group/sub/project"))
        #expect(matches("**", ""))
        #expect(matches("a*b", "ab"))
        #expect(!matches("v1.?", "v1.0"))
    }
}
