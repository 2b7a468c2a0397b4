// A test-only command that runs the library's AWS wire code for the Python tests, so that
// what it sends and reads is checked by other implementations: botocore's signer, the STS
// double (which verifies SigV4 with botocore) and moto's STS and IAM. Not shipped.
//
//   aws-wire-probe sign           JSON lines in, JSON lines out: SigV4 signatures
//   aws-wire-probe sanitise-tags  JSON lines in, JSON lines out: session tags made AWS-safe
//   aws-wire-probe assume-role    one JSON document in: STS AssumeRole, signed; credentials out
//   aws-wire-probe get-role       one JSON document in: IAM GetRole, signed; the parsed role out
//
// Input fields are described at each command. Failures of a call print the library's error
// description on stderr and as {"error": ..., "code": ...} on stdout, and exit 1.

import Glibc
import GitLabOIDCAWS

struct ProbeFailure: Error {
    let message: String
}

func readStandardInput() -> [UInt8] {
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let count = read(0, &buffer, buffer.count)
        if count <= 0 { break }
        bytes += buffer[0..<count]
    }
    return bytes
}

func emit(_ value: JSONValue) {
    print(value.compactText)
}

func string(_ value: JSONValue?, _ name: String) throws -> String {
    guard let text = value?[name]?.stringValue else { throw ProbeFailure(message: "missing string \(name)") }
    return text
}

func optionalString(_ value: JSONValue, _ name: String) -> String? { value[name]?.stringValue }

func integer(_ value: JSONValue, _ name: String) -> Int64? {
    if case let .integer(number)? = value[name] { return number }
    return nil
}

func strings(_ value: JSONValue, _ name: String) -> [String] {
    guard case let .array(items)? = value[name] else { return [] }
    return items.compactMap(\.stringValue)
}

func pairs(_ value: JSONValue, _ name: String) -> [(String, String)] {
    guard case let .array(items)? = value[name] else { return [] }
    return items.compactMap { item in
        guard case let .array(pair) = item, pair.count == 2, let first = pair[0].stringValue,
            let second = pair[1].stringValue
        else { return nil }
        return (first, second)
    }
}

func hexBytes(_ text: String) throws -> [UInt8] {
    let digits = Array(text.utf8)
    guard digits.count % 2 == 0 else { throw ProbeFailure(message: "odd hex length") }
    func nibble(_ byte: UInt8) throws -> UInt8 {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        default: throw ProbeFailure(message: "bad hex digit")
        }
    }
    return try stride(from: 0, to: digits.count, by: 2).map { try nibble(digits[$0]) << 4 | nibble(digits[$0 + 1]) }
}

func credentials(_ input: JSONValue) throws -> SigV4.Credentials {
    SigV4.Credentials(
        accessKeyID: try string(input, "access_key"), secretAccessKey: try string(input, "secret_key"),
        sessionToken: optionalString(input, "token"))
}

/// The system clock, or a fixed signing time when the input gives `time` (seconds since 1970).
func clock(_ input: JSONValue) -> Clock {
    guard let fixed = integer(input, "time") else { return .system }
    return Clock(now: { fixed }, monotonic: Clock.system.monotonic, sleep: Clock.system.sleep)
}

func retrier(_ input: JSONValue) -> Retrier {
    var settings = RetrySettings()
    settings.maxAttempts = Int(integer(input, "max_attempts") ?? 1)
    settings.deadline = 30
    var retrier = Retrier(settings: settings, clock: clock(input)) { line in
        var standardError = StandardError()
        print(line, to: &standardError)
    }
    retrier.random = { 0 }
    return retrier
}

struct StandardError: TextOutputStream {
    mutating func write(_ text: String) {
        var bytes = Array(text.utf8)
        _ = Glibc.write(2, &bytes, bytes.count)
    }
}

func fail(_ description: String, code: String?) -> Never {
    var standardError = StandardError()
    print(description, to: &standardError)
    emit(.object([("error", .string(description)), ("code", code.map(JSONValue.string) ?? .null)]))
    exit(1)
}

/// Input lines: {"method", "url", "headers": [[name, value], ...], "body_hex", "access_key",
/// "secret_key", "token"?, "region", "service", "time"}.
func sign(_ input: JSONValue) throws -> JSONValue {
    let signature = SigV4.sign(
        method: try string(input, "method"), url: try string(input, "url"),
        headers: pairs(input, "headers").map { SigV4.Header($0.0, $0.1) },
        body: try hexBytes(optionalString(input, "body_hex") ?? ""), credentials: try credentials(input),
        region: try string(input, "region"), service: try string(input, "service"), time: integer(input, "time") ?? 0)
    return .object([
        ("canonical_request", .string(signature.canonicalRequest)),
        ("string_to_sign", .string(signature.stringToSign)),
        ("signed_headers", .string(signature.signedHeaders)),
        ("authorization", .string(signature.authorization)),
        ("headers_to_set", .array(signature.headersToSet.map { .array([.string($0.name), .string($0.value)]) })),
    ])
}

/// Input lines: {"key", "value"}.
func sanitiseTag(_ input: JSONValue) throws -> JSONValue {
    let tag = SessionTag.sanitised(key: try string(input, "key"), value: try string(input, "value"))
    return .object([("key", .string(tag.key)), ("value", .string(tag.value))])
}

/// Input: {"endpoint", "region", "access_key", "secret_key", "token"?, "hop"?, "time"?,
/// "max_attempts"?, "request": {"role_arn", "session_name", "duration"?, "external_id"?,
/// "policy"?, "policy_arns": [...], "tags": [[key, value], ...], "transitive_tag_keys": [...]}}.
func assumeRole(_ input: JSONValue) throws -> JSONValue {
    guard let fields = input["request"] else { throw ProbeFailure(message: "missing request") }
    let request = STS.AssumeRoleRequest(
        roleARN: try string(fields, "role_arn"), sessionName: try string(fields, "session_name"),
        duration: integer(fields, "duration").map { Int($0) }, externalID: optionalString(fields, "external_id"),
        policy: optionalString(fields, "policy"), policyARNs: strings(fields, "policy_arns"),
        tags: pairs(fields, "tags").map { SessionTag(key: $0.0, value: $0.1) },
        transitiveTagKeys: strings(fields, "transitive_tag_keys"))
    let result: AWSCredentials
    do {
        result = try STS.assumeRole(
            request, hop: integer(input, "hop").map { Int($0) }, endpoint: try string(input, "endpoint"),
            region: try string(input, "region"), credentials: try credentials(input),
            transport: CurlTransport(environment: { _ in nil }), settings: TransportSettings(), retrier: retrier(input))
    } catch let error as STSError {
        fail("\(error)", code: error.code)
    }
    return .object([
        ("access_key_id", .string(result.accessKeyID)), ("secret_access_key", .string(result.secretAccessKey)),
        ("session_token", .string(result.sessionToken)), ("expiration", .integer(result.expiration)),
        ("assumed_role_arn", result.assumedRoleARN.map(JSONValue.string) ?? .null),
        ("account", result.accountID(assumedRole: request.roleARN).map(JSONValue.string) ?? .null),
        ("description", .string("\(result)")),
    ])
}

/// Input: {"endpoint", "region", "access_key", "secret_key", "token"?, "role_arn", "time"?}.
func getRole(_ input: JSONValue) throws -> JSONValue {
    guard let roleARN = RoleARN(try string(input, "role_arn")) else { throw ProbeFailure(message: "bad role_arn") }
    let role: IAM.Role
    do {
        role = try IAM.getRole(
            roleARN, endpoint: try string(input, "endpoint"), region: try string(input, "region"),
            credentials: try credentials(input), transport: CurlTransport(environment: { _ in nil }),
            settings: TransportSettings(), retrier: retrier(input))
    } catch let error as IAMError {
        fail("\(error)", code: nil)
    }
    let statements = role.trustPolicy.statements.map { statement -> JSONValue in
        .object([
            ("sid", statement.sid.map(JSONValue.string) ?? .null),
            ("effect", .string(statement.effect.rawValue)),
            ("anyone", .bool(statement.principals.anyone)),
            ("aws", .array(statement.principals.aws.map(JSONValue.string))),
            ("federated", .array(statement.principals.federated.map(JSONValue.string))),
            ("service", .array(statement.principals.service.map(JSONValue.string))),
            ("actions", .array(statement.actions.map(JSONValue.string))),
            (
                "conditions",
                .array(
                    statement.conditions.map {
                        .array([.string($0.test.rawValue), .string($0.key), .array($0.values.map(JSONValue.string))])
                    })
            ),
        ])
    }
    return .object([
        ("arn", .string(role.arn)), ("name", .string(role.name)), ("path", role.path.map(JSONValue.string) ?? .null),
        ("trust_policy_text", .string(role.trustPolicyText)),
        ("version", role.trustPolicy.version.map(JSONValue.string) ?? .null),
        ("statements", .array(statements)),
    ])
}

let arguments = CommandLine.arguments.dropFirst()
guard arguments.count == 1, let command = arguments.first else {
    fail("usage: aws-wire-probe sign|sanitise-tags|assume-role|get-role < input.json", code: nil)
}
do {
    let input = readStandardInput()
    switch command {
    case "sign", "sanitise-tags":
        for line in input.split(separator: UInt8(ascii: "\n")) where !line.isEmpty {
            let value = try JSONValue.parse(line)
            emit(command == "sign" ? try sign(value) : try sanitiseTag(value))
        }
    case "assume-role":
        emit(try assumeRole(try JSONValue.parse(input)))
    case "get-role":
        emit(try getRole(try JSONValue.parse(input)))
    default:
        fail("unknown command \(command)", code: nil)
    }
} catch {
    fail("bad input: \(error)", code: nil)
}
