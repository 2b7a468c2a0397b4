import Glibc

/// Which CA certificates HTTPS calls trust when the hook runs from the container bundle.
///
/// The host binary uses libcurl's own default (the host's system store), plus the mapping's
/// `ca_file`. The bundle's libcurl was built for Debian's paths, which a job image may not
/// have; so the bundle uses the image's system CA file when the image has one at a standard
/// location (it may hold a company's own CAs), else the Debian CA bundle it carries. The
/// mapping's `ca_file` is added on top in both cases.
public enum TrustStore {
    /// Where distributions keep their system CA bundle, in the order they are tried: Debian,
    /// Ubuntu and Alpine; RHEL, Fedora and Amazon Linux; OpenSSL's default, which several
    /// images link; SUSE.
    public static let systemCAFiles = [
        "/etc/ssl/certs/ca-certificates.crt",
        "/etc/pki/tls/certs/ca-bundle.crt",
        "/etc/ssl/cert.pem",
        "/etc/ssl/ca-bundle.pem",
    ]

    /// The CA bundle the bundle ships, relative to its folder.
    public static let bundledCAFile = "ca-certificates.crt"

    /// The CA file that replaces libcurl's default store: nil for the host binary
    /// (`bundleRoot` nil); in the bundle, the first of `systemCAFiles` that is a non-empty
    /// readable file (`isUsableFile`), else the bundle's own.
    public static func baseCAFile(bundleRoot: String?, isUsableFile: (String) -> Bool) -> String? {
        guard let bundleRoot else { return nil }
        return systemCAFiles.first(where: isUsableFile) ?? bundleRoot + "/" + bundledCAFile
    }

    /// `baseCAFile` for this process, decided once.
    public static let current: String? = baseCAFile(bundleRoot: ContainerBundle.root) { path in
        var status = stat()
        return FileSystem.isReadableFile(path) && stat(path, &status) == 0 && status.st_size > 0
    }

    /// The CA certificates of `baseCAFile` followed by those of the mapping's `ca_file`, for
    /// libcurl's in-memory CA option (with OpenSSL, libcurl uses either a CA file or CA bytes,
    /// never both); nil when `caFile` cannot be read, so that libcurl is given its path and
    /// reports it the way the host binary does.
    static func combinedCAs(baseCAFile: String, caFile: String) -> [UInt8]? {
        guard let extra = FileSystem.contentsIfReadable(caFile, limit: maximumCAFileBytes) else { return nil }
        let base = baseCAFile == current ? currentContents : FileSystem.contentsIfReadable(baseCAFile, limit: maximumCAFileBytes) ?? []
        return base + [UInt8(ascii: "\n")] + extra
    }

    private static let maximumCAFileBytes = 16 << 20
    private static let currentContents: [UInt8] =
        current.flatMap { FileSystem.contentsIfReadable($0, limit: maximumCAFileBytes) } ?? []
}
