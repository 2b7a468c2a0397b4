import CCurl
import CSupport

/// Performs HTTP requests with libcurl (`LibCurl`, loaded by the first request, so that a
/// run that makes none never loads it). One easy handle is kept for the whole run so that
/// connections are reused between attempts and calls.
public final class CurlTransport: HTTPTransport {
    private var easyHandle: UnsafeMutableRawPointer?
    private let environment: (String) -> String?

    /// `environment` is the job's environment, used only to describe proxy settings in errors
    /// (libcurl itself reads the proxy variables).
    public init(environment: @escaping (String) -> String?) {
        self.environment = environment
    }

    deinit {
        if let easyHandle { goa_curl_easy_cleanup(easyHandle) }
    }

    private func handle() throws(TransportError) -> UnsafeMutableRawPointer {
        if let easyHandle { return easyHandle }
        try LibCurl.load()
        guard let created = goa_curl_easy_init() else {
            throw TransportError(kind: .other, url: "", detail: "libcurl could not create a handle")
        }
        easyHandle = created
        return created
    }

    public func perform(_ request: HTTPRequest, settings: TransportSettings, timeout: Double) throws(TransportError)
        -> HTTPResponse
    {
        let handle = try handle()
        goa_curl_easy_reset(handle)
        let sink = ResponseSink(limit: settings.maximumResponseBytes)
        let sinkPointer = Unmanaged.passRetained(sink)
        defer { sinkPointer.release() }
        var errorBuffer = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        var headerList: UnsafeMutablePointer<curl_slist>?
        defer { goa_curl_slist_free_all(headerList) }

        let code: CURLcode = errorBuffer.withUnsafeMutableBufferPointer { errorPointer in
            var setup = CURLE_OK
            func set(_ result: CURLcode) { if setup == CURLE_OK { setup = result } }
            set(goa_curl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errorPointer.baseAddress))
            set(goa_curl_setopt_string(handle, CURLOPT_URL, request.url))
            set(goa_curl_setopt_string(handle, CURLOPT_PROTOCOLS_STR, "http,https"))
            set(goa_curl_setopt_long(handle, CURLOPT_NOSIGNAL, 1))
            set(goa_curl_setopt_long(handle, CURLOPT_FOLLOWLOCATION, 0))
            set(goa_curl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, milliseconds(settings.connectTimeout)))
            set(goa_curl_setopt_long(handle, CURLOPT_TIMEOUT_MS, milliseconds(timeout)))
            set(goa_curl_setopt_long(handle, CURLOPT_MAXFILESIZE_LARGE, settings.maximumResponseBytes))
            set(goa_curl_setopt_string(handle, CURLOPT_USERAGENT, "gitlab-oidc-aws/\(gitlabOIDCAWSVersion)"))
            if let baseCAFile = settings.baseCAFile {
                // The container bundle: the base file stands for the system store, the job
                // image's certificate folder is not read, `ca_file` comes on top.
                let combined = settings.caFile.flatMap { TrustStore.combinedCAs(baseCAFile: baseCAFile, caFile: $0) }
                for (file, folder, blob) in [
                    (CURLOPT_CAINFO, CURLOPT_CAPATH, CURLOPT_CAINFO_BLOB),
                    (CURLOPT_PROXY_CAINFO, CURLOPT_PROXY_CAPATH, CURLOPT_PROXY_CAINFO_BLOB),
                ] {
                    set(goa_curl_setopt_string(handle, folder, nil))
                    if let combined {
                        set(goa_curl_setopt_blob(handle, blob, combined, combined.count))
                    } else {
                        set(goa_curl_setopt_string(handle, file, settings.caFile ?? baseCAFile))
                    }
                }
            } else if let caFile = settings.caFile {
                // CAINFO alone would replace the system store; CAPATH keeps it trusted too.
                set(goa_curl_setopt_string(handle, CURLOPT_CAINFO, caFile))
                set(goa_curl_setopt_string(handle, CURLOPT_CAPATH, "/etc/ssl/certs"))
                // The same CAs for an https:// proxy.
                set(goa_curl_setopt_string(handle, CURLOPT_PROXY_CAINFO, caFile))
                set(goa_curl_setopt_string(handle, CURLOPT_PROXY_CAPATH, "/etc/ssl/certs"))
            }
            for header in request.headers + ["Expect:"] {
                headerList = goa_curl_slist_append(headerList, header)
            }
            set(goa_curl_setopt_slist(handle, CURLOPT_HTTPHEADER, headerList))
            if request.method == .post {
                set(goa_curl_setopt_long(handle, CURLOPT_POST, 1))
                set(goa_curl_setopt_long(handle, CURLOPT_POSTFIELDSIZE, request.body.count))
                set(
                    (request.body + [0]).withUnsafeBufferPointer { body in
                        body.withMemoryRebound(to: CChar.self) {
                            goa_curl_setopt_string(handle, CURLOPT_COPYPOSTFIELDS, $0.baseAddress!)
                        }
                    })
            }
            set(goa_curl_setopt_write_function(handle, curlWriteCallback))
            set(goa_curl_setopt_pointer(handle, CURLOPT_WRITEDATA, sinkPointer.toOpaque()))
            if settings.collectsHeaders {
                set(goa_curl_setopt_header_function(handle, curlHeaderCallback))
                set(goa_curl_setopt_pointer(handle, CURLOPT_HEADERDATA, sinkPointer.toOpaque()))
            }
            guard setup == CURLE_OK else { return setup }
            return goa_curl_easy_perform(handle)
        }

        if sink.overflowed {
            throw failure(.tooLarge(limit: settings.maximumResponseBytes), request, detail: "")
        }
        guard code == CURLE_OK else {
            let errorText = String(
                decoding: errorBuffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw failure(
                kind(of: code, handle: handle, settings: settings, attemptTimeout: timeout), request,
                detail: describe(code, errorText: errorText))
        }
        var status = 0
        _ = goa_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        return HTTPResponse(status: status, body: sink.bytes, headers: HTTPResponse.headerFields(lines: sink.headerLines))
    }

    /// Where libcurl looks for trusted CAs when it is given none (`CURLINFO_CAINFO` and
    /// `CURLINFO_CAPATH`, libcurl 7.84 and newer): the system store of the host binary. Nil
    /// for each that libcurl does not report or when libcurl cannot be loaded.
    public func defaultCALocations() -> (file: String?, folder: String?) {
        guard let handle = try? handle() else { return (nil, nil) }
        goa_curl_easy_reset(handle)
        let file = goa_curl_getinfo_string(handle, CURLINFO_CAINFO).map { String(cString: $0) }
        let folder = goa_curl_getinfo_string(handle, CURLINFO_CAPATH).map { String(cString: $0) }
        return (file, folder)
    }

    private func failure(_ kind: TransportError.Kind, _ request: HTTPRequest, detail: String) -> TransportError {
        TransportError(
            kind: kind, url: request.url, detail: detail,
            proxySettings: ProxyEnvironment.describe(url: request.url, environment: environment))
    }

    /// libcurl's words for a failure: `curl_easy_strerror`, plus its error buffer when that
    /// says more. Both are scrubbed of every proxy variable's user name and password
    /// (libcurl puts the whole proxy URL in some messages, e.g. "Unsupported proxy syntax in
    /// '...'"); a text that would still show one is left out.
    private func describe(_ code: CURLcode, errorText: String) -> String {
        let summary =
            ProxyEnvironment.scrubbedOrNil(String(cString: goa_curl_easy_strerror(code)), environment: environment)
            ?? "libcurl error \(code.rawValue)"
        guard !errorText.isEmpty, errorText != summary,
            let extra = ProxyEnvironment.scrubbedOrNil(errorText, environment: environment)
        else { return summary }
        return "\(summary) (\(extra))"
    }

    /// Whole milliseconds for libcurl: at least 1, at most a day (also for infinity or NaN).
    private func milliseconds(_ seconds: Double) -> Int {
        guard seconds.isFinite else { return 86_400_000 }
        return Int((min(max(seconds, 0.001), 86400) * 1000).rounded(.up))
    }

    /// What a failed `curl_easy_perform` means, using what the handle knows about how far
    /// the transfer got.
    private func kind(
        of code: CURLcode, handle: UnsafeMutableRawPointer, settings: TransportSettings, attemptTimeout: Double
    ) -> TransportError.Kind {
        var connectStatus = 0
        _ = goa_curl_getinfo_long(handle, CURLINFO_HTTP_CONNECTCODE, &connectStatus)
        if connectStatus != 0 && !(200..<300).contains(connectStatus) { return .proxyRefused(status: connectStatus) }
        switch code {
        case CURLE_COULDNT_RESOLVE_PROXY: return .proxyUnresolved
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_CONNECT, CURLE_SSL_CONNECT_ERROR: return .connect
        case CURLE_OPERATION_TIMEDOUT:
            // The request goes out once the connection (TCP, proxy tunnel, TLS) is up.
            var pretransfer = 0.0
            _ = goa_curl_getinfo_double(handle, CURLINFO_PRETRANSFER_TIME, &pretransfer)
            if pretransfer == 0 { return .connectTimeout(seconds: min(settings.connectTimeout, attemptTimeout)) }
            return .timeout(seconds: attemptTimeout)
        case CURLE_SEND_ERROR, CURLE_RECV_ERROR, CURLE_PARTIAL_FILE, CURLE_GOT_NOTHING, CURLE_HTTP2,
            CURLE_HTTP2_STREAM:
            return .broken
        case CURLE_FILESIZE_EXCEEDED: return .tooLarge(limit: settings.maximumResponseBytes)
        case CURLE_SSL_CACERT_BADFILE where settings.caFile != nil:
            return .caFile(path: settings.caFile ?? "")
        case CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CACERT_BADFILE, CURLE_SSL_CERTPROBLEM,
            CURLE_SSL_ISSUER_ERROR, CURLE_SSL_PINNEDPUBKEYNOTMATCH:
            return .tls
        default: return .other
        }
    }
}

/// Collects the response body, refusing to grow past `limit`, and the header lines (at most
/// `headerLimit` bytes of them; later ones are dropped).
private final class ResponseSink {
    static let headerLimit = 32 << 10

    let limit: Int
    var bytes: [UInt8] = []
    var overflowed = false
    var headerLines: [String] = []
    var headerBytes = 0

    init(limit: Int) { self.limit = limit }
}

private func curlHeaderCallback(
    data: UnsafeMutablePointer<CChar>?, size: Int, count: Int, context: UnsafeMutableRawPointer?
) -> Int {
    guard let data, let context else { return 0 }
    let sink = Unmanaged<ResponseSink>.fromOpaque(context).takeUnretainedValue()
    let length = size * count
    guard sink.headerBytes + length <= ResponseSink.headerLimit else { return length }
    sink.headerBytes += length
    data.withMemoryRebound(to: UInt8.self, capacity: length) {
        var line = UnsafeBufferPointer(start: $0, count: length)[...]
        while let last = line.last, last == UInt8(ascii: "\n") || last == UInt8(ascii: "\r") { line.removeLast() }
        if !line.isEmpty { sink.headerLines.append(String(decoding: line, as: UTF8.self)) }
    }
    return length
}

private func curlWriteCallback(
    data: UnsafeMutablePointer<CChar>?, size: Int, count: Int, context: UnsafeMutableRawPointer?
) -> Int {
    guard let data, let context else { return 0 }
    let sink = Unmanaged<ResponseSink>.fromOpaque(context).takeUnretainedValue()
    let length = size * count
    if sink.bytes.count + length > sink.limit {
        sink.overflowed = true
        return 0
    }
    data.withMemoryRebound(to: UInt8.self, capacity: length) {
        sink.bytes.append(contentsOf: UnsafeBufferPointer(start: $0, count: length))
    }
    return length
}
