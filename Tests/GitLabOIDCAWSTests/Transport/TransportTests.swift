import Testing

@testable import GitLabOIDCAWS

@Suite struct TransportErrorTests {
    @Test func timeoutsNameTheSettingToChange() {
        let connect = TransportError(kind: .connectTimeout(seconds: 5), url: "https://sts.us-east-1.amazonaws.com/", detail: "d")
        #expect(connect.description.contains("could not connect to https://sts.us-east-1.amazonaws.com/ within 5 s (connect_timeout"))
        let answer = TransportError(kind: .timeout(seconds: 1.5), url: "u", detail: "d")
        #expect(answer.description.contains("within 1.5 s"))
        #expect(answer.description.contains("request_timeout"))
        #expect(answer.description.contains("did not answer in time"))
    }

    @Test func mentionsTheProxySettings() {
        let error = TransportError(kind: .connect, url: "u", detail: "d", proxySettings: "HTTPS_PROXY=http://p:3128")
        #expect(error.description.hasSuffix("[proxy settings: HTTPS_PROXY=http://p:3128]"))
        #expect(TransportError(kind: .proxyRefused(status: 403), url: "u", detail: "d").description.contains("HTTP 403 to CONNECT"))
    }

    @Test func curlDetailStaysOnOneLine() {
        let error = TransportError(kind: .other, url: "u", detail: "a\r\nb")
        #expect(error.description == "u: a  b")
    }

    @Test func secondsWithoutNeedlessFractions() {
        #expect(LogText.seconds(5) == "5")
        #expect(LogText.seconds(0.25) == "0.25")
        #expect(LogText.seconds(1.5) == "1.5")
    }
}

@Suite struct ProxyEnvironmentTests {
    func describe(_ url: String, _ variables: [String: String]) -> String? {
        ProxyEnvironment.describe(url: url, environment: { variables[$0] })
    }

    @Test func nothingSetMeansNoProxy() {
        #expect(describe("https://sts.us-east-1.amazonaws.com/", [:]) == nil)
        #expect(describe("https://x/", ["HTTPS_PROXY": ""]) == nil)
    }

    @Test func httpsURLsUseHTTPSProxyInEitherCase() {
        #expect(describe("https://x/", ["HTTPS_PROXY": "http://p:3128"]) == "HTTPS_PROXY=http://p:3128")
        #expect(
            describe("https://x/", ["https_proxy": "http://a:1", "NO_PROXY": "localhost,.internal"])
                == "https_proxy=http://a:1, NO_PROXY=localhost,.internal")
    }

    @Test func upperCaseHTTPProxyIsIgnoredLikeLibcurlDoes() {
        #expect(describe("http://127.0.0.1:1/", ["HTTP_PROXY": "http://p:1"]) == nil)
        #expect(describe("http://127.0.0.1:1/", ["http_proxy": "http://p:1"]) == "http_proxy=http://p:1")
        #expect(describe("https://x/", ["http_proxy": "http://p:1"]) == nil)
    }

    @Test func passwordsAreNeverShown() {
        #expect(
            describe("https://x/", ["HTTPS_PROXY": "http://user:s3cret@proxy:3128/"]) == "HTTPS_PROXY=http://***@proxy:3128")
        #expect(ProxyEnvironment.redactingUserInfo("user:pw@proxy:1") == "http://***@proxy:1")
        #expect(ProxyEnvironment.redactingUserInfo("http://proxy:1/path?q#f") == "http://proxy:1")
    }

    /// A user name or password may hold any character; only what follows the last `@` can be
    /// the host, and only a host and a numeric port are ever shown.
    @Test(arguments: [
        ("http://deploy:s3cr#et@proxy:3128", "http://***@proxy:3128", ["deploy", "s3cr", "et"]),
        ("http://u%40x:p%2Fw@host:8080", "http://***@host:8080", ["u%40x", "p%2Fw", "u@x", "p/w"]),
        ("http://us@er:pa@ss@host:1", "http://***@host:1", ["us", "er", "pa", "ss"]),
        ("http://user:pa/ss?w@host:1/", "http://***@host:1", ["pa", "ss?w"]),
        ("socks5h://[::1]:1080", "socks5h://[::1]:1080", []),
        ("http://proxy:1/a@b", "http://***@b", ["proxy"]),
    ])
    func onlySchemeHostAndPortAreShown(proxy: String, shown: String, hidden: [String]) {
        let text = ProxyEnvironment.redactingUserInfo(proxy)
        #expect(text == shown)
        for secret in hidden { #expect(!text.contains(secret)) }
    }

    @Test func secretsComeInEveryForm() {
        let secrets = ProxyEnvironment.secrets(environment: ["all_proxy": "http://u%40x:p%2Fw#1@host:8080"].get)
        for form in ["u%40x", "u@x", "u%2540x", "p%2Fw#1", "p/w#1", "p%252Fw%231", "p%2Fw%231", "p%2fw%231", "p%2Fw", "p"] {
            #expect(secrets.contains(form), "\(form)")
        }
        #expect(!secrets.contains("host"))
    }

    @Test func libcurlTextIsScrubbedOfEveryProxyVariablesSecrets() {
        let environment: (String) -> String? = [
            "all_proxy": "http://deploy:s3cr#et@proxy:3128", "HTTP_PROXY": "http://builder:an0ther-pw@other:1",
        ].get
        let scrubbed = ProxyEnvironment.scrubbedOrNil(
            "Unsupported proxy syntax in 'http://deploy:s3cr#et@proxy:3128': Port number was not a decimal number; an0ther-pw",
            environment: environment)
        #expect(scrubbed == "Unsupported proxy syntax in 'http://***@proxy:3128': Port number was not a decimal number; ***")
        // `et` is too short to cut out of a text without garbling it: the text is left out.
        #expect(ProxyEnvironment.scrubbedOrNil("Could not resolve proxy: et", environment: environment) == nil)
        #expect(ProxyEnvironment.scrubbedOrNil("Could not resolve host", environment: environment) == "Could not resolve host")
    }
}

extension Dictionary where Key == String, Value == String {
    /// The dictionary as an environment lookup.
    var get: (String) -> String? { { self[$0] } }
}
