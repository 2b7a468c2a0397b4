import Glibc
import Testing

@testable import GitLabOIDCAWS

@Suite struct EnvFileTests {
    func temporaryFile(_ contents: String) -> String {
        var template = Array("/tmp/goa-env-XXXXXX".utf8CString)
        let descriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        let path = String(cString: template)
        _ = contents.utf8CString.withUnsafeBufferPointer { write(descriptor, $0.baseAddress, $0.count - 1) }
        close(descriptor)
        return path
    }

    @Test func rendersKeyValueLinesInOrder() throws {
        let credentials = AWSCredentials(
            accessKeyID: "ASIA", secretAccessKey: "secret", sessionToken: "token", expiration: 1_795_000_000,
            assumedRoleARN: nil)
        let text = try EnvFile.render(
            EnvLines.credentials(credentials, role: "arn:aws:iam::111122223333:role/r", region: "eu-west-1"))
        #expect(
            text == """
                AWS_ACCESS_KEY_ID=ASIA
                AWS_SECRET_ACCESS_KEY=secret
                AWS_SESSION_TOKEN=token
                AWS_CREDENTIAL_EXPIRATION=2026-11-18T11:06:40Z
                AWS_REGION=eu-west-1
                AWS_DEFAULT_REGION=eu-west-1
                GITLAB_OIDC_AWS_ROLE_ARN=arn:aws:iam::111122223333:role/r

                """)
    }

    @Test func refusesValuesThatWouldBreakLines() {
        #expect(throws: OutputError.unsafeValue(key: "X")) { try EnvFile.render([EnvEntry("X", "a\nb")]) }
        #expect(throws: OutputError.unsafeValue(key: "Y")) { try EnvFile.render([EnvEntry("Y", "a\rb")]) }
    }

    @Test func appendsAfterExistingLinesAndAddsAMissingNewline() throws {
        let path = temporaryFile("A=1\nB=2")
        defer { unlink(path) }
        try EnvFile.append("C=3\n", to: path)
        #expect(try FileSystem.readText(path) == "A=1\nB=2\nC=3\n")
        try EnvFile.append("D=4\n", to: path)
        #expect(try FileSystem.readText(path) == "A=1\nB=2\nC=3\nD=4\n")
        #expect(EnvFile.entries(at: path) == ["A": "1", "B": "2", "C": "3", "D": "4"])
    }

    @Test func createsAMissingFileButRefusesADirectory() throws {
        let path = temporaryFile("")
        unlink(path)
        defer { unlink(path) }
        try EnvFile.append("A=1\n", to: path)
        #expect(try FileSystem.readText(path) == "A=1\n")
        #expect(throws: OutputError.self) { try EnvFile.append("A=1\n", to: "/tmp") }
    }
}
