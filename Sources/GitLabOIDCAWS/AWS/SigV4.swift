/// AWS Signature Version 4 with an `Authorization` header, on libcrypto's SHA-256 and
/// HMAC-SHA256: what the hook needs to call STS `AssumeRole` and IAM `GetRole`.
///
/// Every step is a pure function, checked against AWS's SigV4 test suite and against
/// botocore's signer. Paths are normalised the way every service but S3 expects (dot segments
/// and repeated slashes removed, each byte outside RFC 3986's unreserved set percent-encoded),
/// so this signer is not for S3. The caller gives the time; nothing here reads a clock.
public enum SigV4 {
    /// The algorithm name at the start of the string to sign and of `Authorization`.
    public static let algorithm = "AWS4-HMAC-SHA256"

    /// Headers never signed, as in botocore: hop-by-hop headers a proxy may change or drop,
    /// and `User-Agent`, which proxies rewrite.
    public static let unsignedHeaderNames: Set<String> = [
        "connection", "expect", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
        "transfer-encoding", "upgrade", "user-agent", "x-amzn-trace-id",
    ]

    /// The key pair (and, for temporary credentials, the session token) a request is signed
    /// with. Its description names the access key ID only.
    public struct Credentials: Equatable, Sendable, CustomStringConvertible, CustomReflectable {
        public var accessKeyID: String
        public var secretAccessKey: String
        /// `X-Amz-Security-Token`; nil for long-term keys.
        public var sessionToken: String?

        public init(accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil) {
            self.accessKeyID = accessKeyID
            self.secretAccessKey = secretAccessKey
            self.sessionToken = sessionToken
        }

        /// The credentials STS issued in an earlier hop.
        public init(_ credentials: AWSCredentials) {
            self.init(
                accessKeyID: credentials.accessKeyID, secretAccessKey: credentials.secretAccessKey,
                sessionToken: credentials.sessionToken)
        }

        /// The standard variables `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and (optional)
        /// `AWS_SESSION_TOKEN`, as every AWS SDK reads them; nil unless both keys are set and
        /// not empty.
        public static func fromEnvironment(_ variable: (String) -> String?) -> Credentials? {
            guard let key = variable("AWS_ACCESS_KEY_ID"), !key.isEmpty,
                let secret = variable("AWS_SECRET_ACCESS_KEY"), !secret.isEmpty
            else { return nil }
            let token = variable("AWS_SESSION_TOKEN").flatMap { $0.isEmpty ? nil : $0 }
            return Credentials(accessKeyID: key, secretAccessKey: secret, sessionToken: token)
        }

        public var description: String {
            "access key \(LogText.oneLine(accessKeyID, limit: 32))\(sessionToken == nil ? "" : " with a session token")"
        }

        public var customMirror: Mirror { Mirror(self, children: ["accessKeyID": accessKeyID]) }
    }

    /// The credential scope: the day (`YYYYMMDD`), region and service a signature is valid for.
    public struct Scope: Equatable, Sendable, CustomStringConvertible {
        public var date: String
        public var region: String
        public var service: String

        public init(date: String, region: String, service: String) {
            self.date = date
            self.region = region
            self.service = service
        }

        /// `<date>/<region>/<service>/aws4_request`.
        public var description: String { "\(date)/\(region)/\(service)/aws4_request" }
    }

    /// One header, as given (name in any case, value untrimmed).
    public struct Header: Equatable, Sendable {
        public var name: String
        public var value: String

        public init(_ name: String, _ value: String) {
            self.name = name
            self.value = value
        }
    }

    /// The outcome of signing: the headers to add to the request and the intermediate
    /// texts (for tests and for the STS double's comparison). The canonical request holds the
    /// session token, so the description shows none of it.
    public struct Signature: Sendable, CustomStringConvertible, CustomReflectable {
        public let canonicalRequest: String
        public let stringToSign: String
        /// Lower-case hexadecimal HMAC of the string to sign.
        public let signature: String
        /// `host;x-amz-date;...`.
        public let signedHeaders: String
        public let authorization: String
        /// The headers the request must carry besides the ones it had: `Host` when it had
        /// none, `X-Amz-Date`, `X-Amz-Security-Token` for temporary credentials, then
        /// `Authorization`. A header of the request with one of these names is replaced.
        public let headersToSet: [Header]

        public var description: String { "SigV4 signature over \(signedHeaders)" }
        public var customMirror: Mirror { Mirror(self, children: ["signedHeaders": signedHeaders]) }
    }

    // MARK: - The whole signature

    /// Signs a request. `url` is the request's URL as it is sent (`scheme://host[:port]/path?query`,
    /// path and query percent-encoded as on the wire); `headers` are the headers the request
    /// will carry (all are signed except `unsignedHeaderNames`); `time` is seconds since 1970.
    /// A `Host` header is taken as is; without one, the URL's host (and port, unless it is the
    /// scheme's default) is signed and returned in `headersToSet`.
    public static func sign(
        method: String, url: String, headers: [Header], body: [UInt8], credentials: Credentials, region: String,
        service: String, time: Int64
    ) -> Signature {
        let parts = URLParts(url)
        let stamp = timestamp(time)
        let scope = Scope(date: String(stamp.prefix(8)), region: region, service: service)
        var replaced: Set<String> = ["x-amz-date", "authorization"]
        if credentials.sessionToken != nil { replaced.insert("x-amz-security-token") }
        var signed = headers.filter { !replaced.contains($0.name.lowercased()) }
        var toSet: [Header] = []
        if !signed.contains(where: { $0.name.lowercased() == "host" }) {
            toSet.append(Header("Host", parts.hostHeader))
        }
        toSet.append(Header("X-Amz-Date", stamp))
        if let token = credentials.sessionToken { toSet.append(Header("X-Amz-Security-Token", token)) }
        signed += toSet
        let canonical = canonicalRequest(method: method, path: parts.path, query: parts.query, headers: signed, body: body)
        let toSign = stringToSign(timestamp: stamp, scope: scope, canonicalRequest: canonical.text)
        let key = signingKey(secretAccessKey: credentials.secretAccessKey, scope: scope)
        let signatureHex = signature(signingKey: key, stringToSign: toSign)
        let header = authorization(
            accessKeyID: credentials.accessKeyID, scope: scope, signedHeaders: canonical.signedHeaders,
            signature: signatureHex)
        return Signature(
            canonicalRequest: canonical.text, stringToSign: toSign, signature: signatureHex,
            signedHeaders: canonical.signedHeaders, authorization: header,
            headersToSet: toSet + [Header("Authorization", header)])
    }

    /// `request` signed: its headers (as `Name: value` lines) with those of `sign` set.
    public static func sign(
        _ request: HTTPRequest, credentials: Credentials, region: String, service: String, time: Int64
    ) -> HTTPRequest {
        let headers = request.headers.map { line -> Header in
            guard let colon = line.firstIndex(of: ":") else { return Header(line, "") }
            return Header(String(line[..<colon]), String(line[line.index(after: colon)...]))
        }
        let result = sign(
            method: request.method.rawValue, url: request.url, headers: headers, body: request.body,
            credentials: credentials, region: region, service: service, time: time)
        let replaced = Set(result.headersToSet.map { $0.name.lowercased() })
        var signed = request
        signed.headers = headers.filter { !replaced.contains($0.name.lowercased()) }.map { "\($0.name):\($0.value)" }
            + result.headersToSet.map { "\($0.name): \($0.value)" }
        return signed
    }

    // MARK: - The steps

    /// `X-Amz-Date` for `seconds` since 1970: `YYYYMMDD'T'HHMMSS'Z'`.
    public static func timestamp(_ seconds: Int64) -> String {
        String(Timestamp.format(seconds).filter { $0 != "-" && $0 != ":" })
    }

    /// The canonical request and its signed-header list.
    public static func canonicalRequest(
        method: String, path: String, query: String, headers: [Header], body: [UInt8]
    ) -> (text: String, signedHeaders: String) {
        let (canonicalHeaders, signedHeaders) = canonicalHeaders(headers)
        let text = [
            method.uppercased(), canonicalURI(path: path), canonicalQueryString(query), canonicalHeaders,
            signedHeaders, hashedPayload(body),
        ].joined(separator: "\n")
        return (text, signedHeaders)
    }

    /// The canonical URI of a path as sent: dot segments and empty segments removed (a
    /// trailing `/` kept), then every byte outside RFC 3986's unreserved characters and `/`
    /// percent-encoded. An escape already in the path is encoded again (`%20` -> `%2520`), as
    /// every AWS service but S3 expects.
    public static func canonicalURI(path: String) -> String {
        percentEncode(Array(normalisedPath(path).utf8), keepingSlash: true)
    }

    /// `path` with `.` and `..` segments resolved and repeated slashes collapsed; `/` for an
    /// empty path.
    public static func normalisedPath(_ path: String) -> String {
        guard !path.isEmpty else { return "/" }
        var segments: [Substring] = []
        for segment in path.split(separator: "/", omittingEmptySubsequences: true) {
            switch segment {
            case ".": continue
            case "..": if !segments.isEmpty { segments.removeLast() }
            default: segments.append(segment)
            }
        }
        let leading = path.hasPrefix("/") ? "/" : ""
        let trailing = path.hasSuffix("/") && !segments.isEmpty ? "/" : ""
        return leading + segments.joined(separator: "/") + trailing
    }

    /// The canonical query string of a query as sent (without `?`): each `&`-separated
    /// parameter split at its first `=`, name and value percent-decoded and encoded again
    /// (RFC 3986 unreserved characters stay, everything else becomes `%XX`, `+` included),
    /// sorted by name, then value, and joined as `name=value&...`.
    public static func canonicalQueryString(_ query: String) -> String {
        guard !query.isEmpty else { return "" }
        let pairs = query.utf8.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: false).map {
            parameter -> ([UInt8], [UInt8]) in
            let equals = parameter.firstIndex(of: UInt8(ascii: "=")) ?? parameter.endIndex
            let name = percentEncode(percentDecode(parameter[..<equals]), keepingSlash: false)
            let value =
                equals == parameter.endIndex
                ? "" : percentEncode(percentDecode(parameter[parameter.index(after: equals)...]), keepingSlash: false)
            return (Array(name.utf8), Array(value.utf8))
        }
        return pairs.sorted { left, right in
            left.0 == right.0 ? left.1.lexicographicallyPrecedes(right.1) : left.0.lexicographicallyPrecedes(right.0)
        }.map { String(decoding: $0.0, as: UTF8.self) + "=" + String(decoding: $0.1, as: UTF8.self) }
            .joined(separator: "&")
    }

    /// The canonical headers block (each `name:value` line ends with a newline) and the
    /// signed headers list. Names are lower-cased and sorted; a name given more than once
    /// gets its values joined by `,` in the order given; each value is trimmed and every run
    /// of white space inside it (spaces, tabs, folded line breaks) becomes one space. Names in
    /// `unsignedHeaderNames` are left out.
    public static func canonicalHeaders(_ headers: [Header]) -> (canonical: String, signed: String) {
        var values: [String: [String]] = [:]
        for header in headers {
            let name = header.name.lowercased()
            guard !unsignedHeaderNames.contains(name) else { continue }
            values[name, default: []].append(collapsedSpace(header.value))
        }
        let names = values.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        let canonical = names.map { "\($0):\(values[$0]!.joined(separator: ","))\n" }.joined()
        return (canonical, names.joined(separator: ";"))
    }

    /// Lower-case hexadecimal SHA-256 of the body.
    public static func hashedPayload(_ body: [UInt8]) -> String { Digest.hex(Digest.sha256(body)) }

    /// The string to sign: algorithm, timestamp, scope and the canonical request's hash.
    public static func stringToSign(timestamp: String, scope: Scope, canonicalRequest: String) -> String {
        [algorithm, timestamp, scope.description, Digest.hex(Digest.sha256(canonicalRequest))].joined(separator: "\n")
    }

    /// The signing key: HMAC-SHA256 chained over the date, region, service and
    /// `aws4_request`, starting from `AWS4` + the secret access key.
    public static func signingKey(secretAccessKey: String, scope: Scope) -> [UInt8] {
        var key = Array("AWS4\(secretAccessKey)".utf8)
        for part in [scope.date, scope.region, scope.service, "aws4_request"] {
            key = Digest.hmacSHA256(key: key, Array(part.utf8))
        }
        return key
    }

    /// The signature: lower-case hexadecimal HMAC-SHA256 of the string to sign.
    public static func signature(signingKey: [UInt8], stringToSign: String) -> String {
        Digest.hex(Digest.hmacSHA256(key: signingKey, Array(stringToSign.utf8)))
    }

    /// The `Authorization` header's value.
    public static func authorization(accessKeyID: String, scope: Scope, signedHeaders: String, signature: String)
        -> String
    {
        "\(algorithm) Credential=\(accessKeyID)/\(scope), SignedHeaders=\(signedHeaders), Signature=\(signature)"
    }

    // MARK: - Encoding

    /// Percent-encodes every byte but RFC 3986's unreserved characters (and `/` when asked),
    /// with upper-case hexadecimal digits.
    static func percentEncode(_ bytes: some Sequence<UInt8>, keepingSlash: Bool) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var output: [UInt8] = []
        for byte in bytes {
            if isUnreserved(byte) || (keepingSlash && byte == UInt8(ascii: "/")) {
                output.append(byte)
            } else {
                output += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 15)]]
            }
        }
        return String(decoding: output, as: UTF8.self)
    }

    static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
            UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }

    /// Decodes `%XX` escapes (a `%` not followed by two hexadecimal digits stays as it is);
    /// `+` stays `+`.
    static func percentDecode(_ bytes: some Collection<UInt8>) -> [UInt8] {
        let input = Array(bytes)
        var output: [UInt8] = []
        output.reserveCapacity(input.count)
        var index = 0
        while index < input.count {
            if input[index] == UInt8(ascii: "%"), index + 2 < input.count,
                let high = hexValue(input[index + 1]), let low = hexValue(input[index + 2])
            {
                output.append(high << 4 | low)
                index += 3
            } else {
                output.append(input[index])
                index += 1
            }
        }
        return output
    }

    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    /// `value` trimmed, with every run of white space inside it replaced by one space.
    static func collapsedSpace(_ value: String) -> String {
        var output: [UInt8] = []
        var pendingSpace = false
        for byte in value.utf8 {
            switch byte {
            case 0x20, 0x09, 0x0A, 0x0B, 0x0C, 0x0D:
                pendingSpace = !output.isEmpty
            default:
                if pendingSpace { output.append(0x20) }
                pendingSpace = false
                output.append(byte)
            }
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// The pieces of a URL a signature needs, split without judging them (the transport and
    /// the mapping loader do that).
    struct URLParts {
        /// `host[:port]`, the port left out when it is the scheme's default; the host lower-cased.
        var hostHeader: String
        var path: String
        var query: String

        init(_ url: String) {
            var rest = Substring(url)
            var scheme = ""
            if let colon = rest.firstIndex(of: ":"), rest[colon...].hasPrefix("://"),
                !rest[..<colon].contains(where: { $0 == "/" || $0 == "?" })
            {
                scheme = rest[..<colon].lowercased()
                rest = rest[rest.index(colon, offsetBy: 3)...]
            }
            if let hash = rest.firstIndex(of: "#") { rest = rest[..<hash] }
            let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
            var authority = rest[..<authorityEnd]
            if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
            let afterAuthority = rest[authorityEnd...]
            let queryStart = afterAuthority.firstIndex(of: "?")
            path = String(afterAuthority[..<(queryStart ?? afterAuthority.endIndex)])
            query = queryStart.map { String(afterAuthority[afterAuthority.index(after: $0)...]) } ?? ""
            // The port is what follows the last `:` outside IPv6 brackets.
            var host = authority
            var port: Substring = ""
            if let colon = authority.lastIndex(of: ":"), !authority[colon...].contains("]") {
                host = authority[..<colon]
                port = authority[authority.index(after: colon)...]
            }
            let isDefaultPort = (scheme == "https" && port == "443") || (scheme == "http" && port == "80")
            hostHeader = host.lowercased() + (port.isEmpty || isDefaultPort ? "" : ":\(port)")
        }
    }
}
