/// The proxy variables libcurl reads from the environment, described for error messages
/// without their secrets.
///
/// libcurl itself picks the proxy: `https_proxy` or `HTTPS_PROXY` for https:// URLs,
/// `http_proxy` (lower case only: the upper-case form is ignored because a CGI web server
/// sets `HTTP_PROXY` from a request header) for http:// URLs, then `all_proxy` / `ALL_PROXY`;
/// hosts listed in `no_proxy` / `NO_PROXY` go direct. This type only reports what is set.
///
/// Nothing of a proxy URL but its scheme, host and port ever reaches a message: a user name
/// or password may hold any character (`#`, `/`, `?`, a second `@`, percent escapes), so the
/// host is what follows the last `@`, and is shown only when it looks like a host.
public enum ProxyEnvironment {
    /// Every variable a proxy URL (and so a proxy password) can come from, whichever applies.
    public static let proxyVariables = [
        "https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY",
    ]

    /// The variables that apply to URLs with `scheme`, in libcurl's order of preference.
    public static func variables(forScheme scheme: String) -> [String] {
        let specific = scheme == "https" ? ["https_proxy", "HTTPS_PROXY"] : ["http_proxy"]
        return specific + ["all_proxy", "ALL_PROXY", "no_proxy", "NO_PROXY"]
    }

    /// `HTTPS_PROXY=http://***@proxy:3128, NO_PROXY=localhost` for the variables that are set
    /// and apply to `url`; nil when none is set. Proxy URLs are shown as `redactingUserInfo`
    /// shows them.
    public static func describe(url: String, environment: (String) -> String?) -> String? {
        let scheme = url.lowercased().hasPrefix("https:") ? "https" : "http"
        let set = variables(forScheme: scheme).compactMap { name -> String? in
            guard let value = environment(name), !value.isEmpty else { return nil }
            return "\(name)=\(name.lowercased() == "no_proxy" ? value : redactingUserInfo(value))"
        }
        return set.isEmpty ? nil : LogText.oneLine(set.joined(separator: ", "), limit: 512)
    }

    /// A proxy URL as scheme, host and port only: `http://user:secret@proxy:3128/x` becomes
    /// `http://***@proxy:3128` (the `***` says that credentials are set). A host or port that
    /// does not look like one is shown as `?`, so that no other part can slip through.
    public static func redactingUserInfo(_ proxy: String) -> String {
        let parts = Parts(proxy)
        return "\(parts.scheme)://\(parts.userInfo == nil ? "" : "***@")\(parts.hostAndPort)"
    }

    /// Every form in which a user name or password of a proxy variable could appear in a
    /// message: as written, percent-decoded, and percent-encoded (upper- and lower-case hex),
    /// whole and cut at the characters that end a URL's parts (`#`, `/`, `?`, `@`), for a
    /// parser that cut it there. Longest first.
    public static func secrets(environment: (String) -> String?) -> [String] {
        var found: Set<String> = []
        for name in proxyVariables {
            guard let value = environment(name), let userInfo = Parts(value).userInfo else { continue }
            var pieces = [userInfo]
            if let colon = userInfo.firstIndex(of: ":") {
                pieces += [String(userInfo[..<colon]), String(userInfo[userInfo.index(after: colon)...])]
            }
            for piece in pieces {
                let decoded = percentDecoded(piece)
                let forms =
                    [piece, decoded]
                    + [piece, decoded].flatMap { [percentEncoded($0, upper: true), percentEncoded($0, upper: false)] }
                for form in forms {
                    found.insert(form)
                    for cut in form.split(whereSeparator: { "#/?@:".contains($0) }) { found.insert(String(cut)) }
                }
            }
        }
        found.remove("")
        return found.sorted { ($0.utf8.count, $0) > ($1.utf8.count, $1) }
    }

    /// `scrubbedOrNil` replaces no secret shorter than this inside a text (a one-letter user
    /// name would garble every word): it drops a text that contains one instead.
    static let shortestReplaced = 4

    /// `text` with every secret of every proxy variable (`secrets`) replaced by `***`, and
    /// each whole proxy URL shown as `redactingUserInfo` shows it. Shorter secrets are
    /// replaced too, so the result may read oddly; use it for text the hook wrote itself.
    public static func scrub(_ text: String, environment: (String) -> String?) -> String {
        var result = replacingProxyURLs(in: text, environment: environment)
        for secret in secrets(environment: environment) { result = replacing(secret, in: result) }
        return result
    }

    /// Text from elsewhere (libcurl's error buffer and messages) with the proxy variables'
    /// secrets replaced by `***`; nil when it still contains a secret too short to replace
    /// without garbling it, so that the caller leaves the text out.
    public static func scrubbedOrNil(_ text: String, environment: (String) -> String?) -> String? {
        var result = replacingProxyURLs(in: text, environment: environment)
        for secret in secrets(environment: environment) {
            let replaced = replacing(secret, in: result)
            if replaced == result { continue }
            if secret.utf8.count < shortestReplaced { return nil }
            result = replaced
        }
        return result
    }

    private static func replacingProxyURLs(in text: String, environment: (String) -> String?) -> String {
        var result = text
        let values = proxyVariables.compactMap { environment($0) }.filter { Parts($0).userInfo != nil }
        for value in values.sorted(by: { $0.utf8.count > $1.utf8.count }) {
            result = replacing(value, in: result, with: redactingUserInfo(value))
        }
        return result
    }

    /// `text` with every occurrence of `secret` replaced, compared byte by byte (UTF-8), so
    /// that no Unicode equivalence or combining mark can hide one.
    static func replacing(_ secret: String, in text: String, with replacement: String = "***") -> String {
        let needle = Array(secret.utf8)
        let haystack = Array(text.utf8)
        guard !needle.isEmpty, haystack.count >= needle.count else { return text }
        var output: [UInt8] = []
        output.reserveCapacity(haystack.count)
        var index = 0
        var replaced = false
        while index < haystack.count {
            if haystack.count - index >= needle.count, haystack[index..<index + needle.count].elementsEqual(needle) {
                output += replacement.utf8
                index += needle.count
                replaced = true
            } else {
                output.append(haystack[index])
                index += 1
            }
        }
        return replaced ? String(decoding: output, as: UTF8.self) : text
    }

    /// The parts of a proxy URL as far as messages need them.
    private struct Parts {
        /// Lower case; `http` when the URL has none (libcurl's default).
        let scheme: String
        /// Everything between `://` and the last `@`, when there is an `@`.
        let userInfo: String?
        /// `host:port` when both look like that (IPv6 in brackets), else `?`.
        let hostAndPort: String

        init(_ proxy: String) {
            var rest = Substring(proxy)
            if let separator = proxy.firstRange(of: "://") {
                let name = proxy[..<separator.lowerBound].lowercased()
                let valid = !name.isEmpty && name.utf8.allSatisfy { Parts.isSchemeByte($0) }
                scheme = valid ? name : "?"
                rest = proxy[separator.upperBound...]
            } else {
                scheme = "http"
            }
            if let at = rest.lastIndex(of: "@") {
                userInfo = String(rest[..<at])
                rest = rest[rest.index(after: at)...]
            } else {
                userInfo = nil
            }
            let end = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? rest.endIndex
            let authority = rest[..<end]
            hostAndPort = Parts.isHostAndPort(authority) ? String(authority) : "?"
        }

        static func isSchemeByte(_ byte: UInt8) -> Bool {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "+"),
                UInt8(ascii: "-"), UInt8(ascii: "."):
                return true
            default: return false
            }
        }

        /// `host`, `host:port` or `[v6]:port`, with host name characters and a numeric port.
        static func isHostAndPort(_ authority: Substring) -> Bool {
            var host = authority
            var port: Substring = ""
            if authority.hasPrefix("[") {
                guard let close = authority.firstIndex(of: "]") else { return false }
                host = authority[authority.index(after: authority.startIndex)..<close]
                let after = authority[authority.index(after: close)...]
                if !after.isEmpty {
                    guard after.hasPrefix(":") else { return false }
                    port = after.dropFirst()
                    if port.isEmpty { return false }
                }
                guard !host.isEmpty,
                    host.utf8.allSatisfy({ isHexDigit($0) || $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: ".") })
                else { return false }
            } else {
                if let colon = authority.firstIndex(of: ":") {
                    host = authority[..<colon]
                    port = authority[authority.index(after: colon)...]
                    if port.isEmpty { return false }
                }
                guard !host.isEmpty, host.utf8.allSatisfy(isHostByte) else { return false }
            }
            return port.utf8.count <= 5 && port.utf8.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
        }

        static func isHostByte(_ byte: UInt8) -> Bool {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"):
                return true
            default: return false
            }
        }

        static func isHexDigit(_ byte: UInt8) -> Bool {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "f"),
                UInt8(ascii: "A")...UInt8(ascii: "F"):
                return true
            default: return false
            }
        }
    }

    /// `%XX` escapes decoded (bytes that do not form UTF-8 become U+FFFD); other text as is.
    static func percentDecoded(_ text: String) -> String {
        let bytes = Array(text.utf8)
        var output: [UInt8] = []
        var index = 0
        func value(_ byte: UInt8) -> UInt8? {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
            default: return nil
            }
        }
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "%"), index + 2 < bytes.count, let high = value(bytes[index + 1]),
                let low = value(bytes[index + 2])
            {
                output.append(high << 4 | low)
                index += 3
            } else {
                output.append(bytes[index])
                index += 1
            }
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// Every byte but RFC 3986's unreserved characters as `%XX`.
    static func percentEncoded(_ text: String, upper: Bool) -> String {
        let hex = Array((upper ? "0123456789ABCDEF" : "0123456789abcdef").utf8)
        var output: [UInt8] = []
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                output.append(byte)
            default:
                output += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 15)]]
            }
        }
        return String(decoding: output, as: UTF8.self)
    }
}
