import Testing

@testable import GitLabOIDCAWS

@Suite struct EndpointURLTests {
    @Test func endpointRules() {
        func ok(_ text: String) -> Bool { if case .success = EndpointURL.parse(text) { true } else { false } }
        #expect(ok("https://gitlab.example.com"))
        #expect(ok("https://gitlab.example.com:8443/path"))
        #expect(ok("http://127.0.0.1:9/"))
        #expect(ok("http://localhost:80"))
        #expect(ok("http://[::1]:8080"))
        #expect(!ok("http://gitlab.example.com"))
        #expect(!ok("http://127.0.0.1.evil.com/"))
        #expect(!ok("http://localhost.evil.com/"))
        #expect(!ok("https://user:pw@gitlab.example.com"))
        #expect(!ok("https://"))
        #expect(!ok("https://host:port/"))
        #expect(!ok("gitlab.example.com"))
        #expect(!ok("https://gitlab example.com"))
    }
}
