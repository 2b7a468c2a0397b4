import GitLabOIDCAWS

/// STS answers as AWS words them (`AssumeRoleWithWebIdentityResponse`, `AssumeRoleResponse`,
/// `ErrorResponse`).
public enum STSAnswers {
    /// The regional endpoint the hook uses for `us-east-1` when `sts_endpoint` is not set.
    public static let defaultEndpoint = "https://sts.us-east-1.amazonaws.com/"

    /// Credentials for `role` (an IAM role ARN) and `session`, expiring at `expiration`, as the
    /// answer to `action` (`AssumeRoleWithWebIdentity` or `AssumeRole`); the keys are made from
    /// `serial`, so that each answer of a test differs.
    public static func credentials(
        role: String, session: String = "gitlab-42-1001", expiration: Int64, serial: Int = 1,
        action: String = "AssumeRoleWithWebIdentity"
    ) -> HTTPResponse {
        let account = role.split(separator: ":", omittingEmptySubsequences: false).dropFirst(4).first ?? "000000000000"
        let name = role.split(separator: "/").last ?? "role"
        let body = """
            <?xml version="1.0" encoding="UTF-8"?>
            <\(action)Response xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
              <\(action)Result>
                <AssumedRoleUser>
                  <Arn>arn:aws:sts::\(account):assumed-role/\(name)/\(session)</Arn>
                  <AssumedRoleId>AROA3XFRBF535PLBIFPI4:\(session)</AssumedRoleId>
                </AssumedRoleUser>
                <Credentials>
                  <SessionToken>\(sessionToken(serial))</SessionToken>
                  <SecretAccessKey>\(secretAccessKey(serial))</SecretAccessKey>
                  <Expiration>\(Timestamp.format(expiration))</Expiration>
                  <AccessKeyId>\(accessKeyID(serial))</AccessKeyId>
                </Credentials>
              </\(action)Result>
              <ResponseMetadata><RequestId>request-\(serial)</RequestId></ResponseMetadata>
            </\(action)Response>
            """
        return HTTPResponse(status: 200, body: Array(body.utf8))
    }

    public static func accessKeyID(_ serial: Int) -> String { "ASIAFAKE\(serial)EXAMPLE" }
    public static func secretAccessKey(_ serial: Int) -> String { "secret/\(serial)+wJalrXUtnFEMIK7MDENG" }
    public static func sessionToken(_ serial: Int) -> String { "session-token-\(serial)/FwoGZXIvYXdzE+=" }

    /// An `ErrorResponse` with `code` and `message` (HTTP 400 unless `status` says otherwise).
    public static func error(_ code: String, message: String = "refused", status: Int = 400) -> HTTPResponse {
        let body = """
            <ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
              <Error><Type>Sender</Type><Code>\(code)</Code><Message>\(message)</Message></Error>
              <RequestId>request-error</RequestId>
            </ErrorResponse>
            """
        return HTTPResponse(status: status, body: Array(body.utf8))
    }
}

/// What the OIDC issuer of `TokenFixtures` serves: discovery and the key set.
public enum IssuerAnswers {
    public static let discoveryURL = TokenFixtures.issuer + "/.well-known/openid-configuration"
    public static let keySetURL = TokenFixtures.issuer + "/oauth/discovery/keys"

    public static let discovery = HTTPResponse(
        status: 200,
        body: Array(#"{"issuer":"\#(TokenFixtures.issuer)","jwks_uri":"\#(keySetURL)"}"#.utf8))

    public static let keySet = HTTPResponse(status: 200, body: Array(TokenFixtures.keySet.utf8))

    /// Scripts `transport` to serve discovery and the key set on every request.
    public static func serve(on transport: FakeTransport) {
        transport.always(discoveryURL, .response(discovery))
        transport.always(keySetURL, .response(keySet))
    }
}
