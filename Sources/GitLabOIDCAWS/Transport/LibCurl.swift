import CCurl
import CSupport

/// libcurl, loaded on first use.
///
/// Linking libcurl would make every hook run load it and the thirty libraries it depends on
/// (GnuTLS, Kerberos, LDAP, SSH, ...) before `main`, about 5.5 ms, which is more than half of
/// a run that has nothing to exchange (a job without an ID token). So the first request loads
/// it with `dlopen`; a job that makes none never does. `CSupport` holds the function table
/// and its typed wrappers; C pointers never leave it and `HTTPClient`.
enum LibCurl {
    /// The library's name as the dynamic loader looks it up (the package `libcurl4`).
    static let soname = "libcurl.so.4"

    /// Loads and initialises (`curl_global_init`) the library once per process; later calls
    /// give the first call's result.
    static func load() throws(TransportError) {
        try loaded.get()
    }

    private static let loaded: Result<Void, TransportError> = {
        var error = [CChar](repeating: 0, count: 512)
        guard goa_curl_load(soname, &error, error.count) == 0 else {
            let reason = String(decoding: error.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            return .failure(TransportError(kind: .libcurlMissing, url: "", detail: reason))
        }
        guard goa_curl_global_init(Int(CURL_GLOBAL_DEFAULT)) == CURLE_OK else {
            return .failure(TransportError(kind: .other, url: "", detail: "libcurl could not be initialised"))
        }
        return .success(())
    }()
}
