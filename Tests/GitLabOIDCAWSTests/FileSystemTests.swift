import Glibc
import Testing

@testable import GitLabOIDCAWS

/// A fresh folder under /tmp, removed with its files when the value goes away.
final class ScratchFolder {
    let path: String

    init() {
        var template = Array("/tmp/goa-files-XXXXXX".utf8CString)
        _ = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        path = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    deinit {
        guard let folder = opendir(path) else { return }
        while let entry = readdir(folder) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) {
                String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name == "." || name == ".." { continue }
            if unlink("\(path)/\(name)") != 0 { rmdir("\(path)/\(name)") }
        }
        closedir(folder)
        rmdir(path)
    }

    subscript(name: String) -> String { "\(path)/\(name)" }

    @discardableResult
    func file(_ name: String, _ text: String, mode: mode_t = 0o600) -> String {
        try! FileSystem.writeAtomically(Array(text.utf8), to: self[name], mode: mode)
        return self[name]
    }

    @discardableResult
    func fifo(_ name: String) -> String {
        precondition(mkfifo(self[name], 0o600) == 0)
        return self[name]
    }
}

@Suite struct FileSystemTests {
    @Test func readsARegularFileWithItsOwner() throws {
        let folder = ScratchFolder()
        let (bytes, ownership) = try FileSystem.readWithOwnership(folder.file("a", "hello", mode: 0o640))
        #expect(bytes == Array("hello".utf8))
        #expect(ownership == FileSystem.Ownership(owner: geteuid(), permissions: 0o640))
    }

    /// A FIFO without a writer would block a plain `open` for reading forever.
    @Test func refusesAFIFOWithoutBlocking() {
        let folder = ScratchFolder()
        let fifo = folder.fifo("pipe")
        #expect(throws: FileError(path: fifo, operation: "read", notRegular: .fifo)) { try FileSystem.read(fifo) }
        #expect(FileSystem.contentsIfReadable(fifo) == nil)
        #expect(FileSystem.contentsOfOwnFile(fifo) == nil)
        #expect(!FileSystem.isReadableFile(fifo))
        #expect(EnvFile.entries(at: fifo).isEmpty)
        #expect(
            FileError(path: fifo, operation: "read", notRegular: .fifo).description.hasSuffix(
                "it is a FIFO (named pipe), not a regular file"))
    }

    @Test func refusesDirectoriesAndDevices() {
        let folder = ScratchFolder()
        #expect(throws: FileError(path: folder.path, operation: "read", notRegular: .directory)) {
            try FileSystem.read(folder.path)
        }
        #expect(throws: FileError(path: "/dev/zero", operation: "read", notRegular: .characterDevice)) {
            try FileSystem.read("/dev/zero")
        }
    }

    @Test func followsALinkOnlyWhenOneIsExpected() throws {
        let folder = ScratchFolder()
        folder.file("target", "through the link")
        #expect(symlink(folder["target"], folder["link"]) == 0)
        #expect(try FileSystem.read(folder["link"]) == Array("through the link".utf8))
        #expect(throws: FileError(path: folder["link"], operation: "read", notRegular: .symbolicLink)) {
            try FileSystem.read(folder["link"], links: .refuse)
        }
        #expect(FileSystem.contentsOfOwnFile(folder["link"]) == nil)
        #expect(FileSystem.contentsOfOwnFile(folder["target"]) == Array("through the link".utf8))
    }

    @Test func stopsAtTheSizeLimit() throws {
        let folder = ScratchFolder()
        let path = folder.file("big", String(repeating: "x", count: 100))
        #expect(try FileSystem.read(path, limit: 100).count == 100)
        #expect(throws: FileError(path: path, operation: "read", code: EFBIG)) { try FileSystem.read(path, limit: 99) }
        // A file that claims size 0 is read on in chunks, and still stops at the limit.
        #expect(try FileSystem.read("/proc/self/status", limit: 1 << 20).count > 0)
        #expect(throws: FileError(path: "/proc/self/status", operation: "read", code: EFBIG)) {
            try FileSystem.read("/proc/self/status", limit: 10)
        }
    }

    /// What a job put where the hook writes its own files is replaced, never written through.
    @Test func writingReplacesAFIFOOrALinkInsteadOfWritingThroughIt() throws {
        let folder = ScratchFolder()
        let fifo = folder.fifo("cache.json")
        try FileSystem.writeAtomically(Array("new".utf8), to: fifo)
        #expect(FileSystem.contentsOfOwnFile(fifo) == Array("new".utf8))

        folder.file("victim", "keep")
        #expect(symlink(folder["victim"], folder["token.jwt"]) == 0)
        try FileSystem.writeAtomically(Array("token".utf8), to: folder["token.jwt"])
        #expect(try FileSystem.read(folder["victim"]) == Array("keep".utf8))
        #expect(FileSystem.contentsOfOwnFile(folder["token.jwt"]) == Array("token".utf8))
    }

    @Test func reportsTheSystemsReason() {
        let error = FileError(path: "/nonexistent/x", operation: "open", code: ENOENT)
        #expect(error.description == "cannot open /nonexistent/x: No such file or directory")
        #expect(throws: FileError(path: "/nonexistent/x", operation: "open", code: ENOENT)) {
            try FileSystem.read("/nonexistent/x")
        }
    }
}

@Suite struct EnvFileReadingTests {
    @Test func parsesLinesAsTheRunnersLoopExportsThem() {
        let entries = EnvFile.parse(Array("A=1\nB=x=y\nno-equals\n\nA=2\n=empty key\nC=\n".utf8))
        #expect(entries == ["A": "2", "B": "x=y", "": "empty key", "C": ""])
        #expect(EnvFile.parse([0x41, 0x3D, 0xFF]) == ["A": "\u{FFFD}"])
    }

    @Test func readsNothingFromWhatIsNotARegularFile() {
        let folder = ScratchFolder()
        #expect(EnvFile.entries(at: folder.fifo("env")).isEmpty)
        #expect(EnvFile.entries(at: folder.path).isEmpty)
        #expect(EnvFile.entries(at: folder["missing"]).isEmpty)
        #expect(EnvFile.entries(at: folder.file("env-file", "A=1\n")) == ["A": "1"])
    }

    /// The expiry written by the hook is judged whatever year a job wrote into the file.
    @Test func reuseDecisionTakesAnyYear() {
        let role = "arn:aws:iam::111122223333:role/r"
        func entries(_ expiration: String) -> [String: String] {
            [
                "AWS_ACCESS_KEY_ID": "A", "AWS_SECRET_ACCESS_KEY": "S", "AWS_SESSION_TOKEN": "T",
                "AWS_CREDENTIAL_EXPIRATION": expiration, "GITLAB_OIDC_AWS_ROLE_ARN": role,
            ]
        }
        #expect(
            Hook.reusableExpiration(in: entries("9999-12-31T23:59:59Z"), role: role, now: 1_800_000_000)
                == Timestamp.latest)
        #expect(Hook.reusableExpiration(in: entries("0001-01-01T00:00:00Z"), role: role, now: 1_800_000_000) == nil)
        #expect(Hook.reusableExpiration(in: entries("99999-01-01T00:00:00Z"), role: role, now: 1_800_000_000) == nil)
        #expect(
            Hook.reusableExpiration(in: entries("9999-12-31T23:59:59Z"), role: role, now: Timestamp.earliest) != nil)
    }
}
