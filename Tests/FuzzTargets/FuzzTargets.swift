import GitLabOIDCAWS

/// The code the fuzz targets in `Fuzz/` run, and the unit tests replay on their corpus
/// (`Tests/FuzzTargetsTests`). Test-only: no product of the package links it but the fuzzer.
///
/// Each target takes arbitrary bytes, feeds them to a whole path the hook exposes to
/// untrusted input, and checks what must hold whatever the input. A broken invariant stops
/// the process through `precondition`, which libFuzzer reports as a crash, like any other
/// trap (index out of range, overflow, a sanitizer finding).
public enum FuzzTargets {
    /// Every target, by the name of its corpus folder `Fuzz/corpus/<name>/`.
    public static let all: [(name: String, run: @Sendable ([UInt8]) -> Void)] = [
        ("token", token), ("key-set", keySet), ("key-set-cache", keySetCache), ("sts-answer", stsAnswer),
        ("iam-get-role", iamGetRole), ("env-file", envFile), ("credential-cache", credentialCache),
        ("mapping", mapping), ("pattern", pattern),
    ]

    // MARK: Shared fixtures and checks

    /// The wall-clock time of every target, seconds since 1970 (2027-01-15).
    static let now: Int64 = 1_800_000_000

    static let issuer = "https://gitlab.example.com"

    static let sampleClaims = Claims(strings: [
        ("project_path", "group/project"), ("namespace_path", "group"), ("ref", "main"), ("ref_type", "branch"),
        ("ref_protected", "true"), ("project_id", "42"), ("job_id", "1001"), ("environment", "production"),
    ])

    /// Claims of another job: integers and booleans as GitLab sends them, a tag, no environment.
    static let otherClaims = Claims(strings: [
        ("project_path", "platform/infra"), ("namespace_path", "platform"), ("ref", "v1.2"), ("ref_type", "tag"),
        ("ref_protected", "false"), ("project_id", "-7"), ("namespace_id", "0"), ("job_id", "9"), ("sub", ""),
    ])

    static let sampleRules: [Rule] = {
        let role = RoleARN("arn:aws:iam::111122223333:role/deploy")!
        return [
            Rule(
                number: 1, line: 1, name: nil, role: role,
                conditions: [
                    Condition(claim: "project_path", patterns: [Pattern("group/**"), Pattern("*/infra")], line: 2),
                    Condition(claim: "ref", patterns: [Pattern("main")], line: 3),
                ]),
            Rule(
                number: 2, line: 4, name: nil, role: role,
                conditions: [Condition(claim: "namespace_path", patterns: [Pattern("**")], line: 5)]),
        ]
    }()

    static func isControl(_ byte: UInt8) -> Bool { byte < 0x20 || byte == 0x7F }

    /// A message for the job log: not empty, and no longer than a page once on one line.
    static func checkMessage(_ message: String) {
        precondition(!message.isEmpty, "an empty message")
        precondition(LogText.oneLine(message, limit: 4096).utf8.count <= 4096 * 4 + 3, "an unbounded message")
    }

    /// What STS accepts as RoleSessionName: 2 to 64 characters of `[\w+=,.@-]` (the contract's
    /// rule, checked here independently of `SessionName`).
    static func checkSessionName(_ name: String) {
        precondition(name.utf8.count <= 64, "a session name of \(name.utf8.count) bytes")
        precondition(name.utf8.count >= 2, "a session name shorter than 2 characters")
        precondition(
            name.utf8.allSatisfy { byte in
                switch byte {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                    UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "+"), UInt8(ascii: "="),
                    UInt8(ascii: ","), UInt8(ascii: "."), UInt8(ascii: "@"), UInt8(ascii: "-"):
                    return true
                default:
                    return false
                }
            }, "a session name with characters STS refuses: \(name)")
    }

    static func checkDiagnostic(_ diagnostic: ConfigDiagnostic, lineCount: Int) {
        precondition(
            (0...lineCount).contains(diagnostic.line), "a diagnostic on line \(diagnostic.line) of \(lineCount)")
        _ = diagnostic.description
    }
}
