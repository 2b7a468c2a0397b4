/// The proxy variables libcurl reads from the environment, described for error messages.
///
/// libcurl itself picks the proxy: `https_proxy` or `HTTPS_PROXY` for https:// URLs,
/// `http_proxy` (lower case only: the upper-case form is ignored because a CGI web server
/// sets `HTTP_PROXY` from a request header) for http:// URLs, then `all_proxy` / `ALL_PROXY`;
/// hosts listed in `no_proxy` / `NO_PROXY` go direct. This type only reports what is set.
public enum ProxyEnvironment {
    /// The variables that apply to URLs with `scheme`, in libcurl's order of preference.
    public static func variables(forScheme scheme: String) -> [String] {
        let specific = scheme == "https" ? ["https_proxy", "HTTPS_PROXY"] : ["http_proxy"]
        return specific + ["all_proxy", "ALL_PROXY", "no_proxy", "NO_PROXY"]
    }

    /// `HTTPS_PROXY=http://proxy:3128, NO_PROXY=localhost` for the variables that are set and
    /// apply to `url`; nil when none is set. User names and passwords in proxy URLs are
    /// replaced by `***`.
    public static func describe(url: String, environment: (String) -> String?) -> String? {
        let scheme = url.lowercased().hasPrefix("https:") ? "https" : "http"
        let set = variables(forScheme: scheme).compactMap { name -> String? in
            guard let value = environment(name), !value.isEmpty else { return nil }
            return "\(name)=\(name.lowercased() == "no_proxy" ? value : redactingUserInfo(value))"
        }
        return set.isEmpty ? nil : LogText.oneLine(set.joined(separator: ", "), limit: 512)
    }

    /// `http://user:secret@proxy:3128` becomes `http://***@proxy:3128`.
    public static func redactingUserInfo(_ proxy: String) -> String {
        let afterScheme = proxy.firstRange(of: "://").map(\.upperBound) ?? proxy.startIndex
        let authorityEnd = proxy[afterScheme...].firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? proxy.endIndex
        guard let at = proxy[afterScheme..<authorityEnd].lastIndex(of: "@") else { return proxy }
        return String(proxy[..<afterScheme]) + "***" + String(proxy[at...])
    }
}
