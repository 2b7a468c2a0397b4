import TOML
import TOMLTestSupport
import Testing

/// Every TOML 1.0.0 document of the toml-test suite (toml-lang/toml-test), read in place:
/// `$TOML_TEST_DIR` if set, else `../shared/toml-test` next to the repository (the tests fail
/// when it is not there). Only the files listed in its `files-toml-1.0.0` are used.
@Suite struct TOMLTestSuiteTests {
    struct Suite {
        let directory: String
        let files: [String]
    }

    static func suite() throws -> Suite {
        let directory = TestFiles.environment("TOML_TEST_DIR") ?? TestFiles.repository + "/../shared/toml-test"
        if let list = TestFiles.read(directory + "/files-toml-1.0.0") {
            let files = String(decoding: list, as: UTF8.self).split(separator: "\n").map(String.init)
            return Suite(directory: directory, files: files)
        }
        let message =
            "the toml-test suite was not found: there is no \(directory)/files-toml-1.0.0; set TOML_TEST_DIR to the "
            + "folder of toml-test's TOML 1.0.0 documents"
        Issue.record(Comment(rawValue: message))
        throw SuiteMissing()
    }

    struct SuiteMissing: Error {}

    @Test func everyValidDocumentDecodesToItsJSON() throws {
        let suite = try Self.suite()
        let documents = suite.files.filter { $0.hasPrefix("valid/") && $0.hasSuffix(".toml") }
        var failures: [String] = []
        for file in documents {
            let path = "\(suite.directory)/\(file)"
            let jsonPath = String(path.dropLast(5)) + ".json"
            guard let source = TestFiles.read(path), let json = TestFiles.read(jsonPath),
                let expected = TaggedValue(json: json)
            else {
                failures.append("\(file): cannot read it or its .json")
                continue
            }
            do {
                let document = try TOMLDocument(parsing: source)
                if let difference = TaggedValue(document).difference(from: expected) {
                    failures.append("\(file): \(difference)")
                }
                let positions = PositionCheck.problems(in: document)
                if !positions.isEmpty { failures.append("\(file): wrong positions \(positions.prefix(3))") }
            } catch {
                failures.append("\(file): refused: \(error)")
            }
        }
        print("toml-test valid: \(documents.count - failures.count) of \(documents.count) decode to their JSON")
        #expect(!documents.isEmpty)
        #expect(failures.isEmpty, "\(failures.count) failures:\n\(failures.prefix(40).joined(separator: "\n"))")
    }

    @Test func everyInvalidDocumentIsRefused() throws {
        let suite = try Self.suite()
        let documents = suite.files.filter { $0.hasPrefix("invalid/") }
        var failures: [String] = []
        for file in documents {
            guard let source = TestFiles.read("\(suite.directory)/\(file)") else {
                failures.append("\(file): cannot read it")
                continue
            }
            do {
                _ = try TOMLDocument(parsing: source)
                failures.append("\(file): accepted")
            } catch {
                let lines = source.reduce(1) { $0 + ($1 == 0x0A ? 1 : 0) }
                if error.line < 1 || error.line > lines || error.column < 1 {
                    failures.append("\(file): position \(error.line):\(error.column) outside the file")
                }
            }
        }
        print("toml-test invalid: \(documents.count - failures.count) of \(documents.count) refused")
        #expect(!documents.isEmpty)
        #expect(failures.isEmpty, "\(failures.count) failures:\n\(failures.prefix(40).joined(separator: "\n"))")
    }
}
