/// The STS calls of the hook: `AssumeRoleWithWebIdentity` (the first hop, unsigned) and
/// `AssumeRole` (each chain hop, signed with SigV4 by the previous hop's credentials):
/// endpoints, request bodies, answer parsing and the calls with retries.
public enum STS {
    /// The commercial regions with a separate STS FIPS endpoint, `sts-fips.<region>.amazonaws.com`.
    public static let fipsRegions: Set<String> = ["us-east-1", "us-east-2", "us-west-1", "us-west-2"]

    /// The STS API version of every request.
    public static let apiVersion = "2011-06-15"

    /// Whether `region` has an STS endpoint validated under FIPS 140: the four `fipsRegions`
    /// and GovCloud, whose regular endpoints are FIPS endpoints.
    public static func hasFIPSEndpoint(region: String) -> Bool {
        fipsRegions.contains(region) || region.hasPrefix("us-gov-")
    }

    /// The endpoint for `region`: `https://sts.<region>.amazonaws.com/`,
    /// `https://sts.<region>.amazonaws.com.cn/` in China, and with `fips`
    /// `https://sts-fips.<region>.amazonaws.com/` (GovCloud: the regular endpoint, which is
    /// FIPS already). `override` wins when set. The mapping loader refuses `sts_fips` for a
    /// region without a FIPS endpoint, so `fips` is ignored for those.
    public static func endpoint(region: String, fips: Bool, override: String?) -> String {
        if let override, !override.isEmpty { return override }
        if region.hasPrefix("cn-") { return "https://sts.\(region).amazonaws.com.cn/" }
        if fips && fipsRegions.contains(region) { return "https://sts-fips.\(region).amazonaws.com/" }
        return "https://sts.\(region).amazonaws.com/"
    }

    /// The parameters of one `AssumeRoleWithWebIdentity` call (the first hop).
    public struct Request: Equatable, Sendable {
        public var roleARN: String
        public var sessionName: String
        public var token: String
        public var duration: Int?
        public var policy: String?
        public var policyARNs: [String]

        public init(
            roleARN: String, sessionName: String, token: String, duration: Int? = nil, policy: String? = nil,
            policyARNs: [String] = []
        ) {
            self.roleARN = roleARN
            self.sessionName = sessionName
            self.token = token
            self.duration = duration
            self.policy = policy
            self.policyARNs = policyARNs
        }

        /// The form-encoded body.
        public var formBody: String {
            var fields: [(String, String)] = [
                ("Action", STSAction.assumeRoleWithWebIdentity.rawValue), ("Version", apiVersion), ("RoleArn", roleARN),
                ("RoleSessionName", sessionName), ("WebIdentityToken", token),
            ]
            if let duration { fields.append(("DurationSeconds", String(duration))) }
            if let policy { fields.append(("Policy", policy)) }
            for (index, arn) in policyARNs.enumerated() { fields.append(("PolicyArns.member.\(index + 1).arn", arn)) }
            return formEncode(fields)
        }
    }

    /// The parameters of one `AssumeRole` call (a chain hop). Tags are sent as given: make
    /// them with `SessionTag.sanitised(key:value:)`.
    public struct AssumeRoleRequest: Equatable, Sendable {
        public var roleARN: String
        public var sessionName: String
        /// `DurationSeconds`; AWS caps a chained session at 3600.
        public var duration: Int?
        public var externalID: String?
        public var policy: String?
        public var policyARNs: [String]
        /// Session tags, sent in this order.
        public var tags: [SessionTag]
        /// Keys of `tags` that pass on to later hops.
        public var transitiveTagKeys: [String]

        public init(
            roleARN: String, sessionName: String, duration: Int? = nil, externalID: String? = nil,
            policy: String? = nil, policyARNs: [String] = [], tags: [SessionTag] = [], transitiveTagKeys: [String] = []
        ) {
            self.roleARN = roleARN
            self.sessionName = sessionName
            self.duration = duration
            self.externalID = externalID
            self.policy = policy
            self.policyARNs = policyARNs
            self.tags = tags
            self.transitiveTagKeys = transitiveTagKeys
        }

        /// The form-encoded body.
        public var formBody: String {
            var fields: [(String, String)] = [
                ("Action", STSAction.assumeRole.rawValue), ("Version", apiVersion), ("RoleArn", roleARN),
                ("RoleSessionName", sessionName),
            ]
            if let duration { fields.append(("DurationSeconds", String(duration))) }
            if let externalID { fields.append(("ExternalId", externalID)) }
            if let policy { fields.append(("Policy", policy)) }
            for (index, arn) in policyARNs.enumerated() { fields.append(("PolicyArns.member.\(index + 1).arn", arn)) }
            for (index, tag) in tags.enumerated() {
                fields.append(("Tags.member.\(index + 1).Key", tag.key))
                fields.append(("Tags.member.\(index + 1).Value", tag.value))
            }
            for (index, key) in transitiveTagKeys.enumerated() {
                fields.append(("TransitiveTagKeys.member.\(index + 1)", key))
            }
            return formEncode(fields)
        }
    }

    /// `name=value&...`, each side percent-encoded.
    static func formEncode(_ fields: [(String, String)]) -> String {
        fields.map { "\(percentEncode($0.0))=\(percentEncode($0.1))" }.joined(separator: "&")
    }

    /// Percent-encodes everything but RFC 3986's unreserved characters.
    public static func percentEncode(_ text: String) -> String {
        SigV4.percentEncode(text.utf8, keepingSlash: false)
    }

    // MARK: - Answers

    /// Reads the answer to `action`: credentials on success, `STSError` otherwise (without
    /// the call: `assumeRole` adds it).
    public static func parseAnswer(
        status: Int, body: [UInt8], action: STSAction = .assumeRoleWithWebIdentity
    ) throws(STSError) -> AWSCredentials {
        let root: XMLElement
        do {
            root = try XMLElement.parse(body)
        } catch {
            throw .unexpectedAnswer(status: status, reason: describeUnreadable(body, error))
        }
        if root.localName == "ErrorResponse" || root.localName == "Error" {
            let error = root.localName == "Error" ? root : root.child("Error")
            let code = error?.child("Code")?.text ?? "UnknownError"
            let message = error?.child("Message")?.text ?? ""
            let requestID = root.child("RequestId")?.text ?? root.descendant("ResponseMetadata", "RequestId")?.text
            throw .service(status: status, code: code, message: message, requestID: requestID)
        }
        guard (200..<300).contains(status), root.localName.lowercased() != "html" else {
            throw .unexpectedAnswer(status: status, reason: describeOther(root, service: "STS"))
        }
        let name = action.rawValue
        guard root.localName == "\(name)Response", let result = root.child("\(name)Result"),
            let credentials = result.child("Credentials")
        else {
            throw .unexpectedAnswer(status: status, reason: "no \(name)Result/Credentials in <\(LogText.oneLine(root.localName, limit: 64))>")
        }
        func checked(_ path: String, _ element: XMLElement?) throws(STSError) -> String? {
            guard let value = element?.text.trimmingSpaces, !value.isEmpty else { return nil }
            guard !value.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }) else {
                throw .unexpectedAnswer(status: status, reason: "\(path) contains control characters")
            }
            return value
        }
        func field(_ name: String) throws(STSError) -> String {
            guard let value = try checked("Credentials/\(name)", credentials.child(name)) else {
                throw .unexpectedAnswer(status: status, reason: "Credentials/\(name) is missing")
            }
            return value
        }
        let accessKeyID = try field("AccessKeyId")
        guard accessKeyID.utf8.count <= 128, accessKeyID.utf8.allSatisfy(isWordByte) else {
            throw .unexpectedAnswer(status: status, reason: "Credentials/AccessKeyId is not an access key ID")
        }
        let expirationText = try field("Expiration")
        guard let expiration = Timestamp.parse(expirationText) else {
            throw .unexpectedAnswer(
                status: status, reason: "Credentials/Expiration \"\(LogText.oneLine(expirationText, limit: 64))\" is not a timestamp")
        }
        return AWSCredentials(
            accessKeyID: accessKeyID, secretAccessKey: try field("SecretAccessKey"),
            sessionToken: try field("SessionToken"), expiration: expiration,
            assumedRoleARN: try checked("AssumedRoleUser/Arn", result.descendant("AssumedRoleUser", "Arn")))
    }

    /// `[A-Za-z0-9_]`.
    static func isWordByte(_ byte: UInt8) -> Bool {
        SigV4.isUnreserved(byte) && byte != UInt8(ascii: "-") && byte != UInt8(ascii: ".") && byte != UInt8(ascii: "~")
    }

    /// What a well-formed document that is not `service`'s answer is.
    static func describeOther(_ root: XMLElement, service: String) -> String {
        if root.localName.lowercased() == "html" { return "an HTML page" }
        return "an XML document that is not an \(service) error: <\(LogText.oneLine(root.localName, limit: 64))>"
    }

    /// Why `body` is not an STS document, in words an administrator can act on.
    static func describeUnreadable(_ body: [UInt8], _ error: XMLError) -> String {
        if body.isEmpty { return "an empty body" }
        if String(decoding: body.prefix(512), as: UTF8.self).lowercased().contains("<html") { return "an HTML page" }
        if error.offset >= body.count {
            return "truncated XML: the answer ends after \(body.count) bytes, inside the document"
        }
        return "malformed XML: \(error)"
    }

    // MARK: - Calls

    /// Calls `AssumeRoleWithWebIdentity` at `endpoint` with retries. `hop` (1 when the rule
    /// has a chain) only goes into messages; a failure is reported as `STSError.failed` with
    /// the action and role.
    public static func assumeRole(
        _ request: Request, hop: Int? = nil, endpoint: String, transport: any HTTPTransport,
        settings: TransportSettings, retrier: Retrier
    ) throws(STSError) -> AWSCredentials {
        let call = STSCall(action: .assumeRoleWithWebIdentity, roleARN: request.roleARN, hop: hop)
        let httpRequest = HTTPRequest(
            url: endpoint, method: .post, headers: formHeaders, body: Array(request.formBody.utf8))
        return try perform(call, transport: transport, settings: settings, retrier: retrier) { httpRequest }
    }

    /// Calls `AssumeRole` at `endpoint` with retries, signed (SigV4, service `sts`, `region`)
    /// with `credentials`, the previous hop's (`SigV4.Credentials(previous)`). Each attempt is
    /// signed anew at the time of `retrier.clock`. `hop` (the position among the rule's hops,
    /// the web-identity hop being 1) only goes into messages; a failure is reported as
    /// `STSError.failed` with the action, role and hop.
    public static func assumeRole(
        _ request: AssumeRoleRequest, hop: Int? = nil, endpoint: String, region: String,
        credentials: SigV4.Credentials, transport: any HTTPTransport, settings: TransportSettings, retrier: Retrier
    ) throws(STSError) -> AWSCredentials {
        let call = STSCall(action: .assumeRole, roleARN: request.roleARN, hop: hop)
        let unsigned = HTTPRequest(url: endpoint, method: .post, headers: formHeaders, body: Array(request.formBody.utf8))
        return try perform(call, transport: transport, settings: settings, retrier: retrier) {
            SigV4.sign(unsigned, credentials: credentials, region: region, service: "sts", time: retrier.clock.now())
        }
    }

    /// The headers of a form POST that asks for XML.
    static let formHeaders = ["Content-Type: application/x-www-form-urlencoded; charset=utf-8", "Accept: text/xml"]

    /// Sends the request `makeRequest` builds for each attempt and parses the answer to
    /// `call.action`; the last error is reported within `call`.
    static func perform(
        _ call: STSCall, transport: any HTTPTransport, settings: TransportSettings, retrier: Retrier,
        makeRequest: () -> HTTPRequest
    ) throws(STSError) -> AWSCredentials {
        do {
            return try retrier.run(
                "STS \(call.action.rawValue)\(call.hop.map { " (chain hop \($0))" } ?? "")",
                operation: { (timeout: Double) throws(STSError) -> AWSCredentials in
                    let response = try transport.send(
                        makeRequest(), settings: settings, timeout: timeout, failingWith: STSError.transport)
                    return try parseAnswer(status: response.status, body: response.body, action: call.action)
                },
                classify: { error, attempt in error.retryDecision(afterAttempt: attempt) },
                describe: \.attemptSummary)
        } catch {
            throw error.within(call)
        }
    }
}

/// A session tag of an `AssumeRole` hop, and AWS's rules for tags.
public struct SessionTag: Equatable, Sendable {
    public var key: String
    public var value: String

    /// A tag as given; `sanitised(key:value:)` makes one AWS accepts.
    public init(key: String, value: String) {
        self.key = key
        self.value = value
    }

    /// Most characters a key may have. Lengths here are counted so that AWS's limit holds
    /// whether it counts Unicode scalars or UTF-16 units.
    public static let maximumKeyLength = 128
    /// Most characters a value may have.
    public static let maximumValueLength = 256
    /// Most tags one `AssumeRole` call may send (checked when the mapping is loaded).
    public static let maximumTagsPerHop = 50

    /// The tag with its key and value sanitised (`sanitisedKey`, `sanitisedValue`).
    public static func sanitised(key: String, value: String) -> SessionTag {
        SessionTag(key: sanitisedKey(key), value: sanitisedValue(value))
    }

    /// `key` with every character outside AWS's tag set replaced by `-` and cut to 128.
    public static func sanitisedKey(_ key: String) -> String { sanitise(key, limit: maximumKeyLength) }

    /// `value` with every character outside AWS's tag set replaced by `-` and cut to 256.
    public static func sanitisedValue(_ value: String) -> String { sanitise(value, limit: maximumValueLength) }

    /// Whether AWS accepts `scalar` in a tag key or value: `[\p{L}\p{Z}\p{N}_.:/=+\-@]`.
    public static func isAllowed(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
            .spaceSeparator, .lineSeparator, .paragraphSeparator,
            .decimalNumber, .letterNumber, .otherNumber:
            return true
        default:
            return "_.:/=+-@".unicodeScalars.contains(scalar)
        }
    }

    static func sanitise(_ text: String, limit: Int) -> String {
        var output = String.UnicodeScalarView()
        var utf16Length = 0
        for scalar in text.unicodeScalars {
            let kept = isAllowed(scalar) ? scalar : "-"
            utf16Length += kept.utf16.count
            if utf16Length > limit { break }
            output.append(kept)
        }
        return String(output)
    }
}
