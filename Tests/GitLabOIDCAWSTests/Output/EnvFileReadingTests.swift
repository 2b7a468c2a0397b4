import Testing

@testable import GitLabOIDCAWS

@Suite struct EnvFileReadingTests {
    @Test func parsesLinesAsTheRunnersLoopExportsThem() {
        let entries = EnvFile.parse(Array("A=1\nB=x=y\nno-equals\n\nA=2\n=empty key\nC=\n".utf8))
        #expect(entries == ["A": "2", "B": "x=y", "": "empty key", "C": ""])
        #expect(EnvFile.parse([0x41, 0x3D, 0xFF]) == ["A": "\u{FFFD}"])
    }

    /// What the hook reads back from the env file, through its job-file access.
    @Test func readsNothingFromWhatIsNotARegularFile() {
        let folder = ScratchFolder()
        func entries(_ path: String) -> [String: String] {
            EnvFile.parse(LocalJobFiles().readJobFile(path, limit: EnvFile.readLimit) ?? [])
        }
        #expect(entries(folder.fifo("env")).isEmpty)
        #expect(entries(folder.path).isEmpty)
        #expect(entries(folder["missing"]).isEmpty)
        #expect(entries(folder.file("env-file", "A=1\n")) == ["A": "1"])
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
            JobPlanner.reusableExpiration(in: entries("9999-12-31T23:59:59Z"), role: role, now: 1_800_000_000)
                == Timestamp.latest)
        #expect(JobPlanner.reusableExpiration(in: entries("0001-01-01T00:00:00Z"), role: role, now: 1_800_000_000) == nil)
        #expect(JobPlanner.reusableExpiration(in: entries("99999-01-01T00:00:00Z"), role: role, now: 1_800_000_000) == nil)
        #expect(
            JobPlanner.reusableExpiration(in: entries("9999-12-31T23:59:59Z"), role: role, now: Timestamp.earliest) != nil)
    }
}
