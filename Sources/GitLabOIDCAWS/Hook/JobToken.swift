/// Whether a job holds an ID token at all: the first thing the hook asks, before it reads the
/// mapping, so that jobs that never asked for AWS are never touched.
public enum JobToken {
    /// The variable the contract names; the mapping's `token_variables` are not known yet.
    public static let defaultVariable = "AWS_ID_TOKEN"

    /// True when `AWS_ID_TOKEN` is set and not empty (whatever it holds: a value that is not
    /// a JWT is a token that fails verification), or when any variable holds a JWT-shaped
    /// value (for mappings that read the token from another variable).
    public static func isPresent(in environment: JobEnvironment) -> Bool {
        if environment.value(defaultVariable) != nil { return true }
        return environment.variables().contains { looksLikeJWT($0.value) }
    }

    /// A compact JWS: three base64url parts separated by dots, the first two not empty, the
    /// header decoding to a JSON object with an `alg`. The shape is tested on the bytes first,
    /// so ordinary variables (paths, URLs, versions) cost one scan and no decoding.
    static func looksLikeJWT(_ value: String) -> Bool {
        var dots = 0
        var headerEnd: String.UTF8View.Index?
        var previousWasDot = true
        for index in value.utf8.indices {
            let byte = value.utf8[index]
            if byte == UInt8(ascii: ".") {
                // The header and the payload must not be empty.
                if previousWasDot || dots == 2 { return false }
                if dots == 0 { headerEnd = index }
                dots += 1
                previousWasDot = true
            } else if isBase64URL(byte) {
                previousWasDot = false
            } else {
                return false
            }
        }
        guard dots == 2, let headerEnd, let header = Base64URL.decode(value[..<headerEnd]),
            let json = try? JSONValue.parse(header)
        else { return false }
        return json.objectMembers != nil && json["alg"] != nil
    }

    private static func isBase64URL(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"):
            return true
        default:
            return false
        }
    }
}
