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
        #expect(throws: FileError.self) { try FileSystem.read(fifo, links: .refuse) }
        #expect(!FileSystem.isReadableFile(fifo))
        #expect(LocalJobFiles().readJobFile(fifo, limit: 1 << 20) == nil)
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
        #expect(try FileSystem.read(folder["target"], links: .refuse) == Array("through the link".utf8))
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
        #expect(try FileSystem.read(fifo, links: .refuse) == Array("new".utf8))

        folder.file("victim", "keep")
        #expect(symlink(folder["victim"], folder["token.jwt"]) == 0)
        try FileSystem.writeAtomically(Array("token".utf8), to: folder["token.jwt"])
        #expect(try FileSystem.read(folder["victim"]) == Array("keep".utf8))
        #expect(try FileSystem.read(folder["token.jwt"], links: .refuse) == Array("token".utf8))
    }

    @Test func reportsTheSystemsReason() {
        let error = FileError(path: "/nonexistent/x", operation: "open", code: ENOENT)
        #expect(error.description == "cannot open /nonexistent/x: No such file or directory")
        #expect(throws: FileError(path: "/nonexistent/x", operation: "open", code: ENOENT)) {
            try FileSystem.read("/nonexistent/x")
        }
    }
}
