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
            describe("https://x/", ["HTTPS_PROXY": "http://user:s3cret@proxy:3128/"]) == "HTTPS_PROXY=http://***@proxy:3128/")
        #expect(ProxyEnvironment.redactingUserInfo("user:pw@proxy:1") == "***@proxy:1")
        #expect(ProxyEnvironment.redactingUserInfo("http://proxy:1/a@b") == "http://proxy:1/a@b")
    }
}
