/// A network failure: nothing usable came back from the server.
public struct TransportError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Kind: Equatable, Sendable {
        /// Could not resolve the host or connect (refused, unreachable, TLS handshake failed).
        case connect
        /// The connection (TCP, TLS, proxy tunnel) was not up within `seconds`.
        case connectTimeout(seconds: Double)
        /// Connected, but the whole answer did not arrive within the attempt's `seconds`.
        case timeout(seconds: Double)
        /// The connection broke or the answer was cut short.
        case broken
        /// The answer was larger than the limit.
        case tooLarge(limit: Int)
        /// TLS verification failed (certificate, host name, CA).
        case tls
        /// The mapping's `ca_file` cannot be used: missing, unreadable, or without a PEM
        /// certificate.
        case caFile(path: String)
        /// The proxy refused to open a tunnel, answering this HTTP status to `CONNECT`.
        case proxyRefused(status: Int)
        /// The proxy's host name could not be resolved.
        case proxyUnresolved
        /// libcurl itself could not be loaded.
        case libcurlMissing
        /// Anything else libcurl reports.
        case other
    }

    public let kind: Kind
    public let url: String
    /// libcurl's explanation (`curl_easy_strerror` plus its error buffer).
    public let detail: String
    /// The proxy variables of the environment, secrets removed (`ProxyEnvironment`), when
    /// any is set: shown so that a failure through a proxy says so.
    public let proxySettings: String?

    public init(kind: Kind, url: String, detail: String, proxySettings: String? = nil) {
        self.kind = kind
        self.url = url
        self.detail = detail
        self.proxySettings = proxySettings
    }

    /// Whether trying again may help.
    public var isTransient: Bool {
        switch kind {
        case .connect, .connectTimeout, .timeout, .broken, .proxyUnresolved, .other: return true
        case let .proxyRefused(status): return status >= 500
        case .tooLarge, .tls, .caFile, .libcurlMissing: return false
        }
    }

    public var description: String { describe(naming: url) }

    /// The description without the URL, for the line of each failed attempt: the URL is
    /// named once, in the error the caller reports when it gives up.
    public var attemptSummary: String { describe(naming: nil) }

    private func describe(naming url: String?) -> String {
        var text: String
        let detail = LogText.oneLine(self.detail, limit: 512)
        let server = url ?? "the server"
        switch kind {
        case let .tooLarge(limit):
            text = "the answer from \(server) is larger than \(limit / 1024) KiB; refused"
        case .tls:
            text = "TLS verification failed for \(server): \(detail); if the server uses a private CA, give its PEM bundle as `ca_file`"
        case let .caFile(path):
            text = "cannot use the mapping's ca_file \(path) for \(server) (missing, unreadable, or no PEM certificate in it): \(detail); fix `ca_file` in the mapping (`gitlab-oidc-aws check` reports it)"
        case let .connectTimeout(seconds):
            text = "could not connect to \(server) within \(LogText.seconds(seconds)) s (connect_timeout, or less near the deadline): \(detail)"
        case let .timeout(seconds):
            text = "no complete answer from \(server) within \(LogText.seconds(seconds)) s (the per-attempt limit: request_timeout, or less near the deadline); the server accepted the connection but did not answer in time: \(detail)"
        case .broken:
            text = "the connection to \(server) broke before the whole answer arrived: \(detail)"
        case let .proxyRefused(status):
            text = "the proxy refused to connect to \(server) (HTTP \(status) to CONNECT): \(detail)"
        case .proxyUnresolved:
            text = "the proxy's host name cannot be resolved: \(detail)"
        case .connect:
            text = "cannot connect to \(server): \(detail)"
        case .libcurlMissing:
            text = "cannot load libcurl (\(LibCurl.soname)), which every request needs: \(detail); install it (Debian and Ubuntu: apt-get install libcurl4), or give container jobs the bundle made by install.sh --bundle"
        case .other:
            text = url.map { "\($0): \(detail)" } ?? detail
        }
        if let proxySettings { text += " [proxy settings: \(proxySettings)]" }
        return text
    }
}
