/// The checks that go over the network, as the hook would: through the proxy the environment
/// sets, with the mapping's CAs, retries and timeouts.
enum NetworkChecks {
    /// How the requests to `url` travel: `through proxy http://proxy:3128, CA ...`.
    static func route(_ url: String, caFile: String?, context: DoctorContext) -> String {
        let proxy =
            ProxyRoute.proxy(for: url, environment: context.environment.lookup).map { "through proxy \($0.shown)" }
            ?? "direct"
        guard url.lowercased().hasPrefix("https:") else { return "\(proxy), plain http on loopback" }
        var cas: [String] = []
        if let base = context.trust.baseCAFile {
            cas.append(base)
        } else if caFile == nil {
            cas.append(context.trust.libcurlCAFile ?? context.trust.libcurlCAFolder ?? "system store")
        } else {
            cas.append("/etc/ssl/certs")
        }
        if let caFile { cas.append(caFile) }
        return "\(proxy), CA \(cas.joined(separator: " + "))"
    }

    /// Discovery (unless `jwks_url` is set) and the key set, fetched fresh: the key-set cache
    /// is neither read nor written. Also returns whether the keys could be had.
    static func issuer(_ mapping: Mapping, session: HookSession, transport: DoctorTransport, context: DoctorContext)
        -> (DoctorCheck, keysAvailable: Bool)
    {
        let keys = KeySetSource(
            issuer: mapping.issuer, keySetURL: mapping.jwksURL, cacheDirectory: nil, transport: transport,
            transportSettings: session.transportSettings, retrier: session.retrier, clock: context.clock,
            log: context.log)
        let first = mapping.jwksURL ?? KeySetSource.discoveryURL(issuer: mapping.issuer)
        let route = route(first, caFile: mapping.caFile, context: context)
        let subject = "issuer \(mapping.issuer)"
        do throws(KeySetError) {
            let keySet = try keys.keySet(refresh: true)
            let found = DoctorText.count(keySet.keys.count, "RSA signing key")
            let how =
                mapping.jwksURL == nil
                ? "discovery and \(found) at \(keys.keySetURL)"
                : "\(found) at jwks_url \(keys.keySetURL) (no discovery)"
            return (.ok("issuer", "\(subject): \(how) (\(route))"), true)
        } catch {
            let host = ProxyRoute.schemeAndHost(of: error.url)?.host ?? mapping.issuer
            let settingNames = mapping.jwksURL == nil ? "`issuer`" : "`issuer` and `jwks_url`"
            switch error {
            case let .unreachable(url, cause):
                return (
                    .fail(
                        "issuer", "\(subject): cannot fetch \(url): \(cause.attemptSummary) (\(route))",
                        advice: advice(for: cause, host: host)), false
                )
            case let .httpStatus(url, status):
                return (
                    .fail(
                        "issuer", "\(subject): \(url) answered HTTP \(status) (\(route))",
                        advice:
                            "set \(settingNames) to your GitLab's URL exactly as jobs see it (CI_SERVER_URL); a proxy in between may answer instead"
                    ), false
                )
            case let .invalidDocument(url, reason):
                return (
                    .fail(
                        "issuer", "\(subject): \(url) is not usable: \(reason) (\(route))",
                        advice: "set \(settingNames) to your GitLab's URL exactly as jobs see it (CI_SERVER_URL)"),
                    false
                )
            }
        }
    }

    /// What to do about a network failure on the way to `host`.
    static func advice(for error: TransportError, host: String) -> String {
        switch error.kind {
        case let .caFile(path):
            return "make `ca_file` \(path) a readable PEM bundle of the CAs to trust, or remove the setting"
        case .tls:
            return
                "make \(host)'s certificate trusted: give its CA's PEM bundle as `ca_file` (or add it to this host's or image's CA store)"
        case .connect, .connectTimeout, .proxyUnresolved:
            return
                "check that this host reaches \(host) (DNS, firewall), and the proxy variables (https_proxy, no_proxy) if it must go through a proxy"
        case .proxyRefused:
            return
                "the proxy refused the tunnel to \(host): allow it in the proxy, or list the host in no_proxy if it is reachable directly"
        case .timeout, .broken, .tooLarge, .other:
            return "check the network path to \(host) (proxy, firewall) and the URL in the mapping"
        case .libcurlMissing:
            return
                "install libcurl (Debian and Ubuntu: apt-get install libcurl4), or run the container bundle (install.sh --bundle)"
        }
    }

    /// This host's clock against the HTTP `Date` of the first answer that had one (the
    /// issuer's, else an STS endpoint's): a token's `exp` and `nbf` allow 60 s of skew.
    static func clock(_ answers: [DoctorTransport.Answer], issuer: String) -> DoctorCheck {
        let dated = answers.compactMap { answer in
            answer.date.flatMap(HTTPDate.parse).map { (answer, server: $0) }
        }
        guard let (answer, server) = dated.first(where: { $0.0.url.hasPrefix(issuer) }) ?? dated.first else {
            return .warn(
                "clock",
                "clock: not compared (no answer with an HTTP Date header); a token's exp and nbf allow \(ClaimPolicy.clockSkew) s of skew",
                advice: "make sure this host's clock is synchronised (NTP)")
        }
        let skew = answer.receivedAt - server
        let source = origin(of: answer.url)
        let allowance = "a token's exp and nbf allow \(ClaimPolicy.clockSkew) s"
        let magnitude = skew.magnitude
        guard magnitude > UInt64(ClaimPolicy.clockSkew) else {
            let relation = magnitude <= 1 ? "in step with" : "\(magnitude) s \(skew > 0 ? "ahead of" : "behind")"
            return .ok("clock", "clock: \(relation) \(source) (HTTP Date); \(allowance)")
        }
        return .warn(
            "clock",
            "clock: \(DoctorText.duration(Int64(clamping: magnitude))) \(skew > 0 ? "ahead of" : "behind") \(source) (HTTP Date); \(allowance), so fresh tokens look \(skew > 0 ? "expired" : "not yet valid")",
            advice: "synchronise this host's clock (NTP)")
    }

    /// `scheme://host[:port]` of `url`.
    static func origin(of url: String) -> String {
        guard let separator = url.firstRange(of: "://") else { return url }
        let authority = url[separator.upperBound...].prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        return String(url[..<separator.upperBound]) + authority
    }

    /// One STS endpoint the mapping uses, with the rules that use it.
    struct STSEndpoint: Equatable {
        let url: String
        /// The region of the first rule that uses it, for the probe's signature.
        let region: String
        var rules: [Int]
    }

    /// Every STS endpoint the mapping's rules use (their regions, `sts_endpoint`,
    /// `sts_fips`; chain hops use their rule's), each once, in rule order.
    static func stsEndpoints(_ mapping: Mapping) -> [STSEndpoint] {
        var endpoints: [STSEndpoint] = []
        for rule in mapping.rules {
            guard let settings = EffectiveSettings(rule: rule, mapping: mapping) else { continue }
            let url = STS.endpoint(region: settings.region, fips: mapping.stsFIPS, override: mapping.stsEndpoint)
            if let index = endpoints.firstIndex(where: { $0.url == url }) {
                endpoints[index].rules.append(rule.number)
            } else {
                endpoints.append(STSEndpoint(url: url, region: settings.region, rules: [rule.number]))
            }
        }
        return endpoints
    }

    /// The form of the probe, a `GetCallerIdentity`.
    static let probeBody = "Action=GetCallerIdentity&Version=\(STS.apiVersion)"

    /// The probe is signed (SigV4) with the example key of AWS's documentation, which is
    /// valid nowhere: STS refuses it with its own error XML (`InvalidClientTokenId`), which
    /// proves that STS answers there. Signed rather than unsigned so that STS look-alikes
    /// which tell services apart by the signature's scope (moto's server) route it to STS.
    static let probeCredentials = SigV4.Credentials(
        accessKeyID: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")

    /// Whether `endpoint` is reachable over TLS (through the proxy) and answers like STS.
    static func sts(_ endpoint: STSEndpoint, mapping: Mapping, session: HookSession, context: DoctorContext)
        -> DoctorCheck
    {
        let route = route(endpoint.url, caFile: mapping.caFile, context: context)
        let subject = "STS \(endpoint.url) (\(DoctorText.rules(endpoint.rules)))"
        let unsigned = HTTPRequest(
            url: endpoint.url, method: .post, headers: STS.formHeaders, body: Array(probeBody.utf8))
        let response: HTTPResponse
        do throws(TransportError) {
            response = try session.retrier.run(
                "STS GetCallerIdentity (doctor)",
                operation: { (timeout: Double) throws(TransportError) -> HTTPResponse in
                    let request = SigV4.sign(
                        unsigned, credentials: probeCredentials, region: endpoint.region, service: "sts",
                        time: context.clock.now())
                    return try session.transport.perform(
                        request, settings: session.transportSettings, timeout: timeout)
                },
                classify: { error, _ in error.isTransient ? .retry : .stop }, describe: \.attemptSummary)
        } catch {
            let host = ProxyRoute.schemeAndHost(of: endpoint.url)?.host ?? endpoint.url
            return .fail(
                "sts", "\(subject): unreachable: \(error.attemptSummary) (\(route))",
                advice: advice(for: error, host: host))
        }
        switch judge(status: response.status, body: response.body) {
        case let .success(fact):
            return .ok("sts", "\(subject): answers like STS (\(fact)) (\(route))")
        case let .failure(problem):
            return .fail(
                "sts", "\(subject): not STS: HTTP \(response.status) with \(problem.reason) (\(route))",
                advice:
                    "`sts_endpoint` (or the region) must name an STS endpoint, e.g. https://sts.us-east-1.amazonaws.com/ or a VPC endpoint; something in between (a proxy, a captive portal) may answer instead"
            )
        }
    }

    /// Why an answer is not STS's.
    struct NotSTS: Error, Equatable {
        let reason: String
    }

    /// Whether an answer to the probe is STS's: its error XML (`InvalidClientTokenId`,
    /// `MissingAuthenticationToken`, `AccessDenied`, ...), or the answer itself from an STS
    /// look-alike that checks no signature.
    static func judge(status: Int, body: [UInt8]) -> Result<String, NotSTS> {
        let root: XMLElement
        do throws(XMLError) {
            root = try XMLElement.parse(body)
        } catch {
            return .failure(NotSTS(reason: STS.describeUnreadable(body, error)))
        }
        if root.localName == "ErrorResponse" || root.localName == "Error" {
            let error = root.localName == "Error" ? root : root.child("Error")
            if let code = error?.child("Code")?.text.trimmingSpaces, !code.isEmpty {
                return .success(
                    "HTTP \(status) \(LogText.oneLine(code, limit: 64)) to a GetCallerIdentity signed with AWS's example key")
            }
        }
        if root.localName == "GetCallerIdentityResponse" {
            return .success("it answered a GetCallerIdentity signed with AWS's example key, as only STS look-alikes do")
        }
        return .failure(NotSTS(reason: STS.describeOther(root, service: "STS")))
    }
}

extension KeySetError {
    /// The URL that failed.
    var url: String {
        switch self {
        case let .unreachable(url, _), let .httpStatus(url, _), let .invalidDocument(url, _): return url
        }
    }
}
