import Testing

@testable import GitLabOIDCAWS

/// The signer's pieces on the cases the AWS suite and the botocore differential do not pin
/// down one by one. (Whole signatures: SigV4SuiteTests, Tests/integration/test_sigv4_differential.py.)
@Suite struct SigV4Tests {
    let credentials = SigV4.Credentials(
        accessKeyID: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        sessionToken: "session-token-value")

    @Test(arguments: [
        ("", "/"), ("/", "/"), ("//", "/"), ("/a//b/", "/a/b/"), ("/a/./b", "/a/b"), ("/a/../b", "/b"),
        ("/../..", "/"), ("/a/b/..", "/a"), ("/a/.", "/a"), ("/./", "/"), ("a/b", "a/b"), ("/a/b/../", "/a/"),
    ])
    func normalisesPathsLikeBotocore(path: String, expected: String) {
        #expect(SigV4.normalisedPath(path) == expected)
    }

    @Test func encodesEveryPathByteButUnreservedAndSlash() {
        #expect(SigV4.canonicalURI(path: "/a b/ሴ/$x/~-._") == "/a%20b/%E1%88%B4/%24x/~-._")
        // An escape already in the path is encoded again, as every service but S3 expects.
        #expect(SigV4.canonicalURI(path: "/a%20b") == "/a%2520b")
    }

    @Test func decodesAndReencodesTheQuery() {
        #expect(SigV4.canonicalQueryString("") == "")
        #expect(SigV4.canonicalQueryString("b=2&a=1") == "a=1&b=2")
        #expect(SigV4.canonicalQueryString("a=2&a=1&a=10") == "a=1&a=10&a=2")
        #expect(SigV4.canonicalQueryString("%7e=%7E&%41=x") == "A=x&~=~")
        #expect(SigV4.canonicalQueryString("k=a+b&k2=a%2Bb&k3=a%20b") == "k=a%2Bb&k2=a%2Bb&k3=a%20b")
        #expect(SigV4.canonicalQueryString("flag&=v&e=") == "=v&e=&flag=")
        #expect(SigV4.canonicalQueryString("x=ሴ&y=%E1%88%B4") == "x=%E1%88%B4&y=%E1%88%B4")
        // A `%` without two hex digits is a literal `%`; bytes that are not UTF-8 survive.
        #expect(SigV4.canonicalQueryString("p=100%&q=%zz&r=%FF") == "p=100%25&q=%25zz&r=%FF")
    }

    @Test func canonicalHeadersTrimCollapseMergeAndSkipHopByHop() {
        let (canonical, signed) = SigV4.canonicalHeaders([
            SigV4.Header("X-B", "  one   two\t three  "), SigV4.Header("host", "h"), SigV4.Header("x-b", "four"),
            SigV4.Header("User-Agent", "curl"), SigV4.Header("Expect", "100-continue"), SigV4.Header("X-Empty", "   "),
            SigV4.Header("X-Folded", "a\n   b"),
        ])
        #expect(canonical == "host:h\nx-b:one two three,four\nx-empty:\nx-folded:a b\n")
        #expect(signed == "host;x-b;x-empty;x-folded")
    }

    @Test(arguments: [
        ("https://sts.us-east-1.amazonaws.com/", "sts.us-east-1.amazonaws.com", "/", ""),
        ("https://STS.example.com:443", "sts.example.com", "", ""),
        ("http://127.0.0.1:8080/x?a=1#frag", "127.0.0.1:8080", "/x", "a=1"),
        ("http://localhost:80/", "localhost", "/", ""),
        ("https://localhost:80/", "localhost:80", "/", ""),
        ("https://[::1]:8443/p", "[::1]:8443", "/p", ""),
        ("https://[::1]/p", "[::1]", "/p", ""),
        ("https://user:pw@host.example/?q", "host.example", "/", "q"),
    ])
    func splitsURLs(url: String, host: String, path: String, query: String) {
        let parts = SigV4.URLParts(url)
        #expect(parts.hostHeader == host)
        #expect(parts.path == path)
        #expect(parts.query == query)
    }

    @Test func timestampsAreBasicISO8601() {
        #expect(SigV4.timestamp(1_440_938_160) == "20150830T123600Z")
        #expect(SigV4.timestamp(0) == "19700101T000000Z")
    }

    @Test func signingAnHTTPRequestSetsHostDateTokenAndAuthorization() {
        let request = HTTPRequest(
            url: "http://127.0.0.1:4566/", method: .post,
            headers: ["Content-Type: application/x-www-form-urlencoded", "X-Amz-Date: 19990101T000000Z", "Authorization: old"],
            body: Array("Action=GetCallerIdentity&Version=2011-06-15".utf8))
        let signed = SigV4.sign(request, credentials: credentials, region: "eu-west-1", service: "sts", time: 1_440_938_160)
        #expect(header("Host", in: signed) == "127.0.0.1:4566")
        #expect(header("X-Amz-Date", in: signed) == "20150830T123600Z")
        #expect(header("X-Amz-Security-Token", in: signed) == "session-token-value")
        #expect(signed.headers.filter { $0.lowercased().hasPrefix("authorization:") }.count == 1)
        #expect(signed.headers.filter { $0.lowercased().hasPrefix("x-amz-date:") }.count == 1)
        let authorization = header("Authorization", in: signed) ?? ""
        #expect(authorization.hasPrefix("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/eu-west-1/sts/aws4_request, "))
        #expect(authorization.contains("SignedHeaders=content-type;host;x-amz-date;x-amz-security-token, "))
        #expect(signed.body == request.body && signed.url == request.url && signed.method == .post)
    }

    @Test func theSignatureChangesWithEverySignedPart() {
        func authorization(
            body: String = "a=1", region: String = "us-east-1", service: String = "sts", time: Int64 = 1_800_000_000,
            secret: String = "secret", token: String? = "token", url: String = "https://h.example/"
        ) -> String {
            SigV4.sign(
                method: "POST", url: url, headers: [SigV4.Header("Content-Type", "text/plain")], body: Array(body.utf8),
                credentials: SigV4.Credentials(accessKeyID: "AKID", secretAccessKey: secret, sessionToken: token),
                region: region, service: service, time: time
            ).authorization
        }
        let base = authorization()
        let variants = [
            authorization(body: "a=2"), authorization(region: "eu-west-1"), authorization(service: "iam"),
            authorization(time: 1_800_000_001), authorization(secret: "secret2"), authorization(token: "token2"),
            authorization(token: nil), authorization(url: "https://h.example/x"), authorization(url: "https://h.example/?a"),
            authorization(url: "https://other.example/"),
        ]
        #expect(Set(variants).count == variants.count)
        #expect(!variants.contains(base))
        #expect(authorization() == base)
    }

    @Test func theSigningKeyFollowsAWSsDerivation() {
        // The example of AWS's documentation ("Deriving the signing key"): secret
        // wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY, 20120215, us-east-1, iam.
        let key = SigV4.signingKey(
            secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            scope: SigV4.Scope(date: "20120215", region: "us-east-1", service: "iam"))
        #expect(Digest.hex(key) == "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d")
    }

    @Test func noDescriptionShowsASecret() {
        let signature = SigV4.sign(
            method: "POST", url: "https://sts.amazonaws.com/", headers: [], body: [], credentials: credentials,
            region: "us-east-1", service: "sts", time: 1_800_000_000)
        for text in [
            "\(credentials)", String(reflecting: credentials), "\(signature)", String(reflecting: signature),
            dumped(credentials), dumped(signature),
        ] {
            #expect(!text.contains("EXAMPLEKEY") && !text.contains("session-token-value"), "\(text)")
        }
        #expect("\(credentials)".contains("AKIDEXAMPLE"))
    }

    func dumped(_ value: Any) -> String {
        var text = ""
        dump(value, to: &text)
        return text
    }

    @Test func credentialsComeFromTheStandardVariables() {
        let full = ["AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "s", "AWS_SESSION_TOKEN": "t"]
        #expect(SigV4.Credentials.fromEnvironment { full[$0] } == SigV4.Credentials(accessKeyID: "AKID", secretAccessKey: "s", sessionToken: "t"))
        let longTerm = ["AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "s", "AWS_SESSION_TOKEN": ""]
        #expect(SigV4.Credentials.fromEnvironment { longTerm[$0] }?.sessionToken == nil)
        let partial = ["AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": ""]
        #expect(SigV4.Credentials.fromEnvironment { partial[$0] } == nil)
    }
}
