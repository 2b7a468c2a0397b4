/// The proxy libcurl takes for a URL, decided from the environment the way libcurl 7.88
/// decides it, and shown only as `scheme://host:port`: never a user name or password.
///
/// libcurl reads `no_proxy` (else `NO_PROXY`) first: a host it lists goes direct. Otherwise
/// `<scheme>_proxy` in lower case, then (except for `http`, whose upper-case form a CGI server
/// can set from a request header) in upper case, then `all_proxy`, then `ALL_PROXY`. A
/// variable that is set but empty means no proxy.
public enum ProxyRoute {
    /// A proxy variable in effect.
    public struct Setting: Equatable, Sendable {
        /// The variable it came from, e.g. `HTTPS_PROXY`.
        public let variable: String
        /// `scheme://host:port`; nil when the value is not a URL libcurl could use.
        public let endpoint: String?

        /// `http://proxy:3128`, or a note that the value is not usable.
        public var shown: String { endpoint ?? "an unusable value" }
    }

    /// The proxy for `url`; nil when the connection goes direct.
    public static func proxy(for url: String, environment: (String) -> String?) -> Setting? {
        guard let (scheme, host) = schemeAndHost(of: url) else { return nil }
        if let (_, list) = noProxy(environment: environment), bypasses(host: host, noProxy: list) { return nil }
        return setting(forScheme: scheme, environment: environment)
    }

    /// The proxy variable libcurl takes for URLs with `scheme` (`http` or `https`), before
    /// `no_proxy` is considered; nil when none is set or the one that is set is empty.
    public static func setting(forScheme scheme: String, environment: (String) -> String?) -> Setting? {
        let lower = "\(scheme)_proxy"
        var names = [lower]
        if scheme != "http" { names.append(lower.uppercased()) }
        for name in names {
            if let value = environment(name) {
                return value.isEmpty ? nil : Setting(variable: name, endpoint: endpoint(of: value))
            }
        }
        for name in ["all_proxy", "ALL_PROXY"] {
            if let value = environment(name) {
                return value.isEmpty ? nil : Setting(variable: name, endpoint: endpoint(of: value))
            }
        }
        return nil
    }

    /// `no_proxy` (or `NO_PROXY`) and its value, when set and not empty.
    public static func noProxy(environment: (String) -> String?) -> (variable: String, value: String)? {
        for name in ["no_proxy", "NO_PROXY"] {
            if let value = environment(name) { return value.isEmpty ? nil : (name, value) }
        }
        return nil
    }

    /// Whether `host` goes direct under the `no_proxy` list `list`: `*` alone (or as an
    /// entry) matches every host; an entry matches the host itself and, for names, every
    /// host under it (`example.com` and `.example.com` both match `a.example.com`); an IPv4
    /// entry with `/bits` matches the addresses in that range. Case does not matter.
    public static func bypasses(host: String, noProxy list: String) -> Bool {
        var name = host.lowercased()
        if name.hasPrefix("[") && name.hasSuffix("]") { name = String(name.dropFirst().dropLast()) }
        if name.hasSuffix(".") { name.removeLast() }
        let entries = list.lowercased().split(whereSeparator: { $0 == "," || $0 == " " || $0 == "\t" })
        for entry in entries {
            var pattern = Substring(entry)
            if pattern == "*" { return true }
            if pattern.hasPrefix("[") && pattern.hasSuffix("]") { pattern = pattern.dropFirst().dropLast() }
            if let address = ipv4(name) {
                if let slash = pattern.firstIndex(of: "/") {
                    guard let network = ipv4(pattern[..<slash]),
                        let bits = Int(pattern[pattern.index(after: slash)...]),
                        (0...32).contains(bits)
                    else { continue }
                    let mask: UInt32 = bits == 0 ? 0 : ~UInt32(0) << UInt32(32 - bits)
                    if address & mask == network & mask { return true }
                } else if ipv4(pattern) == address {
                    return true
                }
                continue
            }
            while pattern.hasPrefix(".") { pattern = pattern.dropFirst() }
            if pattern.hasSuffix(".") { pattern = pattern.dropLast() }
            guard !pattern.isEmpty else { continue }
            if name == pattern || name.hasSuffix("." + pattern) { return true }
        }
        return false
    }

    /// `scheme://host:port` of a proxy URL, without a user name, password or path; the
    /// scheme defaults to `http` and the port to libcurl's (1080, 443 for `https`). Nil when
    /// the value has no host.
    public static func endpoint(of proxyURL: String) -> String? {
        var rest = Substring(proxyURL.trimmingSpaces)
        var scheme = "http"
        if let separator = rest.firstRange(of: "://") {
            scheme = rest[..<separator.lowerBound].lowercased()
            rest = rest[separator.upperBound...]
        }
        guard !scheme.isEmpty,
            scheme.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "+" || $0 == "-") })
        else { return nil }
        var authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
        let host: Substring
        var port: Substring = ""
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            host = authority[...close]
            let after = authority[authority.index(after: close)...]
            if after.hasPrefix(":") { port = after.dropFirst() } else if !after.isEmpty { return nil }
        } else if let colon = authority.lastIndex(of: ":") {
            host = authority[..<colon]
            port = authority[authority.index(after: colon)...]
        } else {
            host = authority
        }
        guard !host.isEmpty, host.allSatisfy({ $0.isASCII && !$0.isWhitespace && $0 != "@" }),
            port.allSatisfy({ $0.isASCII && $0.isNumber }), port.count <= 5
        else { return nil }
        let shownPort = port.isEmpty ? (scheme == "https" ? "443" : "1080") : String(port)
        return "\(scheme)://\(host.lowercased()):\(shownPort)"
    }

    /// The scheme (lower case) and host of a URL; nil when it has neither.
    static func schemeAndHost(of url: String) -> (scheme: String, host: String)? {
        guard let separator = url.firstRange(of: "://") else { return nil }
        let scheme = url[..<separator.lowerBound].lowercased()
        var authority = url[separator.upperBound...].prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
        if authority.hasPrefix("["), let close = authority.firstIndex(of: "]") {
            return (scheme, String(authority[...close]))
        }
        return (scheme, String(authority.prefix { $0 != ":" }))
    }

    /// A dotted IPv4 address as a number; nil for anything else.
    static func ipv4(_ text: Substring) -> UInt32? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var value: UInt32 = 0
        for part in parts {
            guard (1...3).contains(part.count), part.allSatisfy({ $0.isASCII && $0.isNumber }),
                let octet = UInt32(part),
                octet <= 255
            else { return nil }
            value = value << 8 | octet
        }
        return value
    }

    static func ipv4(_ text: String) -> UInt32? { ipv4(Substring(text)) }
}
