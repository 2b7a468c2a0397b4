import GitLabOIDCAWSTestSupport
import Glibc
import Testing

@testable import GitLabOIDCAWS

@Suite struct EnvFileTests {
    let directory = TemporaryDirectory()

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
        let path = directory.write("env", "A=1\nB=2")
        try EnvFile.append("C=3\n", to: path)
        #expect(try FileSystem.readText(path) == "A=1\nB=2\nC=3\n")
        try EnvFile.append("D=4\n", to: path)
        #expect(try FileSystem.readText(path) == "A=1\nB=2\nC=3\nD=4\n")
        #expect(EnvFile.parse(try FileSystem.read(path)) == ["A": "1", "B": "2", "C": "3", "D": "4"])
    }

    @Test func createsAMissingFileButRefusesADirectory() throws {
        let path = directory.file("env")
        try EnvFile.append("A=1\n", to: path)
        #expect(try FileSystem.readText(path) == "A=1\n")
        #expect(throws: OutputError.self) { try EnvFile.append("A=1\n", to: directory.path) }
    }

    @Test func theRunnersReadingOfTheFile() {
        #expect(EnvFile.parse(Array("A=1\n\nB=x=y\nnot a line\nA=2".utf8)) == ["A": "2", "B": "x=y"])
    }

    @Test func jobFilesAreReadOnlyWhenTheyAreRegularFiles() throws {
        let files = LocalJobFiles()
        #expect(files.readJobFile(directory.write("token", "abc"), limit: 10) == Array("abc".utf8))
        #expect(files.readJobFile(directory.file("token"), limit: 2) == nil)
        #expect(files.readJobFile(directory.path, limit: 10) == nil)
        #expect(mkfifo(directory.file("fifo"), 0o600) == 0)
        #expect(files.readJobFile(directory.file("fifo"), limit: 10) == nil)
        #expect(files.readJobFile(directory.file("missing"), limit: 10) == nil)
    }
}
