/// The URL rules every endpoint obeys: `https://`, or plain `http://` for loopback hosts only
/// (local proxies and tests). TLS verification is never turned off.
public struct EndpointURL: Hashable, Sendable, CustomStringConvertible {
    public let text: String
    public let scheme: String
    /// The host without brackets or port: `gitlab.example.com`, `127.0.0.1`, `::1`.
    public let host: String
    /// Everything after the host (and port): `/oauth/discovery/keys`, or empty.
    public let rest: String

    /// Parses `text`; returns nil (with a reason) when it breaks the rules.
    public static func parse(_ text: String) -> Result<EndpointURL, EndpointURLProblem> {
        let lower = text.lowercased()
        let scheme: String
        if lower.hasPrefix("https://") {
            scheme = "https"
        } else if lower.hasPrefix("http://") {
            scheme = "http"
        } else {
            return .failure(.notHTTPS)
        }
        if text.utf8.contains(where: { $0 <= 0x20 || $0 == 0x7F }) { return .failure(.malformed) }
        let afterScheme = text.dropFirst(scheme.count + 3)
        let authorityEnd = afterScheme.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? afterScheme.endIndex
        var authority = afterScheme[..<authorityEnd]
        if authority.contains("@") { return .failure(.userInfo) }
        let host: Substring
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return .failure(.malformed) }
            host = authority[authority.index(after: authority.startIndex)..<close]
            authority = authority[authority.index(after: close)...]
        } else {
            let colon = authority.firstIndex(of: ":") ?? authority.endIndex
            host = authority[..<colon]
            authority = authority[colon...]
        }
        if !authority.isEmpty {
            guard authority.hasPrefix(":"), authority.count > 1, authority.count <= 6,
                authority.dropFirst().allSatisfy({ $0.isASCII && $0.isNumber })
            else { return .failure(.malformed) }
        }
        guard !host.isEmpty else { return .failure(.malformed) }
        let url = EndpointURL(
            text: text, scheme: scheme, host: host.lowercased(), rest: String(afterScheme[authorityEnd...]))
        if scheme == "http" && !url.isLoopback { return .failure(.plainHTTPNotLoopback) }
        return .success(url)
    }

    private init(text: String, scheme: String, host: String, rest: String) {
        self.text = text
        self.scheme = scheme
        self.host = host
        self.rest = rest
    }

    /// `127.0.0.0/8`, `::1` or `localhost`.
    public var isLoopback: Bool {
        if host == "localhost" || host == "::1" { return true }
        let octets = host.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets[0] == "127"
            && octets.allSatisfy { !$0.isEmpty && $0.count <= 3 && $0.allSatisfy(\.isNumber) && Int($0)! <= 255 }
    }

    public var description: String { text }
}

/// Why a URL in the mapping file was refused.
public enum EndpointURLProblem: Error, Sendable, CustomStringConvertible {
    case notHTTPS
    case plainHTTPNotLoopback
    case userInfo
    case malformed

    public var description: String {
        switch self {
        case .notHTTPS: return "must start with https://"
        case .plainHTTPNotLoopback:
            return "plain http:// is only accepted for loopback hosts (127.0.0.0/8, [::1], localhost); use https://"
        case .userInfo: return "must not contain a user name or password"
        case .malformed: return "is not a valid URL (scheme://host[:port]/path, no spaces)"
        }
    }
}
