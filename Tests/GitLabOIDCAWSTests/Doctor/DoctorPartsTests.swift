import GitLabOIDCAWSTestSupport
import Testing

@testable import GitLabOIDCAWS

@Suite struct ProxyRouteTests {
    func proxy(_ url: String, _ variables: [String: String]) -> String? {
        ProxyRoute.proxy(for: url, environment: { variables[$0] })?.endpoint
    }

    @Test func onlySchemeHostAndPortAreShown() {
        #expect(
            ProxyRoute.endpoint(of: "http://user:p%40ss@proxy.example.com:3128/x?y") == "http://proxy.example.com:3128")
        #expect(ProxyRoute.endpoint(of: "proxy:8080") == "http://proxy:8080")
        #expect(ProxyRoute.endpoint(of: "HTTP://Proxy") == "http://proxy:1080")
        #expect(ProxyRoute.endpoint(of: "https://proxy") == "https://proxy:443")
        #expect(ProxyRoute.endpoint(of: "socks5h://u:p@[::1]:1080") == "socks5h://[::1]:1080")
        #expect(ProxyRoute.endpoint(of: "http://a:b@c@proxy:1") == "http://proxy:1")
        #expect(ProxyRoute.endpoint(of: "http://user:pw@") == nil)
        #expect(ProxyRoute.endpoint(of: "http://proxy:port") == nil)
        #expect(ProxyRoute.endpoint(of: "://proxy") == nil)
    }

    @Test func libcurlsOrderOfVariables() {
        #expect(proxy("https://x/", ["https_proxy": "a:1", "HTTPS_PROXY": "b:2", "all_proxy": "c:3"]) == "http://a:1")
        #expect(proxy("https://x/", ["HTTPS_PROXY": "b:2", "all_proxy": "c:3"]) == "http://b:2")
        #expect(proxy("https://x/", ["all_proxy": "c:3", "ALL_PROXY": "d:4"]) == "http://c:3")
        #expect(proxy("https://x/", ["ALL_PROXY": "d:4"]) == "http://d:4")
        #expect(proxy("http://127.0.0.1:1/", ["HTTP_PROXY": "b:2"]) == nil, "upper-case HTTP_PROXY is ignored")
        #expect(proxy("http://127.0.0.1:1/", ["http_proxy": "a:1"]) == "http://a:1")
        #expect(proxy("https://x/", ["https_proxy": "", "all_proxy": "c:3"]) == nil, "set but empty: no proxy")
        #expect(proxy("https://x/", [:]) == nil)
    }

    @Test func noProxyListsGoDirect() {
        let through = ["https_proxy": "http://p:3128"]
        func direct(_ url: String, _ list: String, variable: String = "no_proxy") -> Bool {
            proxy(url, through.merging([variable: list]) { $1 }) == nil
        }
        #expect(direct("https://gitlab.example.com/", "example.com"))
        #expect(direct("https://gitlab.example.com/", ".example.com"))
        #expect(direct("https://GitLab.Example.COM./", "example.com"))
        #expect(!direct("https://gitlab.example.com.evil/", "example.com"))
        #expect(!direct("https://notexample.com/", "example.com"))
        #expect(direct("https://x/", "*"))
        #expect(direct("https://x/", "a, *"))
        #expect(direct("https://10.1.2.3:8443/", "10.0.0.0/8"))
        #expect(!direct("https://11.1.2.3/", "10.0.0.0/8"))
        #expect(direct("https://127.0.0.1:9/", "localhost,127.0.0.1"))
        #expect(direct("https://[::1]:9/", "::1"))
        #expect(direct("https://sts.us-east-1.amazonaws.com/", "amazonaws.com", variable: "NO_PROXY"))
        #expect(!direct("https://x/", ""))
    }
}

@Suite struct HTTPDateTests {
    @Test func imfFixdateIsRead() {
        #expect(HTTPDate.parse("Sun, 06 Nov 1994 08:49:37 GMT") == 784_111_777)
        #expect(HTTPDate.parse("Thu, 01 Jan 1970 00:00:00 GMT") == 0)
        #expect(HTTPDate.parse(" Fri, 15 Jan 2027 08:01:00 GMT ") == TokenFixtures.issuedAt + 60)
    }

    @Test(arguments: [
        "", "yesterday", "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994", "Sun, 06 Nov 1994 08:49:37 UTC",
        "Sun, 6 Nov 1994 08:49:37 GMT", "Sun, 06 Foo 1994 08:49:37 GMT", "Sun, 06 Nov 1994 24:00:00 GMT",
        "Sun, 06 Nov 1994 08:49 GMT", "Sun, 06 Nov +994 08:49:37 GMT", "Sun, 99 Nov 1994 08:49:37 GMT",
    ])
    func anythingElseIsNot(text: String) {
        #expect(HTTPDate.parse(text) == nil)
    }
}

@Suite struct DoctorReportTests {
    static let checks = [
        DoctorCheck(name: "mapping", status: .ok, summary: "mapping m.toml: valid, 1 rule"),
        DoctorCheck(name: "clock", status: .warn, summary: "clock: 2 min ahead", advice: "synchronise"),
        DoctorCheck(
            name: "issuer", status: .fail, summary: "issuer x: cannot\nfetch", details: ["one detail"], advice: "fix it"
        ),
    ]

    @Test func theTextIsOneLinePerCheckWithIndentedAdvice() {
        let report = DoctorReport(configPath: "m.toml", checks: Self.checks, mappingInvalid: false, tokenGiven: true)
        #expect(
            report.text == """
                ok   mapping m.toml: valid, 1 rule
                warn clock: 2 min ahead
                     synchronise
                FAIL issuer x: cannot fetch
                     one detail
                     fix it
                1 of 3 checks failed (1 warning): jobs on this runner would not get their credentials
                """)
        #expect(report.exitCategory == .credentialsUnavailable)
    }

    @Test func theVerdictFollowsTheWorstFinding() {
        let passing = DoctorReport(
            configPath: "m.toml", checks: Array(Self.checks.prefix(2)), mappingInvalid: false, tokenGiven: false)
        #expect(passing.exitCategory == nil)
        #expect(passing.verdict.hasPrefix("all 2 checks passed (1 warning); add --token-file"))
        let invalid = DoctorReport(configPath: "m.toml", checks: Self.checks, mappingInvalid: true, tokenGiven: false)
        #expect(invalid.exitCategory == .invalidConfiguration)
        #expect(invalid.json["result"]?.stringValue == "invalid-mapping")
    }

    @Test func theJSONHasEveryCheck() throws {
        let report = DoctorReport(configPath: "m.toml", checks: Self.checks, mappingInvalid: false, tokenGiven: true)
        let json = try JSONValue.parse(report.json.compactText)
        #expect(json["config"]?.stringValue == "m.toml")
        #expect(json["result"]?.stringValue == "failed")
        guard case let .array(checks)? = json["checks"] else {
            Issue.record("no checks")
            return
        }
        #expect(checks.map { $0["status"]?.stringValue } == ["ok", "warn", "fail"])
        #expect(checks[0]["advice"] == .null)
        #expect(checks[2]["details"] == .array([.string("one detail")]))
        #expect(checks[2]["summary"]?.stringValue == "issuer x: cannot\nfetch")
    }

    @Test func durationsReadNaturally() {
        #expect(DoctorText.duration(45) == "45 s")
        #expect(DoctorText.duration(300) == "5 min")
        #expect(DoctorText.duration(7200) == "2 h")
        #expect(DoctorText.duration(7500) == "2 h 5 min")
        #expect(DoctorText.rules([3]) == "rule 3")
        #expect(DoctorText.rules([1, 2]) == "rules 1, 2")
    }
}

/// A transport that records the settings of each request and answers 200 with a `Date`.
private final class SettingsRecorder: HTTPTransport {
    private(set) var settings: [TransportSettings] = []
    var status = 200

    func perform(_ request: HTTPRequest, settings: TransportSettings, timeout: Double) throws(TransportError)
        -> HTTPResponse
    {
        self.settings.append(settings)
        return HTTPResponse(status: status, body: Array("\(self.settings.count)".utf8), headers: ["date": "d"])
    }
}

@Suite struct DoctorTransportTests {
    @Test func headersAreAskedForAndDatesNotedWithTheLocalTime() throws {
        let base = SettingsRecorder()
        let clock = ManualClock(now: 1000)
        let transport = DoctorTransport(base, clock: clock.clock)
        _ = try transport.perform(HTTPRequest(url: "https://a/"), settings: TransportSettings(), timeout: 1)
        #expect(base.settings.map(\.collectsHeaders) == [true])
        #expect(TransportSettings().collectsHeaders == false, "the hook's requests collect none")
        #expect(transport.answers.map(\.url) == ["https://a/"])
        #expect(transport.answers.first?.date == "d" && transport.answers.first?.receivedAt == 1000)
    }

    @Test func onlyGETsAnswered200AreRemembered() throws {
        let base = SettingsRecorder()
        let transport = DoctorTransport(base, clock: ManualClock().clock)
        let get = HTTPRequest(url: "https://a/keys")
        let first = try transport.perform(get, settings: TransportSettings(), timeout: 1)
        let again = try transport.perform(get, settings: TransportSettings(), timeout: 1)
        #expect(first.body == again.body && base.settings.count == 1)
        let post = HTTPRequest(url: "https://a/keys", method: .post)
        _ = try transport.perform(post, settings: TransportSettings(), timeout: 1)
        _ = try transport.perform(post, settings: TransportSettings(), timeout: 1)
        #expect(base.settings.count == 3)
        base.status = 500
        let failing = HTTPRequest(url: "https://a/other")
        _ = try transport.perform(failing, settings: TransportSettings(), timeout: 1)
        _ = try transport.perform(failing, settings: TransportSettings(), timeout: 1)
        #expect(base.settings.count == 5)
    }
}
