import CCurl

/// libcurl, loaded on first use.
///
/// Linking libcurl would make every hook run load it and the thirty libraries it depends on
/// (GnuTLS, Kerberos, LDAP, SSH, ...) before `main`, about 5.5 ms, which is more than half of
/// a run that has nothing to exchange (a job without an ID token). So the first request loads
/// it with `dlopen`; a job that makes none never does. The typed wrappers of `CCurl` call the
/// functions found with `dlsym`; C pointers never leave this type and `HTTPClient`.
final class LibCurl: @unchecked Sendable {
    /// The library's name as the dynamic loader looks it up (the package `libcurl4`).
    static let soname = "libcurl.so.4"

    /// The process's one copy, loaded and initialised (`curl_global_init`) on first use.
    static let shared: Result<LibCurl, TransportError> = load()

    /// The function table; never freed, as the library stays loaded until the process ends.
    let api: UnsafeMutablePointer<goa_curl>

    private init(api: UnsafeMutablePointer<goa_curl>) { self.api = api }

    private static func load() -> Result<LibCurl, TransportError> {
        let api = UnsafeMutablePointer<goa_curl>.allocate(capacity: 1)
        api.initialize(to: goa_curl())
        var error = [CChar](repeating: 0, count: 512)
        guard goa_curl_load(soname, api, &error, error.count) == 0 else {
            api.deallocate()
            let reason = String(decoding: error.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            return .failure(TransportError(kind: .libcurlMissing, url: "", detail: reason))
        }
        guard goa_curl_global_init(api, Int(CURL_GLOBAL_DEFAULT)) == CURLE_OK else {
            return .failure(TransportError(kind: .other, url: "", detail: "libcurl could not be initialised"))
        }
        return .success(LibCurl(api: api))
    }
}
