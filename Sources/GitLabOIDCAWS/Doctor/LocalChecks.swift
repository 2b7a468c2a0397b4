/// The checks that need no network: the mapping, the CA certificates, the proxy variables and
/// the key-set cache folder.
enum LocalChecks {
    /// The most bytes of a CA bundle read to count its certificates.
    static let caFileLimit = 16 << 20

    /// The mapping file loaded as `check` loads it, or why it cannot be.
    static func mapping(_ context: DoctorContext) -> (DoctorCheck, DoctorMapping?) {
        let path = context.configPath
        let loaded: DoctorMapping
        do throws(ConfigError) {
            loaded = try context.loadMapping(path)
        } catch {
            let errors = error.errors
            return (
                DoctorCheck(
                    name: "mapping", status: .fail,
                    summary: "mapping \(path): cannot be used: \(DoctorText.count(errors.count, "error"))",
                    details: errors.map(\.description),
                    advice:
                        "fix the file (`gitlab-oidc-aws check --config \(path)` checks it again); until then the hook exits 2 in every job that holds an ID token"
                ), nil
            )
        }
        let rules = DoctorText.count(loaded.mapping.rules.count, "rule")
        guard loaded.warnings == 0 else {
            return (
                .warn(
                    "mapping", "mapping \(path): valid, \(rules), \(DoctorText.count(loaded.warnings, "warning"))",
                    advice: "`gitlab-oidc-aws check --config \(path)` lists the warnings with their lines"), loaded
            )
        }
        return (.ok("mapping", "mapping \(path): valid, \(rules)"), loaded)
    }

    /// What `mode = "shadow"` means, when it is set.
    static func mode(_ mapping: Mapping) -> DoctorCheck? {
        guard mapping.mode == .shadow else { return nil }
        return .warn(
            "mode",
            "mode = \"shadow\": the hook verifies tokens and matches rules, logs \"would assume ROLE via RULE\" in each job, but calls no STS and writes nothing: jobs get no credentials from it yet",
            advice: "when the job logs show the roles you expect, set mode = \"enforce\"")
    }

    /// Which CA certificates HTTPS calls trust: the system store, the image's or the bundle's
    /// own CA bundle, and the mapping's `ca_file` on top.
    static func certificates(caFile: String?, context: DoctorContext) -> DoctorCheck {
        let trust = context.trust
        var parts: [String] = []
        if let caFile {
            switch certificateCount(caFile, context: context) {
            case let .success(count) where count > 0:
                parts.append("ca_file \(caFile) (\(DoctorText.count(count, "certificate")))")
            case .success:
                return .fail(
                    "ca", "CA certificates: ca_file \(caFile) holds no PEM certificate",
                    advice: "give `ca_file` the PEM bundle of the CA that signed your GitLab's (or proxy's) certificate"
                )
            case let .failure(error):
                return .fail(
                    "ca", "CA certificates: ca_file \(caFile) cannot be read: \(error.reason)",
                    advice: "make the file readable by the user the hook runs as, or fix the path in `ca_file`")
            }
        }
        let store: String
        if let base = trust.baseCAFile {
            let whose: String
            if let root = trust.bundleRoot, base.hasPrefix(root + "/") {
                whose = "the container bundle's own CA bundle \(base) (the image has none)"
            } else {
                whose = "the image's CA bundle \(base)"
            }
            switch certificateCount(base, context: context) {
            case let .success(count) where count > 0:
                store = "\(whose), \(DoctorText.count(count, "certificate"))"
            case .success, .failure:
                return .fail(
                    "ca", "CA certificates: \(whose) holds no readable certificate",
                    advice: "rebuild the bundle with install.sh --bundle, or give the image a CA bundle")
            }
        } else if caFile != nil {
            store = "the system's CA folder /etc/ssl/certs"
        } else if let file = trust.libcurlCAFile {
            switch certificateCount(file, context: context) {
            case let .success(count) where count > 0:
                store = "the system store \(file), \(DoctorText.count(count, "certificate"))"
            case .success, .failure:
                guard let folder = trust.libcurlCAFolder else {
                    return .warn(
                        "ca", "CA certificates: the system store \(file) is missing or empty",
                        advice:
                            "install the system's CA certificates (Debian and Ubuntu: apt-get install ca-certificates), or give `ca_file`"
                    )
                }
                store = "the system's CA folder \(folder)"
            }
        } else if let folder = trust.libcurlCAFolder {
            store = "the system's CA folder \(folder)"
        } else {
            store = "libcurl's built-in system store"
        }
        parts.append(caFile == nil ? store : "on top of " + store)
        return .ok("ca", "CA certificates: " + parts.joined(separator: " "))
    }

    /// The number of PEM certificates in `path`.
    static func certificateCount(_ path: String, context: DoctorContext) -> Result<Int, FileError> {
        do throws(FileError) {
            let text = String(decoding: try context.files.read(path, limit: caFileLimit), as: UTF8.self)
            return .success(text.ranges(of: "-----BEGIN CERTIFICATE-----").count)
        } catch {
            return .failure(error)
        }
    }

    /// The proxy variables in effect, shown as scheme, host and port only.
    static func proxies(_ environment: JobEnvironment) -> DoctorCheck {
        let https = ProxyRoute.setting(forScheme: "https", environment: environment.lookup)
        let http = ProxyRoute.setting(forScheme: "http", environment: environment.lookup)
        let noProxy = ProxyRoute.noProxy(environment: environment.lookup)
        guard https != nil || http != nil else {
            let bypass =
                noProxy.map { "; \($0.variable) = \(LogText.oneLine($0.value, limit: 256)) (no proxy to bypass)" } ?? ""
            return .ok("proxy", "proxy: none set, connections go direct\(bypass)")
        }
        func shown(_ setting: ProxyRoute.Setting?, _ scheme: String) -> String {
            guard let setting else { return "\(scheme):// direct" }
            return "\(scheme):// through \(setting.shown) (\(setting.variable))"
        }
        var summary = "proxy: \(shown(https, "https")), \(shown(http, "http"))"
        summary += noProxy.map { "; \($0.variable) = \(LogText.oneLine($0.value, limit: 256))" } ?? "; no no_proxy"
        let unusable = [https, http].compactMap { $0 }.filter { $0.endpoint == nil }
        if let first = unusable.first {
            return .fail(
                "proxy", summary,
                advice: "\(first.variable) is not a proxy URL (scheme://host:port); fix it or unset it")
        }
        return .ok("proxy", summary)
    }

    /// Whether the key-set cache folder can be used, without writing anything in it.
    static func cache(_ mapping: Mapping, context: DoctorContext) -> DoctorCheck {
        guard
            let folder = mapping.cacheDirectory
                ?? KeySetSource.defaultCacheDirectory(environment: context.environment.lookup)
        else {
            return .warn(
                "cache",
                "key-set cache: no folder (no cache_dir, and neither HOME nor XDG_CACHE_HOME is set): every job fetches the issuer's keys",
                advice: "set `cache_dir` to a folder the runner's user owns")
        }
        let path = FileSystem.absolute(folder, workingDirectory: context.workingDirectory)
        switch context.files.cacheFolderState(path) {
        case .writable:
            return .ok("cache", "key-set cache \(path): usable (not read or written by doctor)")
        case let .creatable(parent):
            return .ok("cache", "key-set cache \(path): missing, the hook creates it in \(parent)")
        case let .unusable(reason):
            return .warn(
                "cache", "key-set cache \(path): not usable (\(reason)): every job fetches the issuer's keys",
                advice: "set `cache_dir` to a folder the runner's user owns and may write")
        }
    }
}
